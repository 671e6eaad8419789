"""Clear, safe messages (issue 17, point 8): what a file is when it is not a table, the sheet that was read,
the lines a stray quote merged, no numpy reprs and no storage paths in what a person reads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from automl_canvas.datasets.parsing import read_table
from automl_canvas.datasets.service import ingest_file, load_frame
from automl_canvas.errors import DatasetValidationError, IntegrityError, TrainingConfigError
from automl_canvas.messages import plain, quoted
from automl_canvas.services.training import submit_training
from automl_canvas.training.spec import TrainingRequest


def _read(path: Path, name: str | None = None):
    return read_table(path, name or path.name, max_bytes=10**8, max_columns=100)


def _rows(n=149) -> list[str]:
    return ["id,name,score"] + [f"{i},name{i},{i * 2}" for i in range(n)]


@pytest.mark.parametrize("body,what", [
    ("<!DOCTYPE html>\n<html><head><title>Export</title></head><body><table><tr><td>a,b</td></tr></table></body></html>\n",
     "an HTML page"),
    ('[{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]\n', "a JSON document"),
    ('{"rows": [[1, 2], [3, 4]], "columns": ["a", "b"]}\n', "a JSON document"),
])
def test_html_and_json_under_a_csv_name_are_named_as_such(tmp_path, body, what):
    path = tmp_path / "data.csv"
    path.write_text(body)
    with pytest.raises(DatasetValidationError) as err:
        _read(path)
    assert err.value.message.startswith(f"The file is {what}, not a table") and "'.csv'" in err.value.message
    assert err.value.details["reason"] == "not_a_table"


def test_a_stray_quote_that_merges_rows_is_refused_with_the_line_numbers(tmp_path):
    lines = _rows()
    lines[11], lines[85] = '10,"broken name,20', '84,name84",168'  # 149 rows would have become 75
    path = tmp_path / "quoted.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DatasetValidationError) as err:
        _read(path)
    assert "Lines 12 to 86 were read as a single row" in err.value.message and "'name'" in err.value.message
    assert err.value.details == {"reason": "merged_rows", "first_line": 12, "last_line": 86, "column": "name"}


def test_an_unclosed_quote_is_named_by_its_line(tmp_path):
    lines = _rows()
    lines[11] = '10,"broken name,20'
    path = tmp_path / "unclosed.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DatasetValidationError, match=r"Line 12 opens a quote .* never closed"):
        _read(path)


def test_real_multi_line_values_are_still_read(tmp_path):
    lines = _rows(20)
    lines[5] = '4,"Flat 2\nHigh Street",8'  # a quoted address over two lines: no record inside it
    path = tmp_path / "addresses.csv"
    path.write_text("\n".join(lines) + "\n")
    df = _read(path)
    assert len(df) == 20 and df.loc[4, "name"] == "Flat 2\nHigh Street"


def test_a_two_sheet_workbook_names_the_sheet_read_and_the_others(tmp_path):
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path) as xl:
        pd.DataFrame({"total": [149]}).to_excel(xl, sheet_name="Summary", index=False)
        pd.DataFrame({"a": range(149), "b": range(149)}).to_excel(xl, sheet_name="Data", index=False)
    with pytest.raises(DatasetValidationError) as err:
        _read(path)
    message = err.value.message
    assert "The sheet 'Summary'" in message and "only 1 data row" in message and "'Data'" in message
    assert err.value.details["sheet"] == "Summary" and err.value.details["other_sheets"] == ["Data"]


def test_values_in_messages_are_plain_not_numpy_reprs(tmp_path, settings, engine, analyst, project):
    assert plain(np.int64(1)) == "1" and plain(np.float64(2.0)) == "2" and quoted(np.str_("yes")) == "'yes'"
    df = pd.DataFrame({"x": np.arange(40), "y": np.ones(40, dtype=np.int64)})
    path = tmp_path / "one_class.csv"
    df.to_csv(path, index=False)
    ds = ingest_file(engine, settings, analyst, project.id, path)
    with pytest.raises(TrainingConfigError) as err:
        submit_training(engine, settings, analyst, ds.id, TrainingRequest(target="y", budget=5))
    assert "single value ('1') in every row" in err.value.message and "np." not in err.value.message


def test_an_integrity_error_does_not_show_the_storage_path(tmp_path, settings, engine, analyst, project):
    df = pd.DataFrame({"x": np.arange(40), "y": np.arange(40) % 2})
    path = tmp_path / "fine.csv"
    df.to_csv(path, index=False)
    ds = ingest_file(engine, settings, analyst, project.id, path)
    stored = next((settings.artifact_dir / "datasets").rglob("*.parquet"))
    stored.write_bytes(stored.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(IntegrityError) as err:
        load_frame(settings, ds)
    for secret in (str(settings.home), str(settings.artifact_dir), str(stored), stored.name):
        assert secret not in err.value.message
    assert err.value.code == "integrity_error"
