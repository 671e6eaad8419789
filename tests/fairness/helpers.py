"""Real models and seeded data for the fairness tests (no mocks: real preprocessing, real estimators)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from automl_canvas.datasets.profiling import profile_frame
from automl_canvas.training.pipeline import CanvasModel, make_default_model
from automl_canvas.training.preprocess import TabularPreprocessor, plan_features


def fit_model(df: pd.DataFrame, target: str, *, task: str = "binary", sensitive=(), seed: int = 0) -> CanvasModel:
    """The product's preprocessing + its default HistGradientBoosting model, on one thread.

    One OpenMP thread because the test machine is shared: two threads fighting
    a busy neighbour can make a one-second fit take thirty.
    """
    plan = plan_features(profile_frame(df).to_dict(), target, sensitive=list(sensitive))
    pre = TabularPreprocessor(plan).fit(df)
    if task == "regression":
        classes, y = [], df[target].to_numpy(dtype="float64")
    else:
        classes = sorted(df[target].unique().tolist())
        y = df[target].map({c: i for i, c in enumerate(classes)}).to_numpy()
    with threadpool_limits(1):
        est = make_default_model(task, seed).fit(pre.transform(df), y)
    return CanvasModel(task, target, "hist_gradient_boosting_default", pre, est, classes)


def biased_frame(n: int = 1200, seed: int = 0, penalty: float = 1.5) -> pd.DataFrame:
    """Applicants with one legitimate score ``x`` and a direct penalty for group 'b' in the outcome."""
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b"], n)
    x = rng.normal(size=n)
    logit = 1.5 * x + 0.3 - penalty * (group == "b")
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    return pd.DataFrame({"x": x, "noise": rng.normal(size=n), "group": group, "outcome": y})
