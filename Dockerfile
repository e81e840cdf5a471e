# MLP Playground as a container:
#   docker build -t mlp-playground .
#   docker run --rm -p 8000:8000 mlp-playground
# Settings are environment variables MLP_PLAYGROUND_* (docs/deploy.md lists them all).
# tests/deploy/test_wheel_install.py reads this file: it runs the CMD below with the ENV below
# against a wheel installed into a fresh virtual environment, and the HEALTHCHECK command too.

# Build stage: only a wheel comes out of it, so the source tree never reaches the final image.
FROM python:3.11-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
# the page's files sit beside the package in the repository; pyproject.toml puts them inside it in the wheel
COPY static ./static
COPY templates ./templates
RUN python -m pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim-bookworm
# Bind every interface inside the container (the default 127.0.0.1 would be unreachable through -p).
ENV PYTHONUNBUFFERED=1 \
    MLP_PLAYGROUND_HOST=0.0.0.0 \
    MLP_PLAYGROUND_PORT=8000
RUN groupadd --gid 1000 playground \
    && useradd --uid 1000 --gid 1000 --create-home --shell /usr/sbin/nologin playground
COPY --from=build /wheels /wheels
# With the redis client (the package's `redis` extra, pinned here), so that MLP_PLAYGROUND_REDIS_URL works in the
# image as it is: broadcast rooms across several workers or hosts. The package's own dependencies bring uvloop and
# httptools, which uvicorn then runs on (less CPU per frame): the build fails if they did not come.
RUN python -m pip install --no-cache-dir /wheels/*.whl redis==8.1.0 && rm -rf /wheels \
    && python -c "import uvloop, httptools"
USER 1000:1000
WORKDIR /home/playground
EXPOSE 8000
# The slim image has no curl: python's urllib raises (exit 1) on a refused connection or a non-2xx answer.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; u.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('MLP_PLAYGROUND_PORT', '8000'), timeout=4)"]
CMD ["mlp-playground"]
