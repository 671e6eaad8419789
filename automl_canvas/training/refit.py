"""Rebuild a version's evaluation setting from its recipe.

The delivered model is refit on every labelled row, so its holdout numbers
would be optimistic. Everything that must be honest about the holdout —
reproduce, performance detail, fairness, mitigation, explaining a leaderboard
candidate — refits the recorded configuration on train + validation instead,
exactly as training did. This is the one place that knows how.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import NotFoundError
from .pipeline import CanvasModel
from .preprocess import FeaturePlan, TabularPreprocessor
from .trainer import DEFAULT_LEARNER, SplitRows, fit_estimator, prepare_rows

__all__ = ["EvaluationSetting", "candidate_config", "rebuild"]


@dataclass
class EvaluationSetting:
    rows: SplitRows
    preprocessor: TabularPreprocessor
    X: pd.DataFrame  # every labelled row, encoded

    def original(self, part: str) -> pd.DataFrame:
        """Original columns of ``part`` in {"train", "validation", "fit", "holdout"} (target included)."""
        idx = {"train": self.rows.train_idx, "validation": self.rows.val_idx, "fit": self.rows.fit_idx,
               "holdout": self.rows.holdout_idx}[part]
        return self.rows.X_raw.iloc[idx]

    def encoded(self, part: str) -> tuple[pd.DataFrame, np.ndarray]:
        idx = {"train": self.rows.train_idx, "validation": self.rows.val_idx, "fit": self.rows.fit_idx,
               "holdout": self.rows.holdout_idx}[part]
        return self.X.iloc[idx], self.rows.y[idx]

    def fit_model(self, task: str, target: str, learner: str, config: dict[str, Any], seed: int, n_jobs: int,
                  threshold: float | None = None) -> CanvasModel:
        """The recorded configuration fitted on train + validation (deterministic), deciding at ``threshold``
        (binary: the version's operating point; None decides by the larger probability)."""
        X_fit, y_fit = self.encoded("fit")
        est = fit_estimator(task, learner, config, seed, n_jobs, X_fit, y_fit)
        return CanvasModel(task=task, target=target, learner=learner, preprocessor=self.preprocessor,
                           estimator=est, classes=self.rows.classes, threshold=threshold)


def rebuild(df: pd.DataFrame, recipe: dict[str, Any]) -> EvaluationSetting:
    """The same labelled rows, split and fitted preprocessing that training used."""
    rows = prepare_rows(df, recipe["task"], recipe["target"], int(recipe["seed"]),
                        recipe["holdout_fraction"], recipe["validation_fraction"])
    pre = TabularPreprocessor(FeaturePlan(**recipe["features"])).fit(rows.X_raw.iloc[rows.fit_idx])
    return EvaluationSetting(rows=rows, preprocessor=pre, X=pre.transform(rows.X_raw))


def candidate_config(leaderboard: list[dict[str, Any]], rank: int) -> tuple[str, dict[str, Any]]:
    """(learner, hyperparameters) of leaderboard row ``rank`` (1 = best validation loss)."""
    for row in leaderboard:
        if row.get("rank") == rank:
            learner = row["learner"]
            return learner, ({} if learner == DEFAULT_LEARNER else dict(row.get("config") or {}))
    raise NotFoundError(f"The leaderboard has no candidate ranked {rank}; it has {len(leaderboard)} candidates.")
