"""Our variants of FLAML learners (importable by name, so pickled models load).

CatBoost: FLAML searches it with a fixed 8,192 trees and early stopping, and
its time-limit callback never checks the deadline for CatBoost (only XGBoost
and LightGBM), so one trial on a table whose loss keeps falling (a separable
one) ran for minutes past a 3-second budget.  :class:`CanvasCatBoost` caps the
trees at :data:`CATBOOST_MAX_TREES` (early stopping still ends most fits far
sooner), stops a trial at its deadline like the other boosters and writes no
training logs into the working directory.  A refit
from a recorded configuration gets no deadline, so it is reproducible.

L1 logistic regression: FLAML feeds scikit-learn's saga solver the columns as
they are, and saga stops at its iteration cap long before it converges when
columns differ in scale by orders of magnitude (counts in the thousands beside
ratios): on the kc1 table the model ranked its test rows *backwards* (ROC AUC
0.20, where the same model on standardised columns scores 0.80), and it was
every small table's linear portfolio candidate and ensemble member.
:class:`CanvasLRL1` standardises every column it reads (mean 0, standard
deviation 1, measured on its training rows) before the solver sees it.  The
standardising is part of its ``preprocess``, so explanations read the very
matrix the coefficients apply to and stay exact.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from flaml.automl.model import CatBoostEstimator, CatBoostResourceLimit, LRL1Classifier

__all__ = ["CATBOOST_MAX_TREES", "LEARNER_CLASSES", "CanvasCatBoost", "CanvasLRL1"]

#: Most trees a CatBoost model grows (the search's and the portfolio's).
CATBOOST_MAX_TREES = 1000


class _CatBoostDeadline(CatBoostResourceLimit):
    def after_iteration(self, info) -> bool:
        if self.deadline is not None and time.time() >= self.deadline:
            return False  # stop: the trial's time is up
        return super().after_iteration(info)


class CanvasCatBoost(CatBoostEstimator):
    @classmethod
    def search_space(cls, data_size, **params):
        space = super().search_space(data_size, **params)
        space["n_estimators"] = {"domain": CATBOOST_MAX_TREES, "init_value": CATBOOST_MAX_TREES}
        return space

    @classmethod
    def _callbacks(cls, start_time, deadline, free_mem_ratio):
        return [_CatBoostDeadline(start_time, deadline, free_mem_ratio)]

    def config2params(self, config: dict) -> dict:
        params = super().config2params(config)
        params["n_estimators"] = min(int(params.get("n_estimators", CATBOOST_MAX_TREES)), CATBOOST_MAX_TREES)
        # No training logs on disk: FLAML points CatBoost at a "catboost_<time>" folder in the working
        # directory, which a killed job would leave behind.
        params["allow_writing_files"] = False
        return params


class CanvasLRL1(LRL1Classifier):
    """FLAML's L1 logistic regression on standardised columns (see the module docstring)."""

    _center: np.ndarray | None = None
    _scale: np.ndarray | None = None

    def _fit(self, X_train, y_train, **kwargs):
        M = np.asarray(super()._preprocess(X_train), dtype="float64")
        center = np.nanmean(M, axis=0) if len(M) else np.zeros(M.shape[1])
        scale = np.nanstd(M, axis=0) if len(M) else np.ones(M.shape[1])
        self._center = np.nan_to_num(center)
        self._scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
        return super()._fit(X_train, y_train, **kwargs)

    def _preprocess(self, X):
        M = super()._preprocess(X)
        if self._center is None:
            return M
        values = (np.asarray(M, dtype="float64") - self._center) / self._scale
        if isinstance(M, pd.DataFrame):
            return pd.DataFrame(values, columns=M.columns, index=M.index)
        return values


#: learner name -> our class, used by the search (``AutoML.add_learner``) and by every refit.
LEARNER_CLASSES = {"catboost": CanvasCatBoost, "lrl1": CanvasLRL1}
