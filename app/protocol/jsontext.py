"""JSON text of server messages and of the frame header: compact, and never NaN or Infinity."""

from __future__ import annotations

import json
import math
from typing import Any


def dumps(message: Any) -> str:
    """JSON text of a server message; non-finite numbers (a diverged net) become null, never NaN."""
    try:
        return json.dumps(message, allow_nan=False, separators=(",", ":"))
    except ValueError:
        return json.dumps(_finite(message), allow_nan=False, separators=(",", ":"))


def _finite(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    return obj
