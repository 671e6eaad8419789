"""Records sent for scoring, checked against a version's feature schema: every bad field of every row named.

Shared by serving (the frame path and the hot path refuse the same input with the same message) and by
monitoring (pushed prediction records).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from ..errors import ValidationError
from ..training.preprocess import parse_date

__all__ = ["check_records", "validate_records"]


def _field_problem(kind: str, value: Any) -> str | None:
    if value is None:
        return None  # unknown: handled like a missing value in a file
    if kind == "numeric":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return "must be a number or null"
    elif kind == "categorical":
        if not isinstance(value, (str, int, float, bool)):
            return "must be a text, number or boolean value or null"
    elif kind == "datetime" and (not isinstance(value, str) or parse_date(value) is None):
        return "must be a date such as 2024-01-31 or null"
    return None


def validate_records(feature_schema: dict[str, Any], records: Any, max_rows: int) -> pd.DataFrame:
    """The records as a frame, or a ValidationError whose details list every (row, field, problem)."""
    needed = check_records(feature_schema, records, max_rows)
    return pd.DataFrame([{k: r[k] for k in needed} for r in records], columns=needed)


def check_records(feature_schema: dict[str, Any], records: Any, max_rows: int) -> list[str]:
    """The fields the model needs, after checking every record (the frame path and the hot path share it,
    so both refuse the same input with the same message)."""
    if not isinstance(records, list) or not records:
        raise ValidationError("Send 'records': a non-empty list of objects, one per row to score.",
                              details={"errors": [{"row": None, "field": "records", "problem": "must be a non-empty list"}]})
    if len(records) > max_rows:
        raise ValidationError(f"{len(records):,} records were sent; one request scores at most {max_rows:,}. "
                              "Use the batch upload for larger sets.", details={"errors": [
                                  {"row": None, "field": "records", "problem": f"at most {max_rows} rows"}]})
    columns: dict[str, dict[str, Any]] = feature_schema.get("columns") or {}
    needed = list(feature_schema.get("input_columns") or columns)
    ignored = set(feature_schema.get("dropped_columns") or ()) | {feature_schema.get("target")}
    errors: list[dict[str, Any]] = []
    for i, rec in enumerate(records):
        if not isinstance(rec, dict):
            errors.append({"row": i, "field": None, "problem": "must be an object of field name to value"})
            continue
        for name in needed:
            if name not in rec:
                errors.append({"row": i, "field": name, "problem": "is required (send null when unknown)"})
            else:
                problem = _field_problem(columns.get(name, {}).get("kind", "categorical"), rec[name])
                if problem:
                    errors.append({"row": i, "field": name, "problem": problem})
        errors.extend({"row": i, "field": k, "problem": "is not a field of this model"}
                      for k in rec if k not in needed and k not in ignored)
    if errors:
        fields = sorted({str(e["field"]) for e in errors if e["field"]})
        shown = "; ".join(f"row {e['row']}: '{e['field']}' {e['problem']}" for e in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise ValidationError(f"The records do not match the model's fields: {shown}{more}.",
                              details={"errors": errors[:200], "fields": fields, "expected_fields": needed})
    return needed
