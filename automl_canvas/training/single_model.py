"""Build and fit one recorded (learner, configuration) that is not an ensemble: the default model or a searched learner.

Apart from ``estimators.py`` so a weighted ensemble (``ensemble.py``) fits its members through it while
``estimators.py`` builds ensembles: both import this module, neither imports the other back.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .leaderboard import DEFAULT_LEARNER
from .pipeline import make_default_model
from .search import build_learner

__all__ = ["fit_single_estimator", "make_single_estimator"]


def make_single_estimator(task: str, learner: str, config: dict[str, Any], seed: int, n_jobs: int):
    """A fresh, unfitted estimator for a recorded (learner, config) other than an ensemble."""
    if learner == DEFAULT_LEARNER:
        return make_default_model(task, seed)
    return build_learner(task, learner, config, seed=seed, n_jobs=n_jobs)


def fit_single_estimator(task: str, learner: str, config: dict[str, Any], seed: int, n_jobs: int, X: pd.DataFrame,
                         y: np.ndarray):
    """Build and fit; returns the estimator itself.

    Why not ``make_single_estimator(...).fit(X, y)``: FLAML's estimators return the
    training time from ``fit``, not ``self`` as scikit-learn's do.
    """
    est = make_single_estimator(task, learner, config, seed, n_jobs)
    est.fit(X, y)
    return est
