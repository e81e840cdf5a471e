"""protocol/jsontext.py: compact JSON text, never NaN or Infinity."""

from __future__ import annotations

import json
import math

import pytest

from app.protocol import jsontext as p


def test_dumps_turns_non_finite_numbers_into_null():
    text = p.dumps({"type": "x", "a": [1.0, float("nan")], "b": {"c": float("-inf")}})
    assert json.loads(text) == {"type": "x", "a": [1.0, None], "b": {"c": None}}


@pytest.mark.parametrize("inf", [False, True], ids=["all finite", "with a non-finite number"])
def test_dumps_is_compact_keeps_key_order_and_writes_finite_numbers_exactly(inf):
    # Both paths (plain, and the rewrite after json refuses a non-finite number) give the same text.
    message = {"type": "frame", "z": (0.1, math.inf if inf else 2), "a": [{"b": 1e308, "c": -0.0}], "n": 3,
               "s": "NaN"}
    z = "null" if inf else "2"
    expected = '{"type":"frame","z":[0.1,' + z + '],"a":[{"b":1e+308,"c":-0.0}],"n":3,"s":"NaN"}'
    assert p.dumps(message) == expected
