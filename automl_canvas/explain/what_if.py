"""A what-if row typed in by a person, checked field by field before anything is computed.

The analyst app lets a person change one field and see the explanation move.
Every mistake is named in one message (fields missing, fields the model does
not use, numbers or dates that cannot be read), so the form can point at them;
an empty field is allowed and means "unknown", as a missing value in a file does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..errors import ValidationError

if TYPE_CHECKING:
    from ..training.pipeline import CanvasModel

__all__ = ["what_if_frame"]


def what_if_frame(model: CanvasModel, row: Mapping[str, Any] | pd.DataFrame) -> pd.DataFrame:
    """One user-supplied row as a one-row frame, or a ValidationError that names every bad field."""
    if isinstance(row, pd.DataFrame):
        if len(row) != 1:
            raise ValidationError(f"A what-if explanation takes exactly one row; {len(row)} were given.")
        frame = row
    elif isinstance(row, Mapping):
        frame = pd.DataFrame([dict(row)])
    else:
        raise ValidationError("A what-if row must be a mapping of column name to value.")
    pre = model.preprocessor
    needed = list(pre.input_columns)
    missing = [c for c in needed if c not in frame.columns]
    unknown = [c for c in frame.columns if c not in set(needed)]
    problems = []
    if missing:
        problems.append(f"is missing {len(missing)} field(s) the model needs: {', '.join(repr(c) for c in missing)}")
    if unknown:
        problems.append(f"has {len(unknown)} field(s) the model does not use: {', '.join(repr(c) for c in unknown)}")
    if problems:
        raise ValidationError(
            f"The row {' and '.join(problems)}. The model's fields are {', '.join(repr(c) for c in needed)}.",
            details={"missing_fields": missing, "unknown_fields": unknown},
        )
    bad = {}
    for col, kind in pre.plan.kinds.items():
        v = frame[col].iloc[0]
        if not isinstance(v, str) or not v.strip() or kind == "categorical":
            continue
        if kind == "numeric":
            parsed = pd.to_numeric(v, errors="coerce")
        else:
            parsed = pd.to_datetime(v, errors="coerce", format="mixed", utc=True)
        if pd.isna(parsed):
            bad[col] = v
    if bad:
        what = {"numeric": "a number", "datetime": "a date"}
        shown = ", ".join(f"'{c}' ({v!r} is not {what[pre.plan.kinds[c]]})" for c, v in bad.items())
        raise ValidationError(f"Some fields cannot be read: {shown}. Leave a field empty if it is unknown.",
                              details={"invalid_fields": list(bad)})
    return frame[needed]
