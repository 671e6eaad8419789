"""Out-of-fold evidence: every candidate fitted on the same folds, outputs kept per row.

One :class:`FoldEvidence` holds one set of folds over the train+validation rows
and, per candidate (learner + configuration), the out-of-fold raw scores (or
probabilities, for learners without a raw score; see training/margins.py) and
the seconds it took.  From those, any weighted combination of candidates can be
scored per fold without fitting anything again: a single model is a
combination of one.

The trainer keeps two of these: the *search folds*, on which the portfolio,
the search and the ensemble weights are chosen, and *fresh folds* (another
seed), on which the final choice between the default model, the best single
model and the ensemble is made.  Fresh folds matter: a candidate chosen among
many on the search folds looks better there than it is (winner's curse), and
ensemble weights fitted on out-of-fold rows flatter those same rows.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold, StratifiedKFold

from .anytime import WrapUp, wrap_up_requested
from .estimators import fit_estimator
from .margins import has_margin, link, output_of, scaled
from .metrics import score

__all__ = ["Candidate", "FoldEvidence", "TooSlow", "candidate_key", "make_splitter", "paired_margin"]


class TooSlow(Exception):
    """A candidate's folds would not end before the deadline given to :meth:`FoldEvidence.fit`."""


def make_splitter(task: str, y: np.ndarray, folds: int, seed: int):
    """Seeded folds (stratified for classification; never more folds than the rarest class has rows)."""
    if task == "regression":
        return KFold(folds, shuffle=True, random_state=seed)
    return StratifiedKFold(max(2, min(folds, int(np.bincount(y).min()))), shuffle=True, random_state=seed)


def candidate_key(learner: str, config: dict[str, Any]) -> str:
    return learner + ":" + json.dumps(config, sort_keys=True, default=str)


def paired_margin(diffs: np.ndarray) -> float:
    """One standard error of the mean of paired per-fold differences (0 with a single fold)."""
    diffs = np.asarray(diffs, dtype="float64")
    return float(np.std(diffs, ddof=1) / np.sqrt(len(diffs))) if len(diffs) > 1 else 0.0


@dataclass
class Candidate:
    """A candidate's evidence on one set of folds."""

    learner: str
    config: dict[str, Any]
    source: str
    scores: list[float]
    seconds: float

    @property
    def mean(self) -> float:
        return float(np.mean(self.scores))

    @property
    def std(self) -> float:
        return float(np.std(self.scores))

    def cv_dict(self, metric: str) -> dict[str, Any]:
        return {"metric": metric, "folds": len(self.scores), "scores": list(self.scores), "mean": self.mean, "std": self.std}


@dataclass
class FoldEvidence:
    task: str
    metric: str
    X: pd.DataFrame
    y: np.ndarray
    splitter: Any
    seed: int
    n_jobs: int
    folds: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    _outputs: dict[str, np.ndarray] = field(default_factory=dict)
    _learners: dict[str, str] = field(default_factory=dict)
    candidates: dict[str, Candidate] = field(default_factory=dict)
    #: Stop between folds when the job is asked to wrap up (raises WrapUp; the caller uses what it has).
    interruptible: bool = True

    def __post_init__(self) -> None:
        self.folds = [(tr, te) for tr, te in self.splitter.split(self.X, self.y)]

    @property
    def n_folds(self) -> int:
        return len(self.folds)

    def fit(self, learner: str, config: dict[str, Any], source: str, *, deadline: float | None = None,
            interruptible: bool | None = None) -> Candidate:
        """Fit ``learner`` on every fold (once; later calls reuse it) and keep its out-of-fold outputs.

        ``deadline`` (a ``time.monotonic()`` value): give up, raising :class:`TooSlow`, as soon as the folds
        done so far show the rest would end after it (on a busy machine a fit can take ten times its usual time).
        """
        key = candidate_key(learner, config)
        if key in self.candidates:
            return self.candidates[key]
        started = time.monotonic()
        out = None
        for i, (tr, te) in enumerate(self.folds):
            if (self.interruptible if interruptible is None else interruptible) and wrap_up_requested():
                raise WrapUp()
            if deadline is not None and i:
                per_fold = (time.monotonic() - started) / i
                if time.monotonic() + per_fold * (len(self.folds) - i) > deadline:
                    raise TooSlow(f"{learner} would need about {per_fold * len(self.folds):.0f} s for its folds")
            est = fit_estimator(self.task, learner, config, self.seed, self.n_jobs, self.X.iloc[tr], self.y[tr])
            part = output_of(self.task, learner, est, self.X.iloc[te])
            if out is None:
                out = np.full((len(self.y),) + part.shape[1:], np.nan)
            out[te] = part
        self._outputs[key], self._learners[key] = out, learner
        cand = Candidate(learner, dict(config), source, self._fold_scores([(key, 1.0)]), time.monotonic() - started)
        self.candidates[key] = cand
        return cand

    def output(self, key: str) -> np.ndarray:
        return self._outputs[key]

    def margin(self, key: str, scale: tuple[float, float] | None = None) -> np.ndarray:
        """A fitted candidate's out-of-fold raw scores; a binary forest's through its Platt line ``scale``."""
        out = self._outputs[key]
        if has_margin(self.task, self._learners[key]):
            return out
        if scale is None:
            raise ValueError(f"{self._learners[key]} has no raw score: combine it through its Platt line")
        return scaled(out, scale)

    def answer(self, members: list[tuple]) -> np.ndarray:
        """Out-of-fold answers (probabilities or values) of a weighted combination of fitted candidates.

        ``members``: ``(key, weight)`` or ``(key, weight, Platt line or None)`` per candidate.
        """
        if len(members) == 1 and (len(members[0]) < 3 or members[0][2] is None):
            key = members[0][0]
            learner = self._learners[key]
            if not has_margin(self.task, learner):  # probabilities already
                out = self._outputs[key]
                return np.column_stack([1 - out, out]) if self.task == "binary" else out
        total = sum(float(m[1]) * self.margin(m[0], m[2] if len(m) > 2 else None) for m in members)
        return link(self.task, total)

    def _fold_scores(self, members: list[tuple]) -> list[float]:
        ans = self.answer(members)
        out = []
        for _, te in self.folds:
            if self.task == "regression":
                out.append(score(self.task, self.metric, self.y[te], None, ans[te]))
            else:
                out.append(score(self.task, self.metric, self.y[te], ans[te], ans[te].argmax(axis=1)))
        return out

    def combination_scores(self, members: list[tuple]) -> list[float]:
        """Per-fold scores of a weighted combination of candidates already fitted here."""
        return self._fold_scores(members)

    def seconds_of(self, learner: str, config: dict[str, Any]) -> float | None:
        cand = self.candidates.get(candidate_key(learner, config))
        return None if cand is None else cand.seconds
