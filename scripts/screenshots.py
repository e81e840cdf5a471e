"""Regenerates the committed screenshots: every lecture scene at 1280x720 (the full page, as a projector
shows it) and at 960x540 (embedded, as a slide shows it) in docs/scenes/, and docs/screenshot.png and
docs/screenshot-embed.png, the README's pictures, docs/lecture-mode.png, docs/rewind.png and
docs/your-data.png.

    python3 scripts/screenshots.py                  # all of them, into docs/
    python3 scripts/screenshots.py --out /tmp/shots --scene depth --size 960x720

Starts its own server on a free loopback port and drives Debian's Chromium with Playwright. Each scene is
shot once its panel has loaded and, for scenes that train by themselves, once they have trained a while, so
the pictures show what a lecturer sees a few seconds after opening the link.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import scenes  # noqa: E402
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, app_server, free_port  # noqa: E402

SIZES = {"1280x720": (1280, 720, False), "960x540": (960, 540, True), "960x720": (960, 720, True)}
WAIT_S = 30.0


def wait_js(page, expression: str, timeout_s: float = WAIT_S):
    """Poll a JS expression until it is truthy (the page's CSP forbids Playwright's eval-based waits)."""
    deadline = time.monotonic() + timeout_s
    while not (value := page.evaluate(expression)):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the page never satisfied: {expression}")
        page.wait_for_timeout(50)
    return value


def settle(page, name: str) -> None:
    """Wait until the scene shows what it is for: a painted frame, its panel, its plots, some training."""
    wait_js(page, "window.__mlp && window.__mlp.painted > 0")
    scene = scenes.get_scene(name)
    if scene.panel:
        wait_js(page, "document.getElementById('lecture').dataset.loaded === '1'")
        if scene.panel in ("walkthrough", "gallery", "saturation", "universality"):
            wait_js(page, "!!document.querySelector('#lecture .js-plotly-plot')")
    if scene.panel in ("landscape", "folding"):
        wait_js(page, "!!document.querySelector('#lecture .js-plotly-plot')")
    if scene.panel == "landscape":  # trained a while, the slice along the path it took
        train(page, 300)
        page.click("#lecture button[data-value=pca]")
        wait_js(page, "document.getElementById('lec-landscape').dataset.directions === 'pca'")
    if scene.autoplay:
        wait_js(page, "window.__mlp.header && window.__mlp.header.step >= 200")
    if scene.panel == "backprop":  # a point picked on the plot, stepped to its gradients
        box = page.locator("#points").bounding_box()
        page.mouse.click(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.3)
        wait_js(page, "!!document.querySelector('#lecture .lec-units')")
        for _ in range(3):
            page.click("#lecture button:text('Next')")
        wait_js(page, "!!document.querySelector('#lecture .lec-links')")
    if "compare" in scene.config:  # a comparison shows its point once both networks trained a while
        train(page, COMPARE_STEPS.get(name, 300))
    if name in TRAINED_STEPS:  # a scene whose point is what training makes of its data
        train(page, TRAINED_STEPS[name])
    page.wait_for_timeout(400)  # let Plotly finish its relayout after the last frame


# steps a compare scene trains before its picture: where the two networks have clearly parted ways
COMPARE_STEPS = {"sgd-vs-adam": 2000, "squared-error-vs-cross-entropy": 300, "sigmoid-vs-relu": 400}
# steps another scene trains before its picture: your-data's warm spot has grown by then
TRAINED_STEPS = {"your-data": 3000}


def train(page, steps: int) -> None:
    """Play until the session has trained ``steps`` steps, then pause: a picture of a network at work."""
    play = "#embed-play" if page.locator("#embed-play").is_visible() else "#play"  # a slide has its own bar
    page.click(play)
    wait_js(page, f"window.__mlp.header && window.__mlp.header.step >= {steps}", timeout_s=180)
    page.click(play)
    wait_js(page, "window.__mlp.state === 'paused'")
    page.wait_for_timeout(400)


def shoot(browser, base: str, query: str, size: str, path: Path, name: str, steps: int = 0) -> None:
    width, height, _ = SIZES[size]
    ctx = browser.new_context(viewport={"width": width, "height": height})
    try:
        page = ctx.new_page()
        page.goto(f"{base}/{query}")
        settle(page, name)
        if steps:
            train(page, steps)
        page.screenshot(path=str(path))
    finally:
        ctx.close()
    print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


def shoot_rewind(browser, base: str, path: Path) -> None:
    """Train the default scene 3,000 steps, then click the loss chart at 40%: the page rewound."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        page = ctx.new_page()
        page.goto(f"{base}/?steps_per_frame=20")
        settle(page, scenes.DEFAULT_SCENE)
        train(page, 3000)
        page.wait_for_timeout(700)  # the chart redraws twice a second
        box = page.locator("#loss-chart").bounding_box()
        page.mouse.click(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.5)
        wait_js(page, "!document.getElementById('rewind-badge').hidden")
        wait_js(page, "window.__mlp.header.step === +document.getElementById('rewind-badge').dataset.step")
        page.mouse.move(5, 5)  # no hover label over the chart
        page.wait_for_timeout(800)
        page.screenshot(path=str(path))
    finally:
        ctx.close()
    print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


def your_data_csv() -> str:
    """A file a lecturer might bring: three clusters of a measurement on its own scale (about 1.5..9.5 on
    both axes), 240 rows with a header, made from a fixed formula so the picture is the same on every run."""
    rows = ["length,width,label"]
    centres = [(3.2, 3.0), (5.6, 7.2), (7.9, 3.6)]
    for i in range(240):
        k = i % 3
        a, b = (i * 0.6180339) % 1.0, (i * 0.7548776) % 1.0  # low-discrepancy spread around the centre
        r, t = 0.25 + 0.9 * a, 6.2831853 * b
        x1 = centres[k][0] + r * 1.4 * math.cos(t)
        x2 = centres[k][1] + r * 1.2 * math.sin(t)
        rows.append(f"{x1:.3f},{x2:.3f},{k}")
    return "\n".join(rows) + "\n"


def shoot_your_data(browser, base: str, path: Path) -> None:
    """docs/lecture.md's "Your own data": a CSV loaded with the file button, trained a while."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        page = ctx.new_page()
        page.goto(f"{base}/?steps_per_frame=20")
        settle(page, scenes.DEFAULT_SCENE)
        page.set_input_files("#import-input", files=[{"name": "measurements.csv", "mimeType": "text/csv",
                                                      "buffer": your_data_csv().encode()}])
        wait_js(page, "window.__mlp.config.dataset === 'user' && window.__mlp.dataset "
                      "&& window.__mlp.dataset.classes === 3")
        train(page, 1500)
        page.screenshot(path=str(path))
    finally:
        ctx.close()
    print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs",
                        help="folder for the pictures (default docs/)")
    parser.add_argument("--scene", action="append", choices=list(scenes.SCENES),
                        help="only this scene (repeatable); default every scene and the README pictures")
    parser.add_argument("--size", action="append", choices=list(SIZES),
                        help="only this size (repeatable); default 1280x720 and 960x540")
    args = parser.parse_args(argv)
    names = args.scene or list(scenes.SCENES)
    sizes = args.size or ["1280x720", "960x540"]
    (args.out / "scenes").mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import sync_playwright

    port = free_port()
    with app_server(port, "screenshots-server.log", max_sessions="1000"), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        base = f"http://127.0.0.1:{port}"
        for name in names:
            for size in sizes:
                embed = "&embed=1" if SIZES[size][2] else ""
                path = args.out / "scenes" / f"{name}-{size}.png"
                shoot(browser, base, f"?scene={name}{embed}", size, path, name)
        if not args.scene:
            # the README's picture: the default scene after a while of training (20 steps a frame)
            shoot(browser, base, "?steps_per_frame=20", "1280x720", args.out / "screenshot.png",
                  scenes.DEFAULT_SCENE, steps=2000)
            shoot(browser, base, "?scene=xor-by-hand&embed=1", "960x540", args.out / "screenshot-embed.png",
                  "xor-by-hand")
            # docs/lecture.md's lecture mode: a stop of the tour with its bar
            shoot(browser, base, "?tour=1&scene=depth", "1280x720", args.out / "lecture-mode.png", "depth")
            # docs/lecture.md's rewinding: the default scene trained a while, then a click on the loss chart
            shoot_rewind(browser, base, args.out / "rewind.png")
            # docs/lecture.md's "Your own data": a CSV loaded with the file button, trained a while
            shoot_your_data(browser, base, args.out / "your-data.png")
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
