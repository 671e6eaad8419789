"""ID-like columns: values assigned to rows (row numbers, customer numbers, uuids), not measured.

Why a rule of its own: such a column has a different value on (almost) every
row, so a model can only memorise it; it cannot help predict a new case, and
the what-if form would ask the analyst to type one.  Uniqueness alone is not
enough (a price or an income can be unique and matter), so the rule asks for
whole numbers or text *and* an ID's shape.  The profiler marks such columns
``semantic_type == "id"``; ``training/preprocess.py: plan_features`` leaves them
out with :func:`id_reason`'s words, unless the analyst puts one back.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = ["code_like", "has_id_hint", "id_reason", "integer_id_like"]

_ID_HINTS = {"id", "uuid", "guid", "key", "identifier", "idx", "index", "rowid", "pk", "no", "nr", "num", "number",
             "code", "ref", "serial"}


def has_id_hint(name: str) -> bool:
    """The name says ID (``customer_id``, ``CustomerNo``, ``EmployeeNumber``): split on case and punctuation."""
    tokens = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", name)
    return any(t.lower() in _ID_HINTS for t in tokens)


def id_reason(column: dict) -> str:
    """Why an ID-like column (a stored column profile) is left out, in words; the one wording for it."""
    if column.get("unique_ratio", 1.0) >= 0.9995:
        return "has a different value on every row, like an ID"
    return f"has a different value on almost every row ({100 * column.get('unique_ratio', 1.0):.0f}% different), like an ID"


def integer_id_like(name: str, finite: np.ndarray, n_unique: int) -> bool:
    """Whole numbers that were assigned to rows (an ID), not measured.

    Why these tests and not "nearly unique" alone: a price or an income can be
    different on every row and still matter, so uniqueness (>= 95 %) must come
    with an ID's shape: a name that says so (``CustomerNo``), (nearly)
    consecutive values, values packed densely in their range (random whole
    numbers are 95 % distinct only when their range is at least ten times the
    number of rows, so a dense unique column was numbered on purpose), or
    regular steps (1000, 1010, 1020...).  Floats never get here.
    """
    n = len(finite)
    if n < 10 or n_unique < 0.95 * n:
        return False
    if has_id_hint(name):
        return True
    span = float(finite.max() - finite.min()) + 1
    if span <= 1.2 * n_unique or (n >= 50 and span <= 3 * n_unique):
        return True
    gaps = np.diff(np.unique(finite))
    if len(gaps) >= 19:
        _, counts = np.unique(gaps, return_counts=True)
        return bool(counts.max() >= 0.9 * len(gaps))
    return False


def code_like(sample: pd.Series) -> bool:
    """Short codes such as uuids or ``C-000688``: no spaces, a digit, about the same length every time."""
    values = sample.head(1000)
    if not len(values):
        return False
    lengths = values.str.len()
    shaped = ~values.str.contains(r"\s", regex=True) & values.str.contains(r"\d", regex=True)
    return bool(shaped.mean() >= 0.95 and lengths.std(ddof=0) <= 2)
