"""Our variants of FLAML learners (importable by name, so pickled models load).

CatBoost: FLAML searches it with a fixed 8,192 trees and early stopping, and
its time-limit callback never checks the deadline for CatBoost (only XGBoost
and LightGBM), so one trial on a table whose loss keeps falling (a separable
one) ran for minutes past a 3-second budget.  :class:`CanvasCatBoost` caps the
trees at :data:`CATBOOST_MAX_TREES` (early stopping still ends most fits far
sooner), stops a trial at its deadline like the other boosters and writes no
training logs into the working directory.  A refit
from a recorded configuration gets no deadline, so it is reproducible.
"""

from __future__ import annotations

import time

from flaml.automl.model import CatBoostEstimator, CatBoostResourceLimit

__all__ = ["CATBOOST_MAX_TREES", "LEARNER_CLASSES", "CanvasCatBoost"]

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


#: learner name -> our class, used by the search (``AutoML.add_learner``) and by every refit.
LEARNER_CLASSES = {"catboost": CanvasCatBoost}
