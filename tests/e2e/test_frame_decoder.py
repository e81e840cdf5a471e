"""The page's frame decoder (static/js/frame.js) against the server's encoder (app/protocol.py), both ways."""

from __future__ import annotations

import base64

import numpy as np

from app.protocol import FrameArray, decode_frame, encode_frame

DECODE_JS = """async (b64) => {
    const { decodeFrame, dequantize } = await import('/static/js/frame.js');
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const { header, arrays } = decodeFrame(bytes.buffer);
    const out = {};
    for (const [name, a] of Object.entries(arrays)) {
        out[name] = { data: Array.from(a.data), shape: a.shape, range: a.range, type: a.data.constructor.name,
                      first: a.range ? dequantize(a.data[0], a.range) : null };
    }
    return { header, arrays: out };
}"""

ENCODE_JS = """async () => {
    const { encodeFrame } = await import('/static/js/frame.js');
    const buf = encodeFrame({ step: 12, note: 'h\u00e9' }, [
        { name: 'output', dtype: 'uint8', shape: [2, 3], range: [-1, 1], data: [0, 1, 2, 253, 254, 255] },
        { name: 'region_map', dtype: 'uint16', shape: [3], data: [1, 65535, 7] },
    ]);
    let s = '';
    for (const b of new Uint8Array(buf)) s += String.fromCharCode(b);
    return btoa(s);
}"""


def test_the_page_decodes_the_servers_frames_without_copying(page):
    rng = np.random.default_rng(3)
    output = rng.integers(0, 256, size=(5, 5), dtype=np.uint8)
    thumbs = rng.integers(0, 256, size=(3, 4, 4), dtype=np.uint8)
    regions = rng.integers(0, 65536, size=(5, 5), dtype=np.uint16)
    message = encode_frame({"step": 42, "epoch": 1.5, "train_loss": 0.25, "weights": [[[0.5]]]},
                           [FrameArray("output", output, (-2.0, 3.0)),
                            FrameArray("thumbnails", thumbs, (-1.0, 1.0)),
                            FrameArray("region_map", regions)])
    got = page.evaluate(DECODE_JS, base64.b64encode(message).decode())
    assert got["header"]["step"] == 42 and got["header"]["weights"] == [[[0.5]]]
    assert got["arrays"]["output"]["data"] == output.ravel().tolist()
    assert got["arrays"]["output"]["shape"] == [5, 5]
    assert got["arrays"]["output"]["first"] == -2.0 + output.flat[0] / 255 * 5.0
    assert got["arrays"]["thumbnails"]["data"] == thumbs.ravel().tolist()
    assert got["arrays"]["region_map"]["type"] == "Uint16Array"
    assert got["arrays"]["region_map"]["data"] == regions.ravel().tolist()


def test_frames_the_page_builds_decode_in_python(page):
    message = base64.b64decode(page.evaluate(ENCODE_JS))
    assert (4 + int.from_bytes(message[:4], "little")) % 8 == 0
    header, arrays = decode_frame(message)
    assert header["step"] == 12 and header["note"] == "h\u00e9"
    assert arrays["output"].tolist() == [[0, 1, 2], [253, 254, 255]]
    assert arrays["region_map"].dtype == np.uint16 and arrays["region_map"].tolist() == [1, 65535, 7]


def test_a_truncated_frame_is_refused_with_a_reason(page):
    message = encode_frame({"step": 1}, [FrameArray("output", np.zeros((4, 4), np.uint8), (0.0, 1.0))])
    error = page.evaluate("""async (b64) => {
        const { decodeFrame } = await import('/static/js/frame.js');
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        try { decodeFrame(bytes.buffer); return null; } catch (e) { return e.message; }
    }""", base64.b64encode(message[:-3]).decode())
    assert error and "output" in error
