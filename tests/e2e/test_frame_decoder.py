"""The page's frame decoder (static/js/frame.js) against the server's encoder (app/protocol.py), both ways."""

from __future__ import annotations

import base64
import dataclasses

import numpy as np
import pytest

from app.config import SessionConfig
from app.protocol import FrameArray, decode_frame, encode_frame, encode_snapshot
from app.session import Session

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


# --- parameters as one float32 array (docs/protocol.md, "Parameters as one array") ------------------------
REBUILT_JS = """async (b64) => {
    const { decodeFrame } = await import('/static/js/frame.js');
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const { header } = decodeFrame(bytes.buffer);
    const params = (h) => ({ weights: h.weights, biases: h.biases, unit_params: h.unit_params });
    return { a: params(header), b: header.compare ? params(header.compare) : null };
}"""


def _frames_of(config: dict) -> tuple[bytes, bytes, list]:
    """A trained session's frame in both forms, and its networks (A, then B when comparing)."""
    s = Session(SessionConfig(**config, grid=10, thumbnail=4, points=40))
    s.train(25)
    snap = s.snapshot()
    nets = [s.network] + ([s.compare.network] if s.compare is not None else [])
    return encode_snapshot(snap), encode_snapshot(dataclasses.replace(snap, params_form="binary")), nets


def _as_float32(net) -> dict:
    """The reference: NumPy's float64 -> float32 rounding of the network's own arrays, as Python floats."""
    return {"weights": [w.astype(np.float32).tolist() for w in net.weights],
            "biases": [b.astype(np.float32).tolist() for b in net.biases],
            "unit_params": [{k: v.astype(np.float32).tolist() for k, v in u.items()}
                            for u in net.unit_params]}


@pytest.mark.parametrize("config", [
    {"hidden": [3, 2], "activation": "maxout", "maxout_k": 3},
    {"hidden": [5, 4], "activation": "prelu"},
    {"hidden": [4], "activation": "rbf"},
    {"hidden": [6], "activation": "relu", "compare": {"activation": "prelu", "hidden": [3, 3]}},
], ids=["maxout", "prelu", "rbf", "compare"])
def test_the_page_rebuilds_the_lists_of_a_binary_frame_equal_to_the_networks_in_float32(page, config):
    json_frame, binary_frame, nets = _frames_of(config)
    got = page.evaluate(REBUILT_JS, base64.b64encode(binary_frame).decode())
    from_json = page.evaluate(REBUILT_JS, base64.b64encode(json_frame).decode())
    pairs = zip(nets, [got["a"], got["b"]], [from_json["a"], from_json["b"]], strict=False)
    for net, rebuilt, listed in pairs:
        assert rebuilt == _as_float32(net)  # exactly: a float32 is a JS number without loss
        # the same shapes and keys as the JSON lists every reader of the header used, the same values to 4
        # decimals
        assert np.allclose(np.concatenate([np.ravel(w) for w in rebuilt["weights"]]),
                           np.concatenate([np.ravel(w) for w in listed["weights"]]), rtol=0, atol=5e-5 + 1e-7)
        assert [np.shape(w) for w in rebuilt["weights"]] == [np.shape(w) for w in listed["weights"]]
        assert [list(u) for u in rebuilt["unit_params"]] == [list(u) for u in listed["unit_params"]]
    assert (got["b"] is None) == (len(nets) == 1)


def test_the_page_reads_non_finite_params_as_null_as_json_has_them_and_refuses_a_layout_past_the_array(page):
    layout = [{"weights": [0, 1, 2], "biases": [2, 2], "unit_params": {"slope": [4, 1]}}]
    values = np.array([np.nan, np.inf, -np.inf, 0.5, 0.25], dtype=np.float32)
    frame = encode_frame({"step": 1, "param_layout": layout}, [FrameArray("params", values)])
    got = page.evaluate(REBUILT_JS, base64.b64encode(frame).decode())
    assert got["a"] == {"weights": [[[None, None]]], "biases": [[None, 0.5]],
                        "unit_params": [{"slope": [0.25]}]}
    beyond = [{"weights": [3, 1, 4], "biases": [0, 1], "unit_params": {}}]  # [3, 7) of 5 values
    past = encode_frame({"step": 1, "param_layout": beyond}, [FrameArray("params", values)])
    error = page.evaluate("""async (b64) => {
        const { decodeFrame } = await import('/static/js/frame.js');
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        try { decodeFrame(bytes.buffer); return null; } catch (e) { return e.message; }
    }""", base64.b64encode(past).decode())
    assert error and "param_layout" in error and "[3, 4]" in error
