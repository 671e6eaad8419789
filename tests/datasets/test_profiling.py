"""profile_frame and detect_task: exact findings on small frames, and the real datasets."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from automl_canvas.datasets.parsing import INF_COUNTS_ATTR, read_table
from automl_canvas.datasets.profiling import (
    FINDING_CODES,
    ColumnProfile,
    DatasetProfile,
    Finding,
    detect_task,
    profile_frame,
)
from automl_canvas.errors import DatasetValidationError, TrainingConfigError

from ..conftest import SHARED_DATASETS, shared_dataset

DATASETS = SHARED_DATASETS
LIMITS = {"max_bytes": 200 * 1024 * 1024, "max_columns": 2_000}


def codes(profile: DatasetProfile) -> set[tuple[str, str | None, str]]:
    return {(f.code, f.column, f.severity) for f in profile.findings}


def text(values) -> pd.Series:
    return pd.Series(values, dtype="str")


# --------------------------------------------------------------------------- small frames
def test_ids_constants_and_missing_values():
    rng = np.random.default_rng(0)
    n = 40
    df = pd.DataFrame({
        "customerID": text([f"{rng.integers(1000, 9999)}-C{i:03d}" for i in range(n)]),
        "row": np.arange(1, n + 1),
        "amount": rng.normal(50, 10, n),  # every value different, but a float: not an identifier
        "score": rng.integers(0, 5, n),
        "country": text(["CH"] * n),
        "half_empty": [1.0, None] * (n // 2),
        "almost_empty": [3.0] + [None] * 15 + [4.0] + [None] * (n - 17),
        "nothing": [np.nan] * n,
        "store_id": text([f"S{i % 38}" for i in range(n)]),  # name hint, 95% unique
    })
    p = profile_frame(df)
    assert codes(p) == {
        ("id_like", "customerID", "warning"),
        ("id_like", "row", "warning"),
        ("id_like", "store_id", "warning"),
        ("constant", "country", "warning"),
        ("constant", "nothing", "warning"),
        ("high_missing", "half_empty", "warning"),
        ("high_missing", "almost_empty", "critical"),
    }
    assert p.dropped_columns() == ["customerID", "row", "country", "nothing", "store_id"]
    assert p.column("customerID").semantic_type == "id"
    assert p.column("amount").semantic_type == "numeric"
    assert p.column("score").semantic_type == "numeric"
    assert p.column("half_empty").missing_ratio == 0.5
    assert p.column("nothing").n_unique == 0
    assert p.n_duplicate_rows == 0 and p.target is None and p.task is None
    finding = next(f for f in p.findings if f.column == "customerID")
    assert finding.message == ("`customerID` has a different value on every row, like an ID, so it cannot help "
                               "predict anything and will be left out of the model.")
    assert finding.fix.startswith("If it is really a measurement, put it back on the Build page")
    assert p.findings[0].severity == "critical", "most severe first"


def test_numeric_stats_inf_and_examples():
    df = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0, np.nan, 4.0, 5.0, 0.0, 6.0, 7.0, np.inf, 8.0], "k": range(12)})
    df.attrs[INF_COUNTS_ATTR] = {"x": 2}  # two more were replaced by missing when the file was read
    p = profile_frame(df)
    col = p.column("x")
    assert col.stats["n_inf"] == 3
    assert col.stats["n_zero"] == 2
    assert col.stats["min"] == 0.0 and col.stats["max"] == 8.0 and col.stats["median"] == 3.5
    assert col.stats["mean"] == pytest.approx(3.6)
    assert col.n_missing == 1 and col.n_unique == 9
    assert col.examples[:3] == ["0", "1", "2"]
    assert codes(p) == {("inf_values", "x", "warning"), ("id_like", "k", "warning")}
    assert next(f for f in p.findings if f.code == "inf_values").value == 3


def test_disguised_zeros_but_not_counts():
    rng = np.random.default_rng(1)
    n = 400
    glucose = rng.normal(120, 25, n).round().clip(50, 220)
    glucose[100:112] = 0
    df = pd.DataFrame({
        "glucose": glucose,
        "children": rng.poisson(1.2, n),  # zeros are real: the next value is 1
        "balance": np.r_[rng.normal(0, 500, n - 20), np.zeros(20)],  # negative values: no claim about zeros
        "gain": np.r_[np.zeros(n - 40), rng.uniform(100, 5000, 40)],  # mostly zero: real zeros
    })
    p = profile_frame(df)
    assert codes(p) == {("disguised_missing", "glucose", "warning")}
    assert p.findings[0].value == 12
    assert "is 0 in 12 rows" in p.findings[0].message


def test_numbers_stored_as_text():
    values = [f"{i}.25" for i in range(30)]
    values[3] = None  # a blank cell that read_table turned into missing
    df = pd.DataFrame({"TotalCharges": text(values), "clean": text([str(i) for i in range(30)])})
    p = profile_frame(df)
    total = p.column("TotalCharges")
    assert total.numeric_coercible and total.semantic_type == "numeric"
    assert total.stats["min"] == 0.25 and total.stats["max"] == 29.25
    assert p.column("clean").numeric_coercible
    assert codes(p) == {("numeric_coercible", "TotalCharges", "warning"), ("numeric_coercible", "clean", "info"),
                        ("id_like", "clean", "warning")}


def test_mixed_types_high_cardinality_free_text_dates_and_booleans():
    n = 300
    rng = np.random.default_rng(2)
    words = ["quick", "brown", "fox", "jumps", "over", "lazy", "dog", "while", "the", "cat", "sleeps", "soundly"]
    df = pd.DataFrame({
        "ticket": text([f"{100000 + i % 150}" if i % 3 else f"PC {i % 150}" for i in range(n)]),
        "city": text([f"city{i % 60}" for i in range(n)]),
        "review": text([" ".join(rng.choice(words, 10)) + f" {i}" for i in range(n)]),
        "signup": text([f"2023-{1 + i % 12:02d}-{1 + i % 28:02d}" for i in range(n)]),
        "month": text(["may", "jun", "jul"] * (n // 3)),
        "churn": text(["Yes", "No", "No"] * (n // 3)),
        "flag": np.tile([0, 1], n // 2),
        "ok": np.tile([True, False], n // 2),
    })
    p = profile_frame(df)
    assert codes(p) == {
        ("mixed_types", "ticket", "warning"),
        ("high_cardinality", "ticket", "warning"),
        ("high_cardinality", "city", "warning"),
        ("free_text", "review", "warning"),
        ("datetime_detected", "signup", "info"),
    }
    types = {c.name: c.semantic_type for c in p.columns}
    assert types == {"ticket": "categorical", "city": "categorical", "review": "text", "signup": "datetime",
                     "month": "categorical", "churn": "boolean", "flag": "boolean", "ok": "boolean"}
    mixed = next(f for f in p.findings if f.code == "mixed_types")
    assert "'1000" in mixed.message and "'PC " in mixed.message
    assert p.column("month").stats["top_values"][0] == {"value": "may", "count": 100}


def test_duplicate_rows():
    df = pd.DataFrame({"a": [1, 2, 3, 1, 1, 5, 6, 7, 8, 9], "b": text(list("xyzxxabcde"))})
    p = profile_frame(df)
    assert p.n_duplicate_rows == 2
    assert codes(p) == {("duplicate_rows", None, "warning")}
    assert p.findings[0].message.startswith("2 rows are exact copies of other rows (20%)")


def test_target_checks():
    n = 200
    df = pd.DataFrame({"x": np.random.default_rng(5).normal(size=n),
                       "y": text(["no"] * 185 + ["yes"] * 10 + [None] * 5)})
    p = profile_frame(df, target="y")
    assert p.task == "binary"
    assert p.class_balance == {"no": 185, "yes": 10}
    assert codes(p) == {("target_missing", "y", "warning"), ("class_imbalance", "y", "warning")}
    assert "5 rows" in next(f.message for f in p.findings if f.code == "target_missing")

    single = profile_frame(df.assign(y=text(["no"] * n)), target="y")
    assert codes(single) == {("single_class", "y", "critical")}

    labels = text([f"label{i}" for i in range(150)] * 2)
    many = profile_frame(pd.DataFrame({"x": np.arange(300) % 3, "y": labels}), target="y")
    assert ("too_many_classes", "y", "critical") in codes(many)
    assert not many.dropped_columns(), "the target itself is never dropped"

    with pytest.raises(TrainingConfigError, match="'nope'"):
        profile_frame(df, target="nope")


def test_leakage_single_feature_and_exact_sums():
    rng = np.random.default_rng(3)
    n = 2_000
    casual = rng.integers(0, 50, n)
    registered = rng.integers(0, 300, n)
    hour = rng.integers(0, 24, n)
    df = pd.DataFrame({"hour": hour, "noise": rng.normal(size=n), "casual": casual, "registered": registered,
                       "cnt": casual + registered})
    p = profile_frame(df, target="cnt")
    assert p.task == "regression"
    assert p.leakage_suspects == ["casual", "registered"]
    assert codes(p) == {("leakage", "casual", "warning"), ("leakage", "registered", "warning")}
    assert "add up exactly to the target `cnt`" in next(f for f in p.findings if f.code == "leakage").message

    y = rng.integers(0, 2, n)
    clf = pd.DataFrame({
        "outcome_code": text(np.where(y == 1, "R-closed", "N-open")),  # a category that encodes the answer
        "days_to_event": np.where(y == 1, rng.uniform(0, 10, n), rng.uniform(20, 30, n)),
        "age": rng.integers(18, 90, n),
        "y": y,
    })
    p = profile_frame(clf, target="y")
    assert p.task == "binary"
    assert p.leakage_suspects == ["outcome_code", "days_to_event"]
    assert all(f.severity == "warning" for f in p.findings if f.code == "leakage")
    leak = next(f for f in p.findings if f.code == "leakage")
    assert "predicts `y` almost perfectly on its own" in leak.message and "left out" in leak.message

    reg = pd.DataFrame({"twice": df["cnt"] * 2.0 + 1, "hour": hour, "cnt": df["cnt"].astype(float) + 0.5})
    assert profile_frame(reg, target="cnt").leakage_suspects == ["twice"]


@pytest.mark.parametrize(("values", "task"), [
    (pd.Series([True, False] * 10), "binary"),
    (text(["yes", "no"] * 10), "binary"),
    (pd.Series([0, 1] * 10), "binary"),
    (text(["a", "b", "c"] * 10), "multiclass"),
    (pd.Series(np.arange(500) % 5), "multiclass"),
    (pd.Series(np.arange(50) % 3), "multiclass"),
    (pd.Series(np.linspace(0, 1, 30)), "regression"),
    (pd.Series(np.arange(1000)), "regression"),
    (pd.Series(np.arange(500) % 30), "regression"),
    (text([str(i * 1.5) for i in range(40)]), "regression"),
])
def test_detect_task(values, task):
    assert detect_task(values) == task


def test_round_trip_through_json():
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"id": np.arange(50), "x": rng.normal(size=50), "c": text(["a", "b"] * 25),
                       "when": pd.date_range("2024-01-01", periods=50, tz="UTC"), "y": rng.integers(0, 3, 50)})
    p = profile_frame(df, target="y")
    data = json.loads(json.dumps(p.to_dict(), allow_nan=False))
    again = DatasetProfile.from_dict(data)
    assert again == p
    assert again.column("when").stats["min"] == "2024-01-01T00:00:00+00:00"
    assert ColumnProfile.from_dict(p.columns[1].to_dict()) == p.columns[1]
    assert Finding.from_dict(p.findings[0].to_dict()) == p.findings[0]
    grouped = p.findings_by_severity()
    assert list(grouped) == ["critical", "warning", "info"]
    assert sum(map(len, grouped.values())) == len(p.findings)
    assert {f.code for f in p.findings} <= set(FINDING_CODES)
    with pytest.raises(ValueError):
        Finding("x", "fatal", "m", "f")
    with pytest.raises(KeyError):
        p.column("missing")


# --------------------------------------------------------------------------- real datasets
def _dataset(name: str) -> Path:
    return shared_dataset(name)  # skipped when absent, failed in CI


def _read(name: str) -> pd.DataFrame:
    path = _dataset(name)
    return read_table(path, path.name, **LIMITS)


def _targets() -> dict[str, str]:
    manifest = DATASETS / "MANIFEST.tsv"
    if not manifest.exists():
        return {}
    with open(manifest, newline="") as fh:
        return {row["file"]: row["target"] for row in csv.DictReader(fh, delimiter="\t")}


def test_telco_churn():
    p = profile_frame(_read("telco_churn.csv"), target="Churn")
    assert p.dropped_columns() == ["customerID"]
    total = p.column("TotalCharges")
    assert total.numeric_coercible and total.semantic_type == "numeric" and total.n_missing == 11
    assert ("numeric_coercible", "TotalCharges", "warning") in codes(p)
    assert p.task == "binary" and p.class_balance == {"No": 5174, "Yes": 1869}
    assert p.column("SeniorCitizen").semantic_type == "boolean"
    assert not p.leakage_suspects


def test_pima_disguised_zeros():
    p = profile_frame(_read("pima_diabetes.csv"), target="class")
    flagged = {f.column: f.value for f in p.findings if f.code == "disguised_missing"}
    assert flagged == {"plas": 5, "pres": 35, "skin": 227, "insu": 374, "mass": 11}
    assert p.task == "binary"


def test_bike_sharing_leakage_and_row_number():
    p = profile_frame(_read("bike_sharing_hourly.csv"), target="cnt")
    assert p.task == "regression"
    assert p.leakage_suspects == ["casual", "registered"]
    assert {f.column for f in p.findings if f.code == "leakage" and f.severity == "warning"} == {"casual",
                                                                                                  "registered"}
    assert "instant" in p.dropped_columns()
    assert p.column("instant").semantic_type == "id"
    assert p.column("dteday").semantic_type == "datetime"


def test_compas_raw_duplicate_headers():
    path = _dataset("compas_raw.csv")
    with pytest.raises(DatasetValidationError) as info:
        read_table(path, path.name, **LIMITS)
    assert "'decile_score'" in info.value.message and "'priors_count'" in info.value.message
    assert info.value.details["duplicate_columns"] == ["decile_score", "priors_count"]


def test_adult():
    p = profile_frame(_read("adult.csv"), target="class")
    assert p.task == "binary" and p.n_rows == 48842
    assert p.n_duplicate_rows == 52
    assert p.column("workclass").n_missing == 2799
    assert not p.dropped_columns() and not p.leakage_suspects
    assert not [f for f in p.findings if f.code == "disguised_missing"], "capital-gain zeros are real"


def test_kc1_boolean_target():
    df = _read("kc1.csv")
    assert df["Class"].dtype == bool
    p = profile_frame(df, target="Class")
    assert p.column("Class").semantic_type == "boolean"
    assert p.task == "binary" and p.class_balance == {"False": 1783, "True": 326}


@pytest.mark.parametrize("name", sorted(p.name for p in DATASETS.glob("*.csv")) or ["<none>"])
def test_every_shared_dataset_parses_and_profiles_or_is_refused(name, tmp_path):
    if name == "<none>":
        shared_dataset("MANIFEST.tsv")  # no shared datasets at all: skipped here, failed in CI
        pytest.skip(f"no CSV files among the shared datasets under {DATASETS}")
    path = _dataset(name)
    try:
        df = read_table(path, path.name, **LIMITS)
    except DatasetValidationError as exc:
        assert exc.message
        return
    df.to_parquet(tmp_path / "d.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "d.parquet"), df)
    target = _targets().get(name)
    p = profile_frame(df, target=target if target in df.columns else None)
    assert p.n_rows == len(df) and len(p.columns) == df.shape[1]
    assert {f.code for f in p.findings} <= set(FINDING_CODES)
    json.dumps(p.to_dict(), allow_nan=False)
