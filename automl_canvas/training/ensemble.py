"""A weighted ensemble of fitted learners, and the greedy selection of its weights.

Selection is Caruana et al. (2004) forward selection with replacement, as in
AutoGluon's WeightedEnsemble: start empty, repeatedly add the candidate (again,
if it helps most) whose addition gives the best score of the combined
out-of-fold outputs, keep the best round; the weights are how often each
candidate was picked.  Greedy with replacement is robust where fitting weights
by optimisation overfits the out-of-fold rows.

The ensemble adds its members' raw scores with those weights (see
training/margins.py) and applies the link once: sigmoid for binary, softmax for
multiclass, identity for regression.  It is an estimator like the others
(``fit``, ``predict``, ``predict_proba``), pickled inside a CanvasModel, and is
rebuilt from its recipe: ``{"members": [{"learner", "config", "weight"}]}``; a
binary forest member also records its Platt line, ``"platt": [a, b]`` (see
training/margins.py).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .margins import link, margin_of
from .metrics import score
from .single_model import fit_single_estimator

__all__ = ["ENSEMBLE_LEARNER", "EnsembleMember", "WeightedEnsemble", "combine", "greedy_weights", "margin_score"]

#: The learner name of a delivered ensemble (the version's ``best_learner``).
ENSEMBLE_LEARNER = "weighted_ensemble"
#: Rounds of greedy selection (AutoGluon's default is 25).
ROUNDS = 25


@dataclass
class EnsembleMember:
    learner: str
    config: dict[str, Any]
    weight: float
    estimator: Any = None  # fitted on fit()
    #: a binary forest member's Platt line (a, b): its raw score is a + b * its positive-class probability
    scale: tuple[float, float] | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {"learner": self.learner, "config": dict(self.config), "weight": round(float(self.weight), 6)}
        if self.scale is not None:
            out["platt"] = [float(self.scale[0]), float(self.scale[1])]
        return out


@dataclass
class WeightedEnsemble:
    """Members' raw scores, weighted and summed, then linked (an estimator in the scikit-learn sense)."""

    task: str
    members: list[EnsembleMember] = field(default_factory=list)
    seed: int = 0
    n_jobs: int = 1

    @classmethod
    def from_config(cls, task: str, config: dict[str, Any], seed: int, n_jobs: int) -> WeightedEnsemble:
        members = [EnsembleMember(m["learner"], dict(m.get("config") or {}), float(m["weight"]),
                                  scale=tuple(float(v) for v in m["platt"]) if m.get("platt") else None)
                   for m in config["members"]]
        if not members:
            raise ValueError("an ensemble needs at least one member")
        return cls(task=task, members=members, seed=seed, n_jobs=n_jobs)

    def config(self) -> dict[str, Any]:
        return {"members": [m.to_dict() for m in self.members]}

    def fit(self, X: pd.DataFrame, y: np.ndarray) -> WeightedEnsemble:
        for m in self.members:
            m.estimator = fit_single_estimator(self.task, m.learner, m.config, self.seed, self.n_jobs, X, y)
        return self

    def member_margins(self, X: pd.DataFrame) -> list[np.ndarray]:
        return [margin_of(self.task, m.learner, m.estimator, X, m.scale) for m in self.members]

    def margin(self, X: pd.DataFrame) -> np.ndarray:
        """The weighted sum of the members' raw scores (what the ensemble's SHAP values add up to)."""
        return combine([m.weight for m in self.members], self.member_margins(X))

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return link(self.task, self.margin(X))

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        if self.task == "regression":
            return self.margin(X)
        return self.predict_proba(X).argmax(axis=1)


def combine(weights: list[float], outputs: list[np.ndarray]) -> np.ndarray:
    total = np.zeros_like(np.asarray(outputs[0], dtype="float64"))
    for w, out in zip(weights, outputs):
        total = total + float(w) * np.asarray(out, dtype="float64")
    return total


def margin_score(task: str, metric: str, y: np.ndarray, margin: np.ndarray) -> float:
    """The metric of combined raw scores (linked once), as greedy selection and cross-fitting judge them."""
    out = link(task, margin)
    if task == "regression":
        return score(task, metric, y, None, out)
    return score(task, metric, y, out, out.argmax(axis=1))


def greedy_weights(task: str, metric: str, higher_is_better: bool, y: np.ndarray,
                   outputs: dict[str, np.ndarray], rounds: int = ROUNDS) -> tuple[dict[str, float], float]:
    """Caruana forward selection with replacement over out-of-fold raw scores.

    ``outputs``: candidate key -> out-of-fold raw scores on the same rows.
    Returns (key -> weight for the picked candidates, the ensemble's score on
    those rows).  Ties go to the candidate listed first, so the result is the
    same on every run.
    """
    keys = list(outputs)
    if not keys:
        raise ValueError("no candidates to ensemble")
    sign = 1.0 if higher_is_better else -1.0
    picks: list[str] = []
    total = None
    best_round, best_value = 0, -np.inf
    history: list[list[str]] = []
    for _ in range(max(1, rounds)):
        round_best, round_value = None, -np.inf
        for k in keys:
            trial = outputs[k] if total is None else total + outputs[k]
            value = sign * margin_score(task, metric, y, trial / (len(picks) + 1))
            if value > round_value + 1e-12:
                round_best, round_value = k, value
        picks.append(round_best)
        total = outputs[round_best] if total is None else total + outputs[round_best]
        history.append(list(picks))
        if round_value > best_value + 1e-12:
            best_round, best_value = len(picks), round_value
    chosen = Counter(history[best_round - 1])
    n = sum(chosen.values())
    return {k: chosen[k] / n for k in keys if k in chosen}, sign * best_value
