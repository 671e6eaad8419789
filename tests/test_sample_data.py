"""Tests for the seeded sample-data generator in ``sample_data/generate.py``."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

SAMPLE_DIR = Path(__file__).resolve().parents[1] / "sample_data"
GENERATOR = SAMPLE_DIR / "generate.py"


def _load_generator():
    spec = importlib.util.spec_from_file_location("_sample_data_generate", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


gen = _load_generator()

NAMES = list(gen.DATASETS)
OTHER_SEEDS = [1, 7]


@pytest.fixture(scope="module")
def committed() -> dict[str, pd.DataFrame]:
    return {name: pd.read_csv(SAMPLE_DIR / meta["filename"]) for name, meta in gen.DATASETS.items()}


def _frame(name: str, seed: int) -> pd.DataFrame:
    """The CSV for ``name`` exactly as a user would read it back."""
    if seed == gen.DEFAULT_SEED:
        return pd.read_csv(SAMPLE_DIR / gen.DATASETS[name]["filename"])
    maker = {"loans": gen.make_loans, "churn": gen.make_churn, "house_prices": gen.make_house_prices}[name]
    df = maker(gen.DATASETS[name]["rows"], seed)
    # Round-trip through CSV so dtypes match what is on disk.
    from io import StringIO

    return pd.read_csv(StringIO(df.to_csv(index=False)))


# --------------------------------------------------------------------------
# determinism
# --------------------------------------------------------------------------
def test_generation_is_byte_identical_and_matches_committed(tmp_path):
    a = gen.generate_all(tmp_path / "a")
    b = gen.generate_all(tmp_path / "b", seed=gen.DEFAULT_SEED)
    assert set(a) == set(b) == set(NAMES)
    for name in NAMES:
        first, second = a[name].read_bytes(), b[name].read_bytes()
        assert first == second, f"{name}: two runs differ"
        committed_bytes = (SAMPLE_DIR / gen.DATASETS[name]["filename"]).read_bytes()
        assert first == committed_bytes, (
            f"{name}: committed CSV is stale; run `python sample_data/generate.py`"
        )


def test_other_seed_is_deterministic_but_different(tmp_path):
    a = gen.generate_all(tmp_path / "a", seed=7)
    b = gen.generate_all(tmp_path / "b", seed=7)
    for name in NAMES:
        assert a[name].read_bytes() == b[name].read_bytes()
        assert a[name].read_bytes() != (SAMPLE_DIR / gen.DATASETS[name]["filename"]).read_bytes()


def test_cli_writes_same_files(tmp_path):
    out = tmp_path / "cli"
    subprocess.run(
        [sys.executable, str(GENERATOR), "--out", str(out), "--seed", "7"],
        check=True, capture_output=True, text=True,
    )
    ref = gen.generate_all(tmp_path / "ref", seed=7)
    for path in ref.values():
        assert (out / path.name).read_bytes() == path.read_bytes()


def test_maker_functions_match_generate_all(committed):
    for name, maker in [("loans", gen.make_loans), ("churn", gen.make_churn),
                        ("house_prices", gen.make_house_prices)]:
        df = maker(gen.DATASETS[name]["rows"], gen.DEFAULT_SEED)
        assert df.to_csv(index=False, lineterminator="\n").encode() == (
            SAMPLE_DIR / gen.DATASETS[name]["filename"]
        ).read_bytes()


# --------------------------------------------------------------------------
# shape, columns, targets
# --------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_shape_columns_and_target(committed, name):
    meta = gen.DATASETS[name]
    df = committed[name]
    path = SAMPLE_DIR / meta["filename"]
    assert path.stat().st_size < 400 * 1024
    assert len(df) == meta["rows"]
    assert list(df.columns) == meta["columns"]
    assert meta["target"] in df.columns
    assert df[meta["target"]].notna().all()
    # IDs are unique, non-empty strings.
    ids = df[meta["id_column"]]
    assert ids.notna().all() and ids.is_unique
    # Dates parse as ISO dates.
    for col in meta["date_columns"]:
        parsed = pd.to_datetime(df[col], format="%Y-%m-%d")
        assert parsed.notna().all()
    # snake_case column names.
    assert all(c == c.lower() and " " not in c for c in df.columns)


def test_target_values(committed):
    assert set(committed["loans"]["approved"]) == {"yes", "no"}
    assert set(committed["churn"]["churned"]) == {"Yes", "No"}
    price = committed["house_prices"]["price"]
    assert pd.api.types.is_numeric_dtype(price) and (price > 0).all()


def test_readme_mentions_every_column():
    readme = (SAMPLE_DIR / "README.md").read_text(encoding="utf-8")
    for meta in gen.DATASETS.values():
        assert meta["filename"] in readme
        for col in meta["columns"]:
            assert f"`{col}`" in readme, col


# --------------------------------------------------------------------------
# loans: planted gender bias and missing values
# --------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [gen.DEFAULT_SEED, *OTHER_SEEDS])
def test_loans_gender_bias_visible_within_credit_bands(seed):
    df = _frame("loans", seed)
    approved = df["approved"].eq("yes")
    rates = approved.groupby(df["gender"]).mean()
    assert set(rates.index) == {"female", "male", "non-binary"}
    # Overall selection-rate disparity (four-fifths rule is violated).
    assert rates["male"] - rates["female"] > 0.10
    assert rates["female"] / rates["male"] < 0.8

    # Among applicants with similar credit scores, women are still approved less.
    band = pd.qcut(df["credit_score"], 4, labels=False)
    by_band = approved.groupby([band, df["gender"]]).mean().unstack()
    gaps = by_band["male"] - by_band["female"]
    assert (gaps > 0.03).all(), gaps.to_dict()
    counts = band[df["gender"].isin(["female", "male"])].value_counts().sort_index()
    assert np.average(gaps, weights=counts) > 0.10


@pytest.mark.parametrize("seed", [gen.DEFAULT_SEED, *OTHER_SEEDS])
def test_loans_bias_not_explained_by_legitimate_features(seed):
    sklearn = pytest.importorskip("sklearn")  # noqa: F841
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    df = _frame("loans", seed)
    y = df["approved"].eq("yes").astype(int)
    legit = df[["income", "loan_amount", "term_months", "credit_score", "years_employed", "existing_debt"]].assign(
        debt_to_income=df["existing_debt"] / df["income"],
        loan_to_income=df["loan_amount"] / df["income"],
    )
    legit = pd.concat([legit, pd.get_dummies(df["employment_type"], dtype=float)], axis=1)
    model = make_pipeline(SimpleImputer(), StandardScaler(), LogisticRegression(max_iter=2000)).fit(legit, y)
    residual = (y - model.predict_proba(legit)[:, 1]).groupby(df["gender"]).mean()
    # Women are approved clearly less often than their legitimate features predict.
    assert residual["female"] < -0.05
    assert residual["male"] > 0.03


def test_loans_missing_values_and_ranges(committed):
    df = committed["loans"]
    assert 0.03 <= df["years_employed"].isna().mean() <= 0.08
    assert df["credit_score"].between(300, 850).all()
    assert (df["income"] > 0).all() and (df["loan_amount"] > 0).all()
    assert set(df["term_months"]) <= {12, 24, 36, 48, 60, 72}
    assert 0.02 <= (df["gender"] == "non-binary").mean() <= 0.07
    assert 0.45 <= df["approved"].eq("yes").mean() <= 0.70
    assert df["application_id"].str.fullmatch(r"A-\d{6}").all()


# --------------------------------------------------------------------------
# churn
# --------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [gen.DEFAULT_SEED, *OTHER_SEEDS])
def test_churn_rate_and_drivers(seed):
    df = _frame("churn", seed)
    churned = df["churned"].eq("Yes")
    assert 0.20 <= churned.mean() <= 0.30
    by_contract = churned.groupby(df["contract"]).mean()
    assert by_contract["Month-to-month"] > by_contract["One year"] > by_contract["Two year"]
    assert churned[df["support_calls"] >= 3].mean() > churned[df["support_calls"] == 0].mean()
    assert df.loc[churned, "tenure_months"].median() < df.loc[~churned, "tenure_months"].median()


def test_churn_blank_total_charges_for_new_customers(committed):
    df = committed["churn"]
    blank = df["total_charges"].isna()
    assert 3 <= blank.sum() <= 20
    assert (df.loc[blank, "tenure_months"] == 0).all()
    assert (df.loc[df["tenure_months"] == 0, "total_charges"].isna()).all()
    # The blanks are empty cells in the file (not "nan"/"NA" text).
    raw = pd.read_csv(SAMPLE_DIR / "churn.csv", dtype=str, keep_default_na=False)
    assert (raw.loc[blank, "total_charges"] == "").all()
    billed = df[~blank]
    ratio = billed["total_charges"] / (billed["tenure_months"] * billed["monthly_charges"])
    assert ratio.between(0.7, 1.35).all()
    assert set(df["senior_citizen"]) == {0, 1}
    assert set(df["contract"]) == {"Month-to-month", "One year", "Two year"}


# --------------------------------------------------------------------------
# house prices
# --------------------------------------------------------------------------
def test_house_prices_columns_and_missing(committed):
    df = committed["house_prices"]
    assert df["neighborhood"].nunique() == 8
    assert set(df["condition"]) == {"Poor", "Fair", "Good", "Excellent"}
    assert set(df["has_garage"]) == {"yes", "no"}
    assert 0.01 <= df["lot_size"].isna().mean() <= 0.06
    assert df["year_built"].between(1850, 2025).all()
    assert df["square_feet"].corr(df["price"], method="spearman") > 0.5
    cond_median = df.groupby("condition")["price"].median()
    assert cond_median["Excellent"] > cond_median["Poor"]


# --------------------------------------------------------------------------
# learnability: realistic, not trivial
# --------------------------------------------------------------------------
def _one_hot(df: pd.DataFrame, drop: list[str]) -> pd.DataFrame:
    X = df.drop(columns=drop)
    cats = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    return pd.get_dummies(X, columns=cats, dtype=float).astype(float)


@pytest.mark.parametrize(
    "name, low, high",
    [("loans", 0.78, 0.92), ("churn", 0.78, 0.90)],
)
def test_classification_signal_is_realistic(committed, name, low, high):
    pytest.importorskip("sklearn")
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    meta = gen.DATASETS[name]
    df = committed[name]
    y = df[meta["target"]].eq(meta["positive_label"]).astype(int)
    X = _one_hot(df, [meta["id_column"], *meta["date_columns"], meta["target"]])
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    model = make_pipeline(SimpleImputer(), StandardScaler(), LogisticRegression(max_iter=2000)).fit(X_tr, y_tr)
    auc = roc_auc_score(y_te, model.predict_proba(X_te)[:, 1])
    assert low <= auc <= high, auc


@pytest.mark.slow
def test_regression_signal_is_realistic(committed):
    pytest.importorskip("sklearn")
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.metrics import r2_score
    from sklearn.model_selection import train_test_split

    meta = gen.DATASETS["house_prices"]
    df = committed["house_prices"]
    X = _one_hot(df, [meta["id_column"], *meta["date_columns"], meta["target"]])
    y = df["price"].astype(float)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, random_state=0)
    model = HistGradientBoostingRegressor(max_iter=300, learning_rate=0.05, random_state=0).fit(X_tr, y_tr)
    r2 = r2_score(y_te, model.predict(X_te))
    assert 0.80 <= r2 <= 0.95, r2
