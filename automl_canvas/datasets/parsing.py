"""Turn an uploaded file into a pandas DataFrame, or explain why it cannot be used.

:func:`read_table` is pure: it reads one file, never writes anything, and either
returns a lightly normalised frame or raises :class:`DatasetValidationError`
with one plain sentence naming the problem and what to do about it.

Normalisation is deliberately light and lossless: surrounding whitespace is
stripped from column names and text values, text that is empty after stripping
becomes missing, rows in which every cell is missing are dropped, and infinite
numbers become missing (their per-column counts are kept in
``df.attrs["canvas_inf_counts"]`` so the profile can still report them).  Every
other value stays as the parser read it; the result round-trips through
``DataFrame.to_parquet``.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
from collections import Counter
from itertools import islice
from pathlib import Path

import numpy as np
import pandas as pd

from automl_canvas.datasets.text_checks import check_merged_rows, markup_error, markup_kind, unclosed_quote_error
from automl_canvas.errors import DatasetValidationError

__all__ = [
    "CANDIDATE_DELIMITERS",
    "INF_COUNTS_ATTR",
    "READ_INFO_ATTR",
    "SUPPORTED_EXTENSIONS",
    "read_table",
]

SUPPORTED_EXTENSIONS: tuple[str, ...] = (".csv", ".tsv", ".txt", ".xlsx", ".parquet")
TEXT_EXTENSIONS = (".csv", ".tsv", ".txt")
CANDIDATE_DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")
#: ``df.attrs`` key: {column: number of inf/-inf values replaced by missing}.
INF_COUNTS_ATTR = "canvas_inf_counts"
#: ``df.attrs`` key: how the file was read (format, encoding, delimiter, engine...).
READ_INFO_ATTR = "canvas_read_info"

_SNIFF_BYTES = 64 * 1024
_MAX_HEADER_BYTES = 16 * 1024 * 1024
_UNSUPPORTED_SEPARATORS = (":", "^", "~", "#")
_DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "pipes (|)", ":": "colons (:)",
                    "^": "carets (^)", "~": "tildes (~)", "#": "hashes (#)"}
#: The strings pandas treats as missing by default; used for every format.
NA_STRINGS = ("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
              "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null")
_EXCEL_ERRORS = ("#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#N/A")
_MAGIC = (
    (b"PK\x03\x04", "a zip archive or an Excel workbook"),
    (b"PAR1", "a Parquet file"),
    (b"\xd0\xcf\x11\xe0", "an old-style Excel (.xls) or other Office file"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x1f\x8b", "a gzip archive"),
)
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")
_C_FIELDS_RE = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def _fail(message: str, **details) -> DatasetValidationError:
    return DatasetValidationError(message, details=details)


def _mb(n_bytes: float) -> str:
    mb = n_bytes / (1024 * 1024)
    return f"{mb:.0f}" if mb >= 10 else f"{mb:.1f}" if mb >= 0.1 else f"{mb:.3g}"


def read_table(path: Path, filename: str, *, max_bytes: int, max_columns: int, min_rows: int = 10) -> pd.DataFrame:
    """Read ``path`` (uploaded as ``filename``) into a DataFrame or raise DatasetValidationError."""
    path = Path(path)
    ext = Path(filename).suffix.lower()
    if ext not in SUPPORTED_EXTENSIONS:
        shown = f"'{ext}'" if ext else "no extension"
        hint = " (save old .xls workbooks as .xlsx)" if ext == ".xls" else ""
        raise _fail(f"Files with {shown} are not supported{hint}; upload a file ending in "
                    f"{', '.join(SUPPORTED_EXTENSIONS[:-1])} or {SUPPORTED_EXTENSIONS[-1]}.",
                    extension=ext, supported=list(SUPPORTED_EXTENSIONS))
    size = path.stat().st_size
    if size > max_bytes:
        raise _fail(f"The file is {_mb(size)} MB, which is over the {_mb(max_bytes)} MB upload limit; remove "
                    "rows or columns you do not need (or save it as Parquet, which is smaller) and upload it again.",
                    size_bytes=size, max_bytes=max_bytes)
    if size == 0:
        raise _empty_error()
    if ext in TEXT_EXTENSIONS:
        df, info = _read_text(path, ext, size, max_columns)
    elif ext == ".xlsx":
        df, info = _read_excel(path, max_columns)
    else:
        df, info = _read_parquet(path, max_columns)
    if df.shape[1] == 0:
        raise _empty_error()
    df, inf_counts, n_dropped = _normalise(df)
    where, sheet_hint = _sheet_words(info)
    if len(df) == 0:
        raise _fail(f"{where} has a header row but no data rows; add the data below the header and upload it "
                    f"again.{sheet_hint}", n_rows=0, **_sheet_details(info))
    if len(df) < min_rows:
        raise _fail(f"{where} has only {len(df)} data row{'s' if len(df) != 1 else ''}, but at least {min_rows} "
                    f"are needed to learn anything; add more rows and upload it again.{sheet_hint}",
                    n_rows=len(df), min_rows=min_rows, **_sheet_details(info))
    info["n_empty_rows_dropped"] = n_dropped
    df.attrs[INF_COUNTS_ATTR] = inf_counts
    df.attrs[READ_INFO_ATTR] = info
    return df


def _sheet_words(info: dict) -> tuple[str, str]:
    """("The file" | "The sheet 'X' (the first of the workbook)", a sentence naming the sheets not read)."""
    if info.get("format") != "xlsx":
        return "The file", ""
    others = info.get("other_sheets") or []
    if not others:
        return f"The sheet '{info['sheet_name']}'", ""
    listed = ", ".join(f"'{o}'" for o in others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
    hint = (f" The workbook also has {'sheets' if len(others) > 1 else 'a sheet'} {listed}: if the data is there, "
            "move it to the first sheet or save that sheet as CSV.")
    return f"The sheet '{info['sheet_name']}' (the first of the workbook, the only one read)", hint


def _sheet_details(info: dict) -> dict:
    return {"sheet": info["sheet_name"], "other_sheets": info["other_sheets"]} if info.get("format") == "xlsx" else {}


def _empty_error() -> DatasetValidationError:
    return _fail("The file is empty; upload a file with a header row and at least one row of data.", n_rows=0)


# --------------------------------------------------------------------------- names
def _clean_names(raw: list) -> list[str]:
    """Strip names, name blank ones ``column_<n>``, and refuse duplicates by name."""
    names = []
    for value in raw:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            value = ""
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        names.append(str(value).replace("\ufeff", "").strip())
    counts = Counter(n for n in names if n)
    dups = [n for n, c in counts.items() if c > 1]
    if dups:
        listed = " and ".join(", ".join(f"'{n}' ({counts[n]} times)" for n in dups).rsplit(", ", 1))
        raise _fail(f"Column names must be unique, but {listed} appear{'s' if len(dups) == 1 else ''} more than "
                    "once; rename the duplicate columns and upload the file again.", duplicate_columns=dups)
    used = set(names)
    for i, name in enumerate(names):
        if not name:
            candidate = f"column_{i + 1}"
            while candidate in used:
                candidate += "_"
            names[i] = candidate
            used.add(candidate)
    return names


def _check_width(n: int, max_columns: int) -> None:
    if n > max_columns:
        raise _fail(f"The file has {n:,} columns, more than the limit of {max_columns:,}; keep only the columns "
                    "you need and upload it again.", n_columns=n, max_columns=max_columns)


# --------------------------------------------------------------------------- text
def _read_head(path: Path, size: int) -> bytes:
    with open(path, "rb") as fh:
        head = fh.read(_SNIFF_BYTES)
        while b"\n" not in head and len(head) < min(size, _MAX_HEADER_BYTES):
            head += fh.read(_SNIFF_BYTES)
        if len(head) > _SNIFF_BYTES and len(head) < size:
            head += fh.read(_SNIFF_BYTES)  # a long header line: keep some data rows after it
    return head


def _binary_error(what: str = "not be text", ask: bool = True) -> DatasetValidationError:
    """People's words, not "NUL bytes" or "byte-order mark": what the file seems to be, and how to make a good one."""
    question = "; is it an Excel file saved with a .csv name?" if ask else ""
    return _fail(f"The file does not look like a text table (it appears to {what}{question}): upload a CSV, "
                 "Excel (.xlsx) or Parquet file under its own extension, for example from Excel with 'Save As' "
                 "and 'CSV UTF-8'.", reason="binary")


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(8 * 1024 * 1024):
                if encoding in ("utf-8", "cp1252") and chunk.isascii():
                    continue
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _detect_encoding(path: Path, head: bytes) -> str:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        if not _decodes(path, "utf-16"):
            raise _binary_error()
        return "utf-16"
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise _binary_error(f"be {what}", ask=False)
    if b"\x00" in head:
        raise _binary_error("not be text, holding bytes that a text file never has, as an Excel file or "
                            "a 'Unicode text' export does")
    if head.startswith(codecs.BOM_UTF8):
        if not _decodes(path, "utf-8-sig"):
            raise _binary_error("say it is UTF-8 text, yet some of its characters are not")
        return "utf-8-sig"
    for encoding in ("utf-8", "cp1252"):
        if _decodes(path, encoding):
            return encoding
    return "latin-1"


def _consistent_width(sample: str, delimiter: str) -> int:
    """Number of fields when ``delimiter`` splits the sample consistently (>= 2), else 0."""
    try:
        rows = [r for r in islice(csv.reader(io.StringIO(sample), delimiter=delimiter, quotechar='"'), 200) if r]
    except csv.Error:
        return 0
    if not rows or len(rows[0]) < 2:
        return 0
    width, body = len(rows[0]), rows[1:]
    if body and sum(len(r) == width for r in body) < 0.9 * len(body):
        return 0
    return width


def _sniff_delimiter(sample: str) -> str | None:
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters="".join(CANDIDATE_DELIMITERS)).delimiter
    except csv.Error:
        sniffed = None
    if sniffed in CANDIDATE_DELIMITERS and _consistent_width(sample, sniffed):
        return sniffed
    widths = {d: _consistent_width(sample, d) for d in CANDIDATE_DELIMITERS}
    best = max(widths, key=widths.get)
    return best if widths[best] else None


def _first_record(sample: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader(io.StringIO(sample), delimiter=delimiter, quotechar='"'), [])
    except csv.Error:
        return sample.splitlines()[0].split(delimiter) if sample else []


def _wrong_delimiter(sample: str, used: str) -> None:
    """Raise when the header splits with a separator other than ``used`` (called only when sniffing failed)."""
    header_line = sample.splitlines()[0] if sample else ""
    for d in CANDIDATE_DELIMITERS:
        if d != used and len(_first_record(header_line, d)) >= 2:
            raise _fail(f"The file could not be split into columns: its header is separated by "
                        f"{_DELIMITER_NAMES[d]} but the data rows do not have the same number of fields with that "
                        "separator; use one separator consistently on every line and upload it again.",
                        delimiter_seen=d)
    for d in _UNSUPPORTED_SEPARATORS:
        if len(_first_record(header_line, d)) >= 2 and _consistent_width(sample, d):
            raise _fail(f"The file seems to be separated by {_DELIMITER_NAMES[d]}, which is not supported; save it "
                        "again separated by commas, semicolons, tabs or pipes and upload it again.",
                        delimiter_seen=d)


def _read_text(path: Path, ext: str, size: int, max_columns: int) -> tuple[pd.DataFrame, dict]:
    head = _read_head(path, size)
    encoding = _detect_encoding(path, head)
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=len(head) >= size)
    if not text.strip():
        if len(head) >= size:
            raise _empty_error()
        raise _binary_error("start with a long run of blank characters")
    looks_like = markup_kind(text, whole=len(head) >= size)
    if looks_like:
        raise markup_error(looks_like, ext)
    if len(_CONTROL_RE.findall(text)) > 0.01 * len(text) or (
            encoding == "latin-1" and len(re.findall("[\x80-\x9f]", text)) > 0.01 * len(text)):
        raise _binary_error()
    sample = text if len(head) >= size else text[: text.rfind("\n") + 1] or text
    sample = sample.lstrip("\r\n")
    delimiter = _sniff_delimiter(sample)
    sniffed = delimiter is not None
    if not sniffed:
        delimiter = "\t" if ext == ".tsv" else ","
        if len(_first_record(sample, delimiter)) < 2:
            _wrong_delimiter(sample, delimiter)
    header = _first_record(sample, delimiter)
    _check_width(len(header), max_columns)
    names = _clean_names(header)
    try:
        df, engine = _parse_with_arrow(path, encoding, delimiter), "pyarrow"
    except Exception:  # noqa: BLE001 - any arrow failure: the C parser gives the precise message
        df, engine = _parse_with_c(path, encoding, delimiter), "c"
    if df.shape[1] == len(names):
        df.columns = names
    else:
        df.columns = _clean_names(list(df.columns))
    if df.shape[1] == 1 and not sniffed:
        _wrong_delimiter(sample, delimiter)
    _check_width(df.shape[1], max_columns)
    check_merged_rows(df, delimiter)
    return df, {"format": "text", "encoding": encoding, "delimiter": delimiter, "engine": engine}


def _parse_with_arrow(path: Path, encoding: str, delimiter: str) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(encoding="utf-8" if encoding == "utf-8-sig" else encoding,
                                       block_size=4 * 1024 * 1024),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char='"', double_quote=True,
                                         ignore_empty_lines=True),
        convert_options=pacsv.ConvertOptions(null_values=list(NA_STRINGS), strings_can_be_null=True,
                                             true_values=["true", "True", "TRUE"],
                                             false_values=["false", "False", "FALSE"]),
    )
    for i, field in enumerate(table.schema):
        if pa.types.is_time(field.type):
            table = table.set_column(i, field.name, table.column(i).cast(pa.string()))
    return table.to_pandas(date_as_object=False, self_destruct=True)


def _parse_with_c(path: Path, encoding: str, delimiter: str) -> pd.DataFrame:
    try:
        df = pd.read_csv(path, sep=delimiter, encoding=encoding, engine="c", low_memory=False, quotechar='"',
                         float_precision="round_trip", skip_blank_lines=True)
    except pd.errors.EmptyDataError:
        raise _empty_error() from None
    except UnicodeDecodeError:
        raise _binary_error() from None
    except pd.errors.ParserError as exc:
        match = _C_FIELDS_RE.search(str(exc))
        if match:
            expected, line, saw = (int(g) for g in match.groups())
            raise _fail(f"Line {line} has {saw} fields but the header has {expected}; check that line for an "
                        "unquoted separator or a stray character and upload the file again.",
                        line=line, expected_fields=expected, found_fields=saw) from None
        unclosed = unclosed_quote_error(str(exc))
        if unclosed is not None:
            raise unclosed from None
        reason = str(exc).replace("Error tokenizing data. ", "").strip().rstrip(".")
        raise _fail(f"The file could not be read as a table ({reason}); check it is a well-formed delimited "
                    "text file and upload it again.", reason=reason) from None
    if not isinstance(df.index, pd.RangeIndex):  # pandas used the first column as index: rows are wider
        raise _fail(f"Line 2 has {df.shape[1] + df.index.nlevels} fields but the header has {df.shape[1]}; "
                    "check that line for an unquoted separator or a trailing separator and upload the file again.",
                    line=2, expected_fields=df.shape[1], found_fields=df.shape[1] + df.index.nlevels)
    return df


# --------------------------------------------------------------------------- excel / parquet
def _read_excel(path: Path, max_columns: int) -> tuple[pd.DataFrame, dict]:
    invalid = _fail("The file is not a readable Excel workbook (.xlsx); open it in Excel and save it again as "
                    ".xlsx, or export the sheet as CSV, and upload it again.", reason="invalid_xlsx")
    with open(path, "rb") as fh:
        if fh.read(4) != b"PK\x03\x04":
            raise invalid
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many types for broken files
        raise invalid from None
    try:
        if not wb.worksheets:
            raise _empty_error()
        sheets = [ws.title for ws in wb.worksheets]
        rows = wb.worksheets[0].iter_rows(values_only=True)
        header: tuple = ()
        for header in rows:
            if any(v is not None and str(v).strip() for v in header):
                break
        else:
            raise _empty_error()
        data = [r for r in rows if any(v is not None for v in r)]
    except DatasetValidationError:
        raise
    except Exception:  # noqa: BLE001
        raise invalid from None
    finally:
        wb.close()

    def used_width(row) -> int:
        return max((i + 1 for i, v in enumerate(row) if v is not None and v != ""), default=0)

    width = max([used_width(header)] + [used_width(r) for r in data])
    _check_width(width, max_columns)
    names = _clean_names(list(header[:width]) + [None] * (width - len(header)))
    data = [tuple(r[:width]) + (None,) * (width - len(r)) for r in data]
    df = pd.DataFrame(data, columns=names, dtype=object) if data else pd.DataFrame(columns=names)
    missing_tokens = set(NA_STRINGS) | set(_EXCEL_ERRORS)
    for name in df.columns:
        col = df[name]
        df[name] = col.mask(col.map(lambda v: isinstance(v, str) and v.strip() in missing_tokens).astype(bool))
    blank = df.map(lambda v: _is_missing(v) or (isinstance(v, str) and not v.strip())).all(axis=1)
    return df.loc[~blank].reset_index(drop=True), {"format": "xlsx", "sheet": 0, "sheet_name": sheets[0],
                                                   "other_sheets": sheets[1:]}


def _read_parquet(path: Path, max_columns: int) -> tuple[pd.DataFrame, dict]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
        _check_width(len([n for n in pf.schema_arrow.names if not n.startswith("__index_level_")]), max_columns)
        df = pf.read().to_pandas(date_as_object=False)
    except DatasetValidationError:
        raise
    except Exception:  # noqa: BLE001
        raise _fail("The file is not a readable Parquet file; export the data again as Parquet or as CSV and "
                    "upload it again.", reason="invalid_parquet") from None
    if not isinstance(df.index, pd.RangeIndex) or df.index.name is not None:
        df = df.reset_index()
    df.columns = _clean_names(list(df.columns))
    return df.reset_index(drop=True), {"format": "parquet"}


# --------------------------------------------------------------------------- normalisation
def _is_missing(v) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v))


def _as_text(s: pd.Series) -> pd.Series:
    if s.dtype == object:
        s = s.map(lambda v: None if _is_missing(v) else v if isinstance(v, str) else str(v))
        s = s.astype(pd.StringDtype(na_value=np.nan))
    s = s.str.strip()
    return s.mask(s == "")


def _normalise_column(s: pd.Series) -> pd.Series:
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(s.cat.categories.dtype if len(s.cat.categories) else object)
    if isinstance(s.dtype, pd.StringDtype):
        return _as_text(s)
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s.dt.as_unit("ms") if s.dt.unit == "s" else s
    if isinstance(s.dtype, pd.api.extensions.ExtensionDtype) and s.dtype.kind in "iuf":
        has_na = bool(s.isna().any())
        return s.astype("float64" if has_na or s.dtype.kind == "f" else s.dtype.numpy_dtype)
    if s.dtype != object:
        return s
    kind = pd.api.types.infer_dtype(s, skipna=True)
    if kind == "empty":
        return pd.Series(np.nan, index=s.index, dtype="float64", name=s.name)
    if kind == "string":
        return _as_text(s)
    if kind == "boolean":
        return s.astype("boolean") if s.isna().any() else s.astype(bool)
    if kind in ("integer", "floating", "mixed-integer-float", "decimal"):
        return pd.to_numeric(s.map(lambda v: np.nan if _is_missing(v) else v))
    if kind in ("datetime", "datetime64", "date"):
        try:
            return _normalise_column(pd.to_datetime(s))
        except (ValueError, TypeError):
            pass
    return _as_text(s)


def _normalise(df: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int], int]:
    columns, inf_counts = {}, {}
    for name in df.columns:
        s = _normalise_column(df[name])
        if s.dtype.kind == "f":
            inf = np.isinf(s.to_numpy())
            n_inf = int(inf.sum())
            if n_inf:
                inf_counts[str(name)] = n_inf
                s = s.mask(inf)
        columns[str(name)] = s.reset_index(drop=True)
    out = pd.DataFrame(columns)
    empty = out.isna().all(axis=1).to_numpy()
    n_dropped = int(empty.sum()) if out.shape[1] else 0
    if n_dropped:
        out = out.loc[~empty].reset_index(drop=True)
        for name in out.columns:
            if str(out[name].dtype) == "boolean" and not out[name].isna().any():
                out[name] = out[name].astype(bool)
    return out, inf_counts, n_dropped
