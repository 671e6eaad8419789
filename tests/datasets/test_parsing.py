"""read_table: formats, encodings, delimiters, normalisation and every way a file can be refused."""

from __future__ import annotations

import random
import zipfile

import numpy as np
import pandas as pd
import pytest

from automl_canvas.datasets.parsing import INF_COUNTS_ATTR, READ_INFO_ATTR, SUPPORTED_EXTENSIONS, read_table
from automl_canvas.errors import DatasetValidationError

MB = 1024 * 1024
LIMITS = {"max_bytes": 10 * MB, "max_columns": 2_000}


def _rows(n: int = 12, sep: str = ",") -> str:
    return "".join(f"{i}{sep}{i * 1.5}{sep}name{i}\n" for i in range(n))


def write(tmp_path, name: str, content: str | bytes, encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


def read(path, filename: str | None = None, **kwargs) -> pd.DataFrame:
    return read_table(path, filename or path.name, **{**LIMITS, **kwargs})


def assert_parquet_roundtrip(df: pd.DataFrame, tmp_path) -> None:
    target = tmp_path / "roundtrip.parquet"
    df.to_parquet(target)
    pd.testing.assert_frame_equal(pd.read_parquet(target), df)


# --------------------------------------------------------------------------- bad inputs
def _xlsx_bytes(tmp_path, rows: list[list]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    path = tmp_path / "_tmp.xlsx"
    wb.save(path)
    return path.read_bytes()


def _broken_zip(tmp_path) -> bytes:
    path = tmp_path / "_broken.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hello.txt", "not a workbook")
    return path.read_bytes()


BAD_INPUTS = [
    # id, filename, content (or a callable of tmp_path), extra kwargs, substrings the message must contain
    ("too_large", "big.csv", "a,b\n" + "1,2\n" * 400_000, {"max_bytes": MB}, ["1.5 MB", "1.0 MB upload limit"]),
    ("unsupported_extension", "data.json", '{"a": 1}', {}, ["'.json'", ".csv", ".xlsx", ".parquet"]),
    ("old_excel", "book.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 100, {}, ["'.xls'", ".xlsx"]),
    ("no_extension", "data", "a,b\n1,2\n", {}, ["no extension", ".csv"]),
    ("empty", "empty.csv", b"", {}, ["empty"]),
    ("only_whitespace", "blank.csv", "  \n\n \t \n", {}, ["empty"]),
    ("header_only", "header.csv", "a,b,c\n", {}, ["header row but no data rows"]),
    ("header_then_blank_rows", "header.csv", "a,b,c\n,,\n , , \n", {}, ["header row but no data rows"]),
    ("nul_bytes", "nul.csv", b"a,b\x00\x00\x001,2\x00\x00" * 50, {}, ["not be text", "Excel file saved with a .csv name"]),
    ("random_bytes", "random.csv", random.Random(0).randbytes(4096), {}, ["does not look like a text table"]),
    ("undecodable", "weird.csv", bytes(range(0x80, 0xA0)) * 40 + b"\n", {}, ["does not look like a text table"]),
    ("zip_named_csv", "sheet.csv", _broken_zip, {}, ["zip archive or an Excel workbook"]),
    ("text_named_xlsx", "book.xlsx", "a,b\n1,2\n", {}, ["not a readable Excel workbook"]),
    ("zip_named_xlsx", "book.xlsx", _broken_zip, {}, ["not a readable Excel workbook"]),
    ("garbage_parquet", "data.parquet", random.Random(1).randbytes(2048), {}, ["not a readable Parquet file"]),
    ("text_parquet", "data.parquet", "a,b\n1,2\n", {}, ["not a readable Parquet file"]),
    ("wrong_delimiter", "semi.csv", "name;age;city\nAnn;30\nBob;25;Paris;x\nCy\nDee;1;2;3;4;5\n" * 3, {},
     ["header is separated by semicolons", "same number of fields"]),
    ("unsupported_delimiter", "colon.csv", "a:b:c\n" + "1:2:3\n" * 12, {}, ["separated by colons", "not supported"]),
    ("duplicate_columns", "dup.csv", "id,a,b,a,c,c,c\n" + "1,2,3,4,5,6,7\n" * 12, {},
     ["'a' (2 times)", "'c' (3 times)", "rename"]),
    ("duplicate_after_strip", "dup.csv", "x , x\n" + "1,2\n" * 12, {}, ["'x' (2 times)"]),
    ("duplicate_excel_header", "dup.xlsx", lambda p: _xlsx_bytes(p, [["a", "b", "a"]] + [[1, 2, 3]] * 12), {},
     ["'a' (2 times)"]),
    ("too_many_columns", "wide.csv", ",".join(f"c{i}" for i in range(10_000)) + "\n" + ",".join("1" * 10_000) + "\n",
     {}, ["10,000 columns", "limit of 2,000"]),
    ("too_few_rows", "one.csv", "a,b\n1,2\n", {}, ["only 1 data row", "at least 10"]),
    ("too_few_rows_custom", "five.csv", "a,b\n" + "1,2\n" * 5, {"min_rows": 6}, ["only 5 data rows", "at least 6"]),
    ("ragged_row", "ragged.csv", "a,b,c\n" + "1,2,3\n" * 5 + "4,5,6,7\n" + "1,2,3\n" * 5, {},
     ["Line 7 has 4 fields", "header has 3"]),
    ("ragged_first_row", "ragged.csv", "a,b,c\n1,2,3,4\n" + "1,2,3\n" * 12, {}, ["Line 2 has 4 fields", "header has 3"]),
    ("empty_excel_sheet", "empty.xlsx", lambda p: _xlsx_bytes(p, []), {}, ["empty"]),
]


@pytest.mark.parametrize(("filename", "content", "kwargs", "expected"),
                         [case[1:] for case in BAD_INPUTS], ids=[case[0] for case in BAD_INPUTS])
def test_bad_inputs_are_refused_with_a_specific_message(tmp_path, filename, content, kwargs, expected):
    data = content(tmp_path) if callable(content) else content
    path = write(tmp_path, filename, data)
    with pytest.raises(DatasetValidationError) as info:
        read(path, filename, **kwargs)
    message = info.value.message
    for part in expected:
        assert part in message, f"{part!r} not in {message!r}"
    assert info.value.code == "invalid_dataset"
    assert message.endswith(".") and message.count(". ") == 0, "one plain sentence"
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("_")) == [filename], "nothing written"


def test_supported_extensions_are_case_insensitive(tmp_path):
    assert SUPPORTED_EXTENSIONS == (".csv", ".tsv", ".txt", ".xlsx", ".parquet")
    df = read(write(tmp_path, "DATA.CSV", "a,b,c\n" + _rows()))
    assert df.shape == (12, 3)


# --------------------------------------------------------------------------- encodings and delimiters
CITIES = ["Zürich", "café", "Åre", "São Paulo"] * 3


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "latin-1", "cp1252", "utf-16"])
def test_encodings(tmp_path, encoding):
    sep = "\t" if encoding == "utf-16" else ","
    text = f"city{sep}n\n" + "".join(f"{c}{sep}{i}\n" for i, c in enumerate(CITIES))
    df = read(write(tmp_path, "cities.csv", text, encoding))
    assert list(df.columns) == ["city", "n"], "the BOM must not stick to the first name"
    assert df["city"].tolist() == CITIES
    assert df["n"].tolist() == list(range(12))
    assert_parquet_roundtrip(df, tmp_path)


def test_cp1252_euro_sign(tmp_path):
    df = read(write(tmp_path, "prices.csv", "item,price\n" + "Café €5,5\n" * 12, "cp1252"))
    assert df["item"].iloc[0] == "Café €5"
    assert df.attrs[READ_INFO_ATTR]["encoding"] == "cp1252"


@pytest.mark.parametrize(("sep", "filename"), [(",", "d.csv"), (";", "d.csv"), ("\t", "d.tsv"), ("\t", "d.txt"),
                                               ("|", "d.txt"), (";", "d.txt")])
def test_delimiters(tmp_path, sep, filename):
    df = read(write(tmp_path, filename, sep.join(["id", "amount", "label"]) + "\n" + _rows(15, sep)))
    assert list(df.columns) == ["id", "amount", "label"]
    assert df["amount"].iloc[3] == 4.5
    assert df["label"].iloc[14] == "name14"
    assert df.attrs[READ_INFO_ATTR]["delimiter"] == sep


def test_windows_line_endings_and_leading_blank_lines(tmp_path):
    df = read(write(tmp_path, "crlf.csv", "\r\n\r\nid;amount;label\r\n" + _rows(12, ";").replace("\n", "\r\n")))
    assert list(df.columns) == ["id", "amount", "label"]
    assert df["label"].iloc[-1] == "name11"


def test_semicolon_file_with_decimal_commas_in_quotes(tmp_path):
    text = 'name;price;note\n' + "".join(f'item{i};"{i},5";"a, b and c"\n' for i in range(12))
    df = read(write(tmp_path, "eu.csv", text))
    assert df.shape == (12, 3)
    assert df["price"].iloc[2] == "2,5"
    assert df["note"].iloc[0] == "a, b and c"


def test_quoted_newlines_and_delimiters_fall_back_to_the_c_parser(tmp_path):
    text = 'id,comment\n' + "".join(f'{i},"line one, with comma\nline two"\n' for i in range(12))
    df = read(write(tmp_path, "multi.csv", text))
    assert df.shape == (12, 2)
    assert df["comment"].iloc[0] == "line one, with comma\nline two"


def test_single_column_file_is_fine(tmp_path):
    df = read(write(tmp_path, "one.csv", "value\n" + "".join(f"{i}\n" for i in range(20))))
    assert list(df.columns) == ["value"]
    assert len(df) == 20


def test_short_rows_are_padded_with_missing(tmp_path):
    df = read(write(tmp_path, "short.csv", "a,b,c\n" + "1,2,3\n" * 10 + "4,5\n"))
    assert df.shape == (11, 3)
    assert np.isnan(df["c"].iloc[-1])


# --------------------------------------------------------------------------- normalisation
def test_names_values_blanks_and_inf_are_normalised(tmp_path):
    text = (" id ,,  label  ,score,flag,when\n"
            + "".join(f"{i}, {i} ,  x{i % 3}  ,{i / 2},true,2024-01-{i + 1:02d}\n" for i in range(10))
            + "10,,   ,inf,false,2024-01-11\n11,3, y ,-inf,,2024-01-12\n,,,,,\n\n")
    df = read(write(tmp_path, "messy.csv", text))
    assert list(df.columns) == ["id", "column_2", "label", "score", "flag", "when"]
    assert len(df) == 12, "the all-empty row is dropped"
    assert df.attrs[READ_INFO_ATTR]["n_empty_rows_dropped"] == 1
    assert df["label"].iloc[0] == "x0"
    assert pd.isna(df["label"].iloc[10]), "whitespace-only text becomes missing"
    assert df["label"].iloc[11] == "y"
    assert df["score"].isna().sum() == 2
    assert df.attrs[INF_COUNTS_ATTR] == {"score": 2}
    assert pd.api.types.is_datetime64_any_dtype(df["when"])
    assert str(df["flag"].dtype) == "boolean"
    assert_parquet_roundtrip(df, tmp_path)


def test_numbers_with_blank_strings_stay_text_for_the_profile(tmp_path):
    df = read(write(tmp_path, "telco.csv", "charges,n\n" + "".join(f"{i}.5,{i}\n" for i in range(12)) + " ,13\n"))
    assert not pd.api.types.is_numeric_dtype(df["charges"])
    assert df["charges"].isna().sum() == 1


def test_xlsx_first_sheet_with_mixed_cells(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["name", None, "amount", "when", "mixed", "flag"])
    for i in range(12):
        ws.append([f" n{i} ", i, i * 1.25, pd.Timestamp("2024-01-01") + pd.Timedelta(days=i),
                   "abc" if i % 2 else i, i % 2 == 0])
    ws.append(["#N/A", None, None, None, "#DIV/0!", None])
    wb.create_sheet("ignored").append(["other"])
    wb.save(tmp_path / "book.xlsx")
    df = read(tmp_path / "book.xlsx")
    assert list(df.columns) == ["name", "column_2", "amount", "when", "mixed", "flag"]
    assert len(df) == 12, "a row that holds only missing markers is dropped"
    assert df["name"].iloc[0] == "n0"
    assert df["column_2"].tolist() == list(range(12))
    assert pd.api.types.is_datetime64_any_dtype(df["when"])
    assert df["mixed"].tolist()[:2] == ["0", "abc"]
    assert df["flag"].dtype == bool
    assert_parquet_roundtrip(df, tmp_path)


def test_xlsx_written_by_pandas(tmp_path):
    src = pd.DataFrame({"a": range(15), "b": [f"v{i}" for i in range(15)], "c": np.linspace(0, 1, 15)})
    src.to_excel(tmp_path / "pandas.xlsx", index=False)
    df = read(tmp_path / "pandas.xlsx")
    pd.testing.assert_frame_equal(df, src, check_dtype=False)


def test_parquet(tmp_path):
    src = pd.DataFrame({
        "x": np.arange(20, dtype="int64"),
        "y": [f" s{i} " for i in range(20)],
        "z": np.r_[np.inf, np.arange(19.0)],
        "cat": pd.Categorical(["a", "b"] * 10),
        "nullable": pd.array([1, None] * 10, dtype="Int64"),
        "ts": pd.date_range("2024-01-01", periods=20, freq="h", tz="UTC"),
    })
    src.to_parquet(tmp_path / "data.parquet")
    df = read(tmp_path / "data.parquet")
    assert list(df.columns) == ["x", "y", "z", "cat", "nullable", "ts"]
    assert df["y"].iloc[1] == "s1"
    assert df.attrs[INF_COUNTS_ATTR] == {"z": 1}
    assert df["cat"].tolist()[:2] == ["a", "b"]
    assert df["nullable"].isna().sum() == 10
    assert_parquet_roundtrip(df, tmp_path)


def test_parquet_with_a_named_index_keeps_it_as_a_column(tmp_path):
    src = pd.DataFrame({"v": range(12)}, index=pd.Index([f"k{i}" for i in range(12)], name="key"))
    src.to_parquet(tmp_path / "indexed.parquet")
    df = read(tmp_path / "indexed.parquet")
    assert list(df.columns) == ["key", "v"]
