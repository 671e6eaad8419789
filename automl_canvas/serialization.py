"""JSON-safe values for JSON columns and evidence files (one rule for both).

numpy is looked up, not imported: a numpy value can exist only once numpy is
loaded, and the audit log (so every database command, `automl-canvas jobs`
included) uses this module, so plain data never pays for importing numpy.
"""

from __future__ import annotations

import math
import sys
from typing import Any

__all__ = ["json_safe"]


def json_safe(value: Any) -> Any:
    """A JSON-ready copy: numpy scalars and arrays to Python, NaN/inf to None
    (PostgreSQL's JSON rejects NaN, and a browser's JSON.parse does too)."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    np = sys.modules.get("numpy")
    if np is not None:
        if isinstance(value, np.ndarray):
            return json_safe(value.tolist())
        if isinstance(value, np.generic):
            value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
