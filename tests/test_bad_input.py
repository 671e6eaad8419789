"""Every bad input named by the core-engine issue: a clear error that names the
problem, and nothing half-written in the database or the artifact store.

Runs on SQLite and, with ``--db postgresql``, on the local PostgreSQL server.
Files are written by the test itself; nothing is mocked.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from automl_canvas.datasets.service import ingest_file
from automl_canvas.db import session_scope
from automl_canvas.errors import CanvasError, DatasetValidationError, NotFoundError, TrainingConfigError
from automl_canvas.models import Dataset, Job, ModelVersion
from automl_canvas.services.training import submit_training
from automl_canvas.training.spec import TrainingRequest

from .conftest import make_settings


def _frame(n=60, seed=0, **cols) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    base = {"x1": rng.normal(size=n).round(3), "x2": rng.integers(0, 9, n)}
    base.update({k: (v(n, rng) if callable(v) else v) for k, v in cols.items()})
    return pd.DataFrame(base)


def _csv(path: Path, df: pd.DataFrame) -> Path:
    df.to_csv(path, index=False)
    return path


def _write(path: Path, data: bytes | str) -> Path:
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


# --------------------------------------------------------------------------- upload-time problems
def _empty(d):
    return _write(d / "empty.csv", b"")


def _header_only(d):
    return _write(d / "header.csv", "age,income,churned\n")


def _garbage(d):
    rnd = random.Random(3)
    return _write(d / "data.csv", bytes(rnd.randrange(256) for _ in range(4096)))


def _wrong_delimiter(d):
    return _write(d / "semi.csv", "age;income;churned\n" + "".join(f"{i},{i * 2},{i % 2}\n" for i in range(30)))


def _duplicate_columns(d):
    return _write(d / "dups.csv", "id,age,age\n" + "".join(f"{i},{i},{i + 1}\n" for i in range(30)))


def _ten_thousand_columns(d):
    header = ",".join(f"c{i}" for i in range(10_000))
    row = ",".join("1" for _ in range(10_000))
    return _write(d / "wide.csv", header + "\n" + (row + "\n") * 12)


def _one_row(d):
    return _write(d / "one.csv", "age,income,churned\n41,52000,yes\n")


def _unsupported_extension(d):
    return _write(d / "model.pkl", b"\x80\x04\x95not really a pickle")


def _over_limit(d):
    return _csv(d / "big.csv", _frame(n=5_000, y=lambda n, r: r.choice(["a", "b"], n)))


UPLOAD_CASES = {
    "empty file": (_empty, "The file is empty"),
    "header only": (_header_only, "header row but no data rows"),
    "binary garbage": (_garbage, "does not look like a text table"),
    "wrong delimiter": (_wrong_delimiter, "header is separated by semicolons but the data rows"),
    "duplicate column names": (_duplicate_columns, "Column names must be unique.*'age'"),
    "10,000 columns": (_ten_thousand_columns, "10,000 columns, more than the limit of 2,000"),
    "one-row file": (_one_row, "only 1 data row"),
    "unsupported extension": (_unsupported_extension, "'.pkl' are not supported"),
    "over the upload limit": (_over_limit, "over the .*upload limit"),
}


# --------------------------------------------------------------------------- training-time problems
def _target_frame(kind: str) -> tuple[pd.DataFrame, str]:
    if kind == "missing target":
        return _frame(y=lambda n, r: r.choice(["a", "b"], n)), "churn"
    if kind == "one class":
        return _frame(y="yes"), "y"
    if kind == "all missing":
        return _frame(y=np.nan), "y"
    if kind == "sensitive column with thousands of values":
        return _frame(n=3_000, y=lambda n, r: r.choice(["a", "b"], n), postcode=lambda n, r: [f"P{i:05d}" for i in r.permutation(n) % 2_500]), "y"
    if kind == "over 100 classes":
        return _frame(n=1_000, y=lambda n, r: [f"class_{i % 150}" for i in range(n)]), "y"
    raise AssertionError(kind)


TRAINING_CASES = {
    "missing target": "The target column 'churn' does not exist in this dataset",
    "one class": "single value \\('yes'\\) in every row",
    "all missing": "has no values: every row is empty",
    "over 100 classes": "150 different values; at most 100 classes",
    "sensitive column with thousands of values": "'postcode' has 2,500 different values.*bin it",
}


def _state(engine, settings) -> tuple[int, int, int, list[str]]:
    with session_scope(engine) as s:
        counts = tuple(s.exec(sa.select(sa.func.count()).select_from(t)).one()[0] for t in (Dataset, Job, ModelVersion))
    files = sorted(str(p.relative_to(settings.artifact_dir)) for p in settings.artifact_dir.rglob("*") if p.is_file())
    return (*counts, files)


CASES = [("upload", k) for k in UPLOAD_CASES] + [("training", k) for k in TRAINING_CASES] + [("lookup", "unknown dataset id")]


@pytest.mark.parametrize(("stage", "case"), CASES, ids=[c for _, c in CASES])
def test_bad_input_is_refused_clearly_and_leaves_nothing(stage, case, tmp_path, pg_database_url, engine, analyst, project):
    limit = 50_000 if case == "over the upload limit" else 10_000_000
    settings = make_settings(tmp_path / "home", pg_database_url, max_upload_bytes=limit)
    files = tmp_path / "files"
    files.mkdir()
    if stage == "upload":
        make, message = UPLOAD_CASES[case]
        before = _state(engine, settings)
        with pytest.raises(DatasetValidationError, match=message) as err:
            ingest_file(engine, settings, analyst, project.id, make(files))
    elif stage == "training":
        df, target = _target_frame(case)
        big = make_settings(tmp_path / "home", pg_database_url)
        ds = ingest_file(engine, big, analyst, project.id, _csv(files / "t.csv", df))
        before = _state(engine, settings)
        sensitive = ["postcode"] if "sensitive" in case else []
        with pytest.raises(TrainingConfigError, match=TRAINING_CASES[case]) as err:
            submit_training(engine, settings, analyst, ds.id, TrainingRequest(target=target, budget=5, sensitive_columns=sensitive))
    else:
        before = _state(engine, settings)
        with pytest.raises(NotFoundError, match="Dataset 424242 does not exist") as err:
            submit_training(engine, settings, analyst, 424242, TrainingRequest(target="y", budget=5))
    assert isinstance(err.value, CanvasError) and err.value.code in {"invalid_dataset", "invalid_training_config", "not_found"}
    assert "Traceback" not in err.value.message and len(err.value.message) < 400
    assert _state(engine, settings) == before, "a refused input must leave no rows and no files behind"


def test_mixed_types_and_infinities_ingest_with_findings_that_say_what_to_do(tmp_path, settings, engine, analyst, project):
    df = _frame(y=lambda n, r: r.choice(["a", "b"], n))
    df["size"] = (["1", "2", "3", "small", "large"] * len(df))[: len(df)]
    df["ratio"] = np.linspace(0, 1, len(df))
    df.loc[[1, 2], "ratio"] = [np.inf, -np.inf]
    ds = ingest_file(engine, settings, analyst, project.id, _csv(tmp_path / "messy.csv", df))
    by_code = {f["code"]: f for f in ds.profile["findings"]}
    assert by_code["mixed_types"]["column"] == "size"
    assert by_code["inf_values"]["column"] == "ratio"
    for f in (by_code["mixed_types"], by_code["inf_values"]):
        assert f["severity"] in {"warning", "error"} and f["message"] and f["fix"]


def test_identical_reupload_is_deduplicated(tmp_path, settings, engine, analyst, project):
    path = _csv(tmp_path / "a.csv", _frame(y=lambda n, r: r.choice(["a", "b"], n)))
    first = ingest_file(engine, settings, analyst, project.id, path)
    copy = tmp_path / "renamed.csv"
    copy.write_bytes(path.read_bytes())
    second = ingest_file(engine, settings, analyst, project.id, copy)
    assert second.id == first.id and second.sha256 == first.sha256
    parquet = [p for p in (settings.artifact_dir / "datasets").rglob("*.parquet")]
    assert len(parquet) == 1
    with session_scope(engine) as s:
        assert s.exec(sa.select(sa.func.count()).select_from(Dataset)).one()[0] == 1
