"""The small-frame path of the preprocessor (predict requests) encodes exactly like the frame path.

Both paths run on the same rows, in chunks of the sizes a request sends, and must give identical frames:
same columns, dtypes (the pinned categories), codes and numbers.  Real tables (the samples, and shared
datasets with missing values, text and numbers stored as text) and hand-made awkward values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from automl_canvas.datasets.parsing import read_table
from automl_canvas.datasets.profiling import profile_frame
from automl_canvas.training.preprocess import SMALL_ROWS, TabularPreprocessor, plan_features

from .conftest import SAMPLE_DATA, SHARED_DATASETS, shared_dataset

TABLES = [(SAMPLE_DATA / "churn.csv", "churned"), (SAMPLE_DATA / "loans.csv", "approved"),
          (SAMPLE_DATA / "house_prices.csv", "price"), (SHARED_DATASETS / "titanic.csv", "Survived"),
          (SHARED_DATASETS / "telco_churn.csv", "Churn"), (SHARED_DATASETS / "credit_g.csv", "class"),
          (SHARED_DATASETS / "bike_sharing_hourly.csv", "cnt")]


def _fitted(df: pd.DataFrame, target: str) -> TabularPreprocessor:
    plan = plan_features(profile_frame(df, target).to_dict(), target)
    return TabularPreprocessor(plan).fit(df)


def _same(pre: TabularPreprocessor, rows: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(pre._transform_small(rows), pre._transform_frame(rows), check_exact=True)


@pytest.mark.parametrize(("path", "target"), TABLES, ids=[p.stem for p, _ in TABLES])
def test_both_paths_agree_on_real_tables(path, target):
    shared_dataset(path)  # the sample tables are always there; a shared one missing skips, or fails in CI
    df = read_table(path, path.name, max_bytes=200_000_000, max_columns=2000)
    head = df.head(2000)
    pre = _fitted(head, target)
    rows = df.sample(n=min(len(df), 600), random_state=0)  # rows the fit may not have seen: unseen categories too
    for size in (1, 2, 7, SMALL_ROWS):
        for start in range(0, len(rows), 97):
            _same(pre, rows.iloc[start:start + size])
    # what a predict request builds: a frame from JSON records (ints, floats, strings, None)
    records = rows.head(40).astype(object).where(rows.head(40).notna(), None).to_dict(orient="records")
    _same(pre, pd.DataFrame(records))


def test_awkward_values_agree():
    train = pd.DataFrame({
        "color": ["red", "blue", "red", None, "green", "blue"] * 5,
        "flag": [True, False, True, True, False, None] * 5,
        "code": [1, 2, 3, 1, 2, 3] * 5,
        "amount": [1.5, 2.0, np.nan, 4.0, 5.5, 6.0] * 5,
        "count": pd.array([1, 2, None, 4, 5, 6] * 5, dtype="Int64"),
        "when": pd.to_datetime(["2024-01-01", "2024-02-03", None, "2024-03-04", "2024-05-06", "2024-07-08"] * 5),
        "y": [0, 1] * 15,
    })
    pre = _fitted(train, "y")
    assert set(pre.plan.kinds) >= {"color", "amount"}
    odd = pd.DataFrame({
        "color": ["purple", None, float("nan"), "red"],          # unseen, None, NaN, known
        "flag": [None, True, False, pd.NA],
        "code": [9, None, 1, 2],                                  # ints upcast to float by a missing value
        "amount": [np.inf, -np.inf, np.nan, "3.5"],               # infinities, missing, a number sent as text
        "count": pd.array([None, 2, 3, 4], dtype="Int64"),
        "when": ["2024-01-01", None, "not a date", "2024-02-30"],
        "y": [0, 1, 0, 1],
    }, index=[7, 7, 3, 1])                                        # duplicate index labels
    for k in range(1, len(odd) + 1):
        _same(pre, odd.iloc[:k])
    # Integers stay as they came: 1 and 1.0 are different texts, exactly as in the frame path.
    _same(pre, pd.DataFrame({c: [v] for c, v in {"color": 1, "flag": 1, "code": 1.0, "amount": 2, "count": 1,
                                                 "when": "2024-01-01", "y": 0}.items()}))


def test_caches_stay_out_of_the_pickled_model():
    import pickle

    train = pd.DataFrame({"c": ["a", "b", "a", "c"] * 5, "x": range(20), "y": [0, 1] * 10})
    pre = _fitted(train, "y")
    before = pickle.dumps(pre)
    pre.transform(train.head(3))
    assert pickle.dumps(pre) == before
    assert pickle.loads(before).transform(train.head(3)).equals(pre.transform(train.head(3)))


def test_missing_categories_read_as_unseen_in_both_paths():
    """Today's encoding (pinned by every stored model): a missing category value is read as ``__other__``."""
    train = pd.DataFrame({"c": ["a", "b", None, "a"] * 5, "y": [0, 1] * 10})
    pre = _fitted(train, "y")
    rows = pd.DataFrame({"c": [None, "zzz", "a"]})
    for out in (pre._transform_small(rows), pre._transform_frame(rows)):
        assert out["c"].tolist() == ["__other__", "__other__", "a"]


def test_a_row_encodes_the_same_alone_or_in_a_batch():
    """A record with a missing category once encoded differently alone (all-missing column) than in a batch."""
    train = pd.DataFrame({"c": ["a", "b", None, "a"] * 5, "x": range(20), "y": [0, 1] * 10})
    pre = _fitted(train, "y")
    batch = pd.DataFrame({"c": [None, "a", "b", None], "x": [1.0, None, 3.0, 4.0]})
    together = pre._transform_frame(batch)
    for k in range(len(batch)):
        alone = pre._transform_frame(batch.iloc[[k]])
        pd.testing.assert_frame_equal(alone, together.iloc[[k]], check_exact=True)


@pytest.mark.parametrize("text", ["2024-01-31", "2024-01-31T10:20:30", "2024-01-31 10:20", "2024-01-31T10:20:30.123456Z",
                                  "2024-01-31T23:20:30+02:00", "2024-01-31T10:20:30-05:30", "2024-02-30", "2024-13-01",
                                  "01/31/2024", "20240131", "31 Jan 2024", "not a date", ""])
def test_one_value_is_read_as_the_frame_path_reads_its_column(text):
    """parse_date (the hot path's and the record check's fast reader) agrees with _parse_dates on a frame."""
    from automl_canvas.training.preprocess import _parse_dates, parse_date

    frame_value = _parse_dates(pd.Series([text]))[0]
    one = parse_date(text)
    assert (one is None and pd.isna(frame_value)) or one == frame_value
