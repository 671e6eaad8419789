"""Build and fit any recorded (learner, configuration): the one place refits go through.

Every refit in the product (training's final fit, reproduce, evidence,
mitigation, explaining a leaderboard candidate) calls :func:`fit_estimator`
with what a recipe recorded, so a single model, the default model and a
weighted ensemble are all rebuilt the same way.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .ensemble import ENSEMBLE_LEARNER, WeightedEnsemble
from .single_model import make_single_estimator

__all__ = ["fit_estimator", "make_estimator"]


def make_estimator(task: str, learner: str, config: dict[str, Any], seed: int, n_jobs: int):
    """A fresh, unfitted estimator for a recorded (learner, config)."""
    if learner == ENSEMBLE_LEARNER:
        return WeightedEnsemble.from_config(task, config, seed, n_jobs)
    return make_single_estimator(task, learner, config, seed, n_jobs)


def fit_estimator(task: str, learner: str, config: dict[str, Any], seed: int, n_jobs: int, X: pd.DataFrame, y: np.ndarray):
    """Build and fit; returns the estimator itself.

    Why not ``make_estimator(...).fit(X, y)``: FLAML's estimators return the
    training time from ``fit``, not ``self`` as scikit-learn's do.
    """
    est = make_estimator(task, learner, config, seed, n_jobs)
    est.fit(X, y)
    return est
