"""What a browser fetches to show a page: the asset URLs named by HTML, JavaScript modules and CSS, and the
content type each kind of file must be served with."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

# Module scripts are refused by browsers unless served with a JavaScript MIME type (strict MIME checking).
JS_TYPES = ("text/javascript", "application/javascript")
EXPECTED_TYPES = {
    ".js": JS_TYPES, ".mjs": JS_TYPES, ".css": ("text/css",), ".svg": ("image/svg+xml",),
    ".png": ("image/png",), ".ico": ("image/x-icon", "image/vnd.microsoft.icon"),
    ".json": ("application/json",), ".webmanifest": ("application/manifest+json", "application/json"),
    ".woff2": ("font/woff2",), ".woff": ("font/woff",),
}
LINK_RELS_THAT_LOAD = {"stylesheet", "modulepreload", "preload", "icon", "shortcut", "apple-touch-icon",
                       "manifest"}


class AssetLinks(HTMLParser):
    """The URLs an HTML page makes the browser load: scripts, stylesheets and other loading links, images,
    and the imports of inline module scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self._inline_module = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "script":
            if a.get("src"):
                self.urls.append(a["src"])
            self._inline_module = not a.get("src") and a.get("type") == "module"
        elif tag == "link" and set(a.get("rel", "").lower().split()) & LINK_RELS_THAT_LOAD and a.get("href"):
            self.urls.append(a["href"])
        elif tag in ("img", "source", "audio", "video", "embed") and a.get("src"):
            self.urls.append(a["src"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._inline_module = False

    def handle_data(self, data: str) -> None:
        if self._inline_module:
            self.urls.extend(js_imports(data))


JS_IMPORT = re.compile(r"""(?:\bfrom|\bimport)\s*\(?\s*(["'])([^"'\n]+)\1""")
CSS_URL = re.compile(r"""url\(\s*(["']?)([^"')]+)\1\s*\)|@import\s+(["'])([^"']+)\3""")


def js_imports(source: str) -> list[str]:
    """Static (`import x from "./a.js"`, `export * from`, `import "./a.js"`) and dynamic (`import("./a.js")`)
    module specifiers; only URL-like ones: a bare name cannot load in a browser without an import map."""
    return [m.group(2) for m in JS_IMPORT.finditer(source) if m.group(2).startswith(("./", "../", "/"))]


def css_urls(source: str) -> list[str]:
    found = (m.group(2) or m.group(4) for m in CSS_URL.finditer(source))
    return [u for u in found if not u.startswith("#")]  # url(#id) points into an SVG of the page


def links_of(url: str, content_type: str, body: bytes) -> list[str]:
    """Absolute URLs of what the resource at ``url`` makes the browser fetch next."""
    text = body.decode("utf-8", errors="replace")
    path = urlsplit(url).path
    if content_type.startswith("text/html"):
        parser = AssetLinks()
        parser.feed(text)
        refs = parser.urls
    elif path.endswith((".js", ".mjs")):
        refs = js_imports(text)
    elif path.endswith(".css"):
        refs = css_urls(text)
    else:
        refs = []
    # data: and blob: URLs are inline content, nothing is fetched for them
    return [urldefrag(urljoin(url, ref)).url for ref in refs if not ref.startswith(("data:", "blob:"))]
