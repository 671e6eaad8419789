"""Checks on a text upload that the parsers would accept, or explain badly, on their own.

* An HTML page or a JSON document saved under a ``.csv`` name parses as a
  one-column (or ragged) "table"; say what the file is instead.
* A stray double quote makes the parser read every line up to the next quote
  as one value: 149 rows became 74 and the table still trained.  A value that
  holds whole records (line breaks, and on a following line at least as many
  separators as a row has) is refused, naming the lines it swallowed; an
  unclosed quote at the end of the file is named by its line.
"""

from __future__ import annotations

import json
import re

import pandas as pd

from ..errors import DatasetValidationError

__all__ = ["check_merged_rows", "markup_error", "markup_kind", "unclosed_quote_error"]

_HTML_RE = re.compile(r"^\s*(<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]|<!--|<\?xml|<[a-zA-Z][\w-]*[\s>/])", re.IGNORECASE)
_EOF_RE = re.compile(r"EOF inside string starting at row (\d+)")


def markup_kind(text: str, whole: bool) -> str | None:
    """"an HTML page", "an XML document" or "a JSON document" when the text is one, else None.
    ``whole``: ``text`` is the entire file (a JSON document can then be parsed to be sure)."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if _HTML_RE.match(stripped):
        return "an XML document" if stripped.startswith("<?xml") else "an HTML page"
    if stripped[:1] in ("{", "["):
        if whole:
            try:
                json.loads(stripped)
                return "a JSON document"
            except ValueError:
                pass
        nxt = stripped[1:].lstrip(" \t\r\n")[:1]
        if (stripped[0] == "{" and nxt in ('"', "}")) or (stripped[0] == "[" and nxt in ("{", "[", '"', "]")):
            return "a JSON document"
    return None


def markup_error(what: str, ext: str) -> DatasetValidationError:
    return DatasetValidationError(
        f"The file is {what}, not a table of rows and columns, although its name ends in '{ext}'. "
        "Upload the data itself as CSV, Excel (.xlsx) or Parquet (for a web page: export or download the table, "
        "not the page).", details={"reason": "not_a_table", "looks_like": what})


def unclosed_quote_error(parser_message: str) -> DatasetValidationError | None:
    """A clear message for the C parser's 'EOF inside string starting at row N' (None for other errors)."""
    match = _EOF_RE.search(parser_message)
    if not match:
        return None
    line = int(match.group(1)) + 1
    return DatasetValidationError(
        f"Line {line} opens a quote (\") that is never closed, so every line after it would be read as one value; "
        "close or remove that quote and upload the file again.", details={"reason": "unclosed_quote", "line": line})


def check_merged_rows(df: pd.DataFrame, delimiter: str, header_lines: int = 1) -> None:
    """Refuse a table in which one value swallowed whole records between two stray quotes."""
    width = df.shape[1]
    if width < 2 or df.empty:
        return
    text_cols = [c for c in df.columns if df[c].dtype == object or pd.api.types.is_string_dtype(df[c].dtype)]
    if not text_cols:
        return
    breaks = pd.Series(0, index=df.index)
    for c in text_cols:
        breaks = breaks + df[c].astype("string").str.count("\n").fillna(0).astype(int)
    if not breaks.any():
        return
    before = breaks.cumsum() - breaks  # line breaks inside values of earlier rows
    for i in breaks[breaks > 0].index:
        for c in text_cols:
            value = df.at[i, c]
            if not isinstance(value, str) or "\n" not in value:
                continue
            swallowed = [ln for ln in value.split("\n")[1:] if ln.count(delimiter) >= width - 1]
            if not swallowed:
                continue
            pos = df.index.get_loc(i)
            first = header_lines + 1 + pos + int(before.loc[i])
            last = first + int(breaks.loc[i])
            raise DatasetValidationError(
                f"Lines {first} to {last} were read as a single row: a quote (\") in line {first} only closes in "
                f"line {last}, so {last - first} line(s) of data became one value of '{c}'. Remove or close the "
                "stray quote and upload the file again.",
                details={"reason": "merged_rows", "first_line": first, "last_line": last, "column": str(c)})
