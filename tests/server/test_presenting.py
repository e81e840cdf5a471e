"""GET /qr.svg: the QR code of a room's viewer link decodes back to that link, and anything that is not a
viewer link of this server's shape is refused with a 400 naming ``text``."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from starlette.testclient import TestClient

from app.server import create_app
from app.settings import Settings

zxingcpp = pytest.importorskip("zxingcpp")
Image = pytest.importorskip("PIL.Image")

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(Settings())) as c:
        yield c


def rasterize(svg: bytes, scale: int = 8):
    """The SVG segno writes (one white square, then dark modules as horizontal strokes of an M/h/m path)
    as a Pillow image, ``scale`` pixels per module."""
    root = ET.fromstring(svg)
    w, h = (int(float(v)) for v in root.get("viewBox").split()[2:])
    img = Image.new("L", (w * scale, h * scale), 255)
    px = img.load()
    line = next(e for e in root.iter(f"{SVG}path") if e.get("class") == "qrline")
    x = y = 0.0
    for cmd, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?:[ ,](-?[\d.]+))?", line.get("d")):
        if cmd == "M":
            x, y = float(a), float(b)
        elif cmd == "m":
            x, y = x + float(a), y + float(b)
        else:  # h: a stroke of width 1 centred on y, from x to x + a
            row = int(y - 0.5)
            for col in range(int(x), int(x + float(a))):
                for i in range(scale):
                    for j in range(scale):
                        px[col * scale + i, row * scale + j] = 0
            x += float(a)
    return img


@pytest.mark.parametrize("link", ["http://127.0.0.1:8000/?watch=ABCDEF",
                                  "https://lecture.example.org/?watch=Z2345K",
                                  "http://[::1]:8080?watch=HJKMNP"])
def test_the_qr_code_of_a_viewer_link_decodes_to_that_link(client, link):
    r = client.get("/qr.svg", params={"text": link})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(r.content)
    assert root.get("viewBox") and root.get("width") is None  # scales to whatever size the page gives it
    (found,) = zxingcpp.read_barcodes(rasterize(r.content))
    assert found.format == zxingcpp.BarcodeFormat.QRCode
    assert found.text == link


@pytest.mark.parametrize(("text", "why"), [
    (None, "missing"),
    ("", "missing"),
    ("http://127.0.0.1:8000/?watch=" + "A" * 400, "at most 300"),
    ("javascript:alert(1)//?watch=ABCDEF", "http:// or https://"),
    ("ftp://host/?watch=ABCDEF", "http:// or https://"),
    ("http:///?watch=ABCDEF", "http:// or https://"),
    ("http://host:99999/?watch=ABCDEF", "not a valid link"),
    ("http://host/evil?watch=ABCDEF", "root address"),
    ("http://user:pw@host/?watch=ABCDEF", "root address"),
    ("http://host/?watch=ABCDEF#x", "root address"),
    ("http://host/?watch=ABCDE", "exactly watch=CODE"),
    ("http://host/?watch=ABCDE0", "exactly watch=CODE"),  # 0 is not in the code alphabet
    ("http://host/?watch=ABCDEF&scene=xor", "exactly watch=CODE"),
    ("http://host/?text=anything", "exactly watch=CODE"),
    ("buy cheap pills at http://spam.example", "http:// or https://"),
])
def test_anything_but_a_viewer_link_is_refused_with_a_400_naming_text(client, text, why):
    r = client.get("/qr.svg", params={} if text is None else {"text": text})
    assert r.status_code == 400
    body = r.json()
    assert body["type"] == "error" and body["code"] == "invalid_value" and body["field"] == "text"
    assert body["message"].startswith("text: ") and why in body["message"]


# --- a room's viewers see the scene panel the presenter's page asks for ---------------------------------
def lectures_before_step(reader, step: int) -> list[dict]:
    """The ``lecture`` messages a socket gets before the ``state`` of ``step`` (bounded: a room forwards
    the presenter's messages in order, so a panel answer sent before a step arrives before its state)."""
    seen = []
    for _ in range(200):
        m = reader.next()
        if isinstance(m, dict) and m["type"] == "lecture":
            seen.append(m)
        if isinstance(m, dict) and m["type"] == "state" and m["step"] == step:
            return seen
    raise AssertionError(f"no state of step {step}")


def test_viewers_get_the_presenters_lecture_panel_and_late_viewers_the_last_one():
    from tests.server.helpers import Reader

    with TestClient(create_app(Settings())) as c, c.websocket_connect("/ws") as pws, \
            c.websocket_connect("/ws") as vws:
        pr, vr = Reader(pws), Reader(vws)
        pr.hello(scene="xor-by-hand")
        pr.send(type="present")
        code = pr.until("room")["code"]
        vr.send(type="hello", watch=code)
        vr.until("state")
        pr.send(type="lecture", what="walkthrough")
        mine = pr.until("lecture")
        assert mine["data"]["output"] == [[0], [1], [1], [0]]
        pr.send(type="step", n=1)
        assert lectures_before_step(vr, 1) == [mine]  # the viewer was not left with an empty panel
        with c.websocket_connect("/ws") as lws:  # joins after the answer: it gets the panel with the rest
            late = Reader(lws)
            late.send(type="hello", watch=code)
            pr.send(type="step", n=1)
            assert lectures_before_step(late, 2) == [mine]
