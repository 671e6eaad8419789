"""Small real tables and real fitted models for the explanation tests (no mocks).

Every model is built the way ``training.trainer.train`` builds one: our
preprocessor fitted on the rows, ``fit_estimator`` with a fixed small config,
wrapped in a ``CanvasModel``.  Tables are tiny so the whole folder stays fast
on a busy 2-core machine.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from automl_canvas.datasets.profiling import profile_frame
from automl_canvas.training.pipeline import CanvasModel
from automl_canvas.training.preprocess import TabularPreprocessor, plan_features
from automl_canvas.training.trainer import DEFAULT_LEARNER, fit_estimator

TASKS = ("binary", "multiclass", "regression")
LEARNERS = (DEFAULT_LEARNER, "lgbm", "xgboost", "xgb_limitdepth", "catboost", "rf", "extra_tree", "lrl1", "weighted_ensemble")
#: A real FLAML learner with no exact explainer: it exercises the permutation explainer.
PERMUTATION_LEARNER = "kneighbor"
#: Small fixed configurations: enough trees to have several splits per column, fast to fit.
CONFIGS = {
    DEFAULT_LEARNER: {},
    "lgbm": {"n_estimators": 12, "num_leaves": 8, "min_child_samples": 5},
    "xgboost": {"n_estimators": 12, "max_leaves": 8},
    "xgb_limitdepth": {"n_estimators": 12, "max_depth": 4},
    "rf": {"n_estimators": 8, "max_leaves": 16},
    "extra_tree": {"n_estimators": 8, "max_leaves": 16},
    "catboost": {"n_estimators": 12, "learning_rate": 0.3, "early_stopping_rounds": 10},
    "lrl1": {"C": 1.0},
    "kneighbor": {"n_neighbors": 7},
}


#: A binary forest member's Platt line (training/margins.py): raw score = a + b * its probability of "yes".
FOREST_PLATT = [-2.5, 5.0]


def ensemble_config(task: str) -> dict:
    """A weighted ensemble of the boosted trees, (classification) the linear model and (binary, regression) a
    forest -- on a binary task through its Platt line: every member kind SHAP meets."""
    if task == "binary":
        members = [("lgbm", 0.35), (DEFAULT_LEARNER, 0.25), ("catboost", 0.2), ("lrl1", 0.1), ("extra_tree", 0.1)]
    else:
        members = [("lgbm", 0.4), (DEFAULT_LEARNER, 0.3), ("catboost", 0.2), ("lrl1" if task != "regression" else "extra_tree", 0.1)]
    return {"members": [{"learner": m, "config": CONFIGS[m], "weight": w,
                         **({"platt": FOREST_PLATT} if task == "binary" and m == "extra_tree" else {})} for m, w in members]}


def make_frame(task: str = "binary", n: int = 160, seed: int = 0, numeric_only: bool = False) -> pd.DataFrame:
    """Numbers, categories and a date column, with missing values, and a target that depends on them."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "age": rng.normal(40, 10, n).round(1),
            "income": rng.lognormal(10, 0.5, n).round(0),
            "city": rng.choice(["paris", "lyon", "nice", "lille"], n),
            "plan": rng.choice(["basic", "pro", "team"], n),
            "signup": (pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")).strftime("%Y-%m-%d"),
        }
    )
    df.loc[rng.random(n) < 0.1, "age"] = np.nan
    df.loc[rng.random(n) < 0.1, "city"] = None
    month = pd.to_datetime(df["signup"]).dt.month
    z = (
        0.06 * (df["age"].fillna(40) - 40)
        + (df["city"] == "paris") * 1.0
        + (df["plan"] == "pro") * 0.8
        + 0.15 * (month - 6.5)
        + rng.normal(0, 0.4, n)
    )
    if task == "binary":
        df["target"] = np.where(z > 0.4, "yes", "no")
    elif task == "multiclass":
        df["target"] = np.select([z < 0, z < 0.9], ["low", "mid"], "high")
    else:
        df["target"] = (z * 10 + 50).round(3)
    if numeric_only:
        df = df[["age", "income", "target"]]
    df.index = pd.RangeIndex(1000, 1000 + n)  # labels that are not positions
    return df


def fit_model(df: pd.DataFrame, task: str, learner: str, config: dict | None = None, seed: int = 0) -> CanvasModel:
    """A delivered model, built as ``train()`` builds one, without the search."""
    profile = profile_frame(df).to_dict()
    plan = plan_features(profile, "target")
    pre = TabularPreprocessor(plan).fit(df)
    X = pre.transform(df)
    if task == "regression":
        classes: list = []
        y = df["target"].to_numpy(dtype="float64")
    else:
        classes = sorted(df["target"].unique().tolist())
        y = df["target"].map({c: i for i, c in enumerate(classes)}).to_numpy(dtype="int64")
    if config is None:
        cfg = ensemble_config(task) if learner == "weighted_ensemble" else CONFIGS.get(learner, {})
    else:
        cfg = config
    # HistGradientBoosting ignores n_jobs and starts a team of OpenMP threads,
    # which crawls on a busy 2-core machine: one thread is both fair and faster.
    # FLAML does not scale inputs for logistic regression, so saga stops before
    # converging on the income column: that model is still a fine one to explain.
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*max_iter was reached.*")
        est = fit_estimator(task, learner, cfg, seed, 1, X, y)
    return CanvasModel(task=task, target="target", learner=learner, preprocessor=pre, estimator=est, classes=classes)
