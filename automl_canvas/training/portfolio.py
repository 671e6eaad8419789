"""The portfolio: strong configurations fitted before the search.

Why: on a 60-second budget a hyperparameter search barely leaves its cheap
starting corner, while well-chosen defaults are already close to the best a
table allows (the lesson of AutoGluon's presets and FLAML's zero-shot AutoML).
So every build first fits, on the same folds as everything else:

- FLAML's data-dependent zero-shot configurations (``flaml.default``: a
  configuration mined offline for the nearest of many benchmark tables, chosen
  by the table's meta-features) for LightGBM, XGBoost and extra trees;
- CatBoost with FLAML's starting configuration (learning rate 0.1, early
  stopping on the last tenth of the training rows): the strongest default on
  tables with many categorical columns;
- an L1-regularised logistic regression (classification): a linear member
  makes ensembles more diverse than another tree model would;
- scikit-learn's own random forest and extra trees (100 full-depth trees):
  on small, noisy tables these averaging models are often the best single
  models and the most useful ensemble members (AutoGluon fits both by default);
  last, because on large tables they cost several default models each.

The default HistGradientBoosting model is fitted by the trainer in any case.
The search then starts from the zero-shot configurations (``starting_points``).
Candidates come in order of how much they are worth per second, so a short
budget fits the first few and skips the rest (the trainer decides by time).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["COST_FACTOR", "PortfolioEntry", "portfolio", "search_space_names", "starting_points"]

log = logging.getLogger(__name__)

#: Rough cost of one fit relative to the default HistGradientBoosting model's (to skip what does not fit the time).
COST_FACTOR = {"lgbm": 1.5, "catboost": 4.0, "xgboost": 2.0, "extra_tree": 1.0, "rf": 1.5, "lrl1": 0.5}
_ZERO_SHOT = ("lgbm", "xgboost", "extra_tree")
_ZERO_SHOT_SOURCE = "FLAML zero-shot default for this table"
#: FLAML's starting configuration for CatBoost (its search space's init values).
#: 300 trees at 0.1 (not FLAML's 8,192 with early stopping): a bounded cost on tables whose loss keeps falling.
_CATBOOST = {"early_stopping_rounds": 10, "learning_rate": 0.1, "n_estimators": 300}
_LINEAR = {"C": 1.0}
#: scikit-learn's defaults (an empty configuration): 100 full-depth trees; dearer than the zero-shot forests.
_LIBRARY_DEFAULT = "(scikit-learn's)"
_FOREST_DEFAULTS = (("rf", f"random forest default {_LIBRARY_DEFAULT}"), ("extra_tree", f"extra trees default {_LIBRARY_DEFAULT}"))
_FOREST_DEFAULT_COST = 3.0
#: Caps that keep a zero-shot configuration within a short budget (some are mined for hour-long runs).
_MAX_ESTIMATORS = 1000


@dataclass(frozen=True)
class PortfolioEntry:
    learner: str
    config: dict[str, Any]
    #: Where the configuration comes from, in words for the leaderboard.
    source: str
    #: Rough cost of one fit relative to the default model's (None: the learner's ``COST_FACTOR``).
    cost_factor: float | None = None

    @property
    def label(self) -> str:
        """How a note names it: the learner, or "scikit-learn's rf" for the library-default forests."""
        return f"scikit-learn's {self.learner}" if self.source.endswith(_LIBRARY_DEFAULT) else self.learner

    @property
    def cost(self) -> float:
        return self.cost_factor if self.cost_factor is not None else COST_FACTOR.get(self.learner, 2.0)


def _flaml_task(task: str) -> str:
    return "regression" if task == "regression" else "classification"


def _zero_shot(task: str, learner: str, X: pd.DataFrame, y: np.ndarray) -> dict[str, Any] | None:
    from flaml.default.suggest import suggest_config

    try:
        configs = suggest_config(_flaml_task(task), X, pd.Series(y), learner, k=1)
    except Exception as exc:  # noqa: BLE001 - a zero-shot failure costs one candidate, never the build
        log.info("no zero-shot configuration for %s: %s", learner, exc)
        return None
    if not configs:
        return None
    config = dict(configs[0].get("hyperparameters") or {})
    # Only what FLAML searches for this learner and task: a mined configuration may carry more (extra trees'
    # ``criterion: entropy`` for a regression table, which scikit-learn's regressor refuses and which makes
    # FLAML's search fail on the unknown name with a KeyError when given as a starting point).
    names = search_space_names(task, learner, X.shape)
    if names is None:
        return None
    config = {k: v for k, v in config.items() if k in names}
    if "n_estimators" in config:
        config["n_estimators"] = int(min(config["n_estimators"], _MAX_ESTIMATORS))
    return config


def portfolio(task: str, X: pd.DataFrame, y: np.ndarray, allowed: tuple[str, ...]) -> list[PortfolioEntry]:
    """The candidates to fit before the search, best value per second first, restricted to ``allowed`` learners."""
    entries: list[PortfolioEntry] = []
    for learner in ("lgbm", "catboost", "xgboost", "extra_tree", "lrl1"):
        if learner not in allowed:
            continue
        if learner == "catboost":
            entries.append(PortfolioEntry("catboost", dict(_CATBOOST), "CatBoost default"))
        elif learner == "lrl1":
            if task != "regression":
                entries.append(PortfolioEntry("lrl1", dict(_LINEAR), "L1 logistic regression default"))
        else:
            config = _zero_shot(task, learner, X, y)
            if config is not None:
                entries.append(PortfolioEntry(learner, config, _ZERO_SHOT_SOURCE))
    for learner, source in _FOREST_DEFAULTS:
        if learner in allowed:
            entries.append(PortfolioEntry(learner, {}, source, cost_factor=_FOREST_DEFAULT_COST))
    return entries


def starting_points(entries: list[PortfolioEntry]) -> dict[str, dict[str, Any]]:
    """The zero-shot configurations, as FLAML's ``starting_points`` (one per learner)."""
    return {e.learner: dict(e.config) for e in entries if e.learner in _ZERO_SHOT and e.source == _ZERO_SHOT_SOURCE}


def search_space_names(task: str, learner: str, data_size: tuple[int, int]) -> set[str] | None:
    """The hyperparameter names FLAML searches for ``learner`` on a ``task`` table of ``data_size`` (None if unknown)."""
    try:
        from flaml.automl.task.factory import task_factory

        flaml_task = task_factory(task)
        space = flaml_task.estimator_class_from_str(learner).search_space(data_size=data_size, task=flaml_task)
    except Exception as exc:  # noqa: BLE001 - a missing starting point costs a little time, never the build
        log.info("no FLAML search space for %s (%s): %s", learner, task, exc)
        return None
    return set(space)
