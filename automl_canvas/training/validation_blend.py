"""Large tables: a weighted ensemble judged on the validation rows.

On tables above ``cv_max_rows`` candidates are judged on one validation split,
not on folds, so the fold-based ensemble (selection.py) has nothing to work
with. The models are already there, though: the default model and, for each
learner the search tried, its best model, all fitted on the training rows. This
module blends them the way AutoGluon's WeightedEnsemble does on its holdout
(Caruana forward selection over the members' raw scores, ensemble.py).

Honesty: weights chosen on the validation rows look better there than they
are. So the ensemble is judged by **cross-fitting**: the validation rows are
cut in two halves; weights chosen on one half score the other, and the
pooled cross-fitted scores are what the ensemble is compared on. It is
delivered only when that score beats the single model the validation rows
chose (whose own score there is, if anything, optimistic: the search picked
it on those rows) — so an ensemble wins only on evidence its weights never
saw. The delivered weights are then chosen on all the validation rows.

Time: the ensemble is only delivered when refitting every member on the
train+validation rows and then on every row fits inside the job's promise
(each member's fit time is the search's measured one, scaled by rows): a
quarter more rows is worth more than a blend, so the blend gives way to it.
When the whole blend does not fit, its slowest member is left out and the
rest re-blended (and judged again, cross-fitted), until one fits or fewer than
two members remain (:func:`decide`): diamonds fold 1 had kept its default model,
RMSE 554, because its three-member blend's refits were 5 s too long.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold

from .ensemble import combine, greedy_weights, margin_score
from .leaderboard import DEFAULT_LEARNER
from .margins import has_margin, link, margin_of
from .metrics import MetricInfo
from .search import kept_models
from .selection import ENSEMBLE_POOL

__all__ = ["Blend", "BlendDecision", "Member", "beats", "blend_note", "blend_on_validation", "blend_pays", "decide",
           "members_of", "search_members"]

@dataclass
class Member:
    """A candidate fitted on the training rows: its recorded recipe, the fitted model and its fit time."""

    learner: str
    config: dict[str, Any]
    estimator: Any
    fit_seconds: float  # expected for a fit on the training rows


@dataclass
class Blend:
    config: dict[str, Any]  # {"members": [{"learner", "config", "weight"}]}
    crossfit_score: float  # the pooled cross-fitted score on the validation rows (what it is judged on)
    positive: np.ndarray | None  # binary: cross-fitted probabilities of the positive class (for the cut-off)
    refit_seconds: float  # expected for refitting every member on the train+validation rows
    picked: tuple[int, ...] = ()  # positions, in the members given, of those with a weight (best first)
    best_alone: float = float("nan")  # the best member's own score on the validation rows


def search_members(result: Any, task: str, train_rows: int) -> list[Member]:
    """The search's best model of each learner that can join an ensemble (search.kept_models: fitted on every
    training row, recorded with the trees it really has)."""
    return members_of(kept_models(result, train_rows), task)


def members_of(kept: list[tuple[str, dict[str, Any], Any, float]], task: str) -> list[Member]:
    """Kept search models, as (learner, config, fitted model, fit seconds), that can join an ensemble."""
    return [Member(learner, config, est, seconds) for learner, config, est, seconds in kept if has_margin(task, learner)]


def blend_pays(task: str, metric: MetricInfo, members: list[Member], X_val, y_val: np.ndarray, seed: int) -> bool:
    """Whether a blend of ``members`` beats the best of them alone on the validation rows, cross-fitted (asked
    mid-search, before the search ends early to leave time for a blend's refits: phases.refits_stop_rule)."""
    blend = blend_on_validation(task, metric, members, X_val, y_val, seed, 1.0)
    return blend is not None and beats(metric, blend.crossfit_score, blend.best_alone)


def _halves(task: str, y: np.ndarray, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    splitter = KFold(2, shuffle=True, random_state=seed) if task == "regression" else StratifiedKFold(2, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(y)), y))


def blend_on_validation(task: str, metric: MetricInfo, members: list[Member], X_val, y_val: np.ndarray, seed: int,
                        fit_ratio: float, margins: list[np.ndarray] | None = None) -> Blend | None:
    """The cross-fitted ensemble of ``members`` (default model first), or None when fewer than two earn a weight.

    ``fit_ratio``: train+validation rows / training rows (scales each member's fit time to its refit).
    ``margins``: the members' raw scores on ``X_val`` when already computed (same order as ``members``).
    """
    if len(members) < 2:
        return None
    if margins is None:
        margins = [margin_of(task, m.learner, m.estimator, X_val) for m in members]
    outputs = {i: np.asarray(out, dtype="float64") for i, out in enumerate(margins)}
    sign = 1.0 if metric.higher_is_better else -1.0
    alone = {i: margin_score(task, metric.name, y_val, out) for i, out in outputs.items()}
    pool = sorted(outputs, key=lambda i: -sign * alone[i])[:ENSEMBLE_POOL]
    outputs = {i: outputs[i] for i in pool}
    weights, _ = greedy_weights(task, metric.name, metric.higher_is_better, y_val, outputs)
    if len(weights) < 2:
        return None  # one model alone was best: nothing to blend
    crossfit = np.zeros_like(outputs[pool[0]])
    for fit_rows, score_rows in _halves(task, y_val, seed):
        w, _ = greedy_weights(task, metric.name, metric.higher_is_better, y_val[fit_rows],
                              {i: out[fit_rows] for i, out in outputs.items()})
        crossfit[score_rows] = combine(list(w.values()), [outputs[i][score_rows] for i in w])
    chosen = [i for i in pool if i in weights]  # in pool order: the best member first
    config = {"members": [{"learner": members[i].learner, "config": dict(members[i].config), "weight": round(float(weights[i]), 6)}
                          for i in chosen]}
    positive = link(task, crossfit)[:, -1] if task == "binary" else None
    return Blend(config, margin_score(task, metric.name, y_val, crossfit), positive,
                 refit_seconds=fit_ratio * sum(members[i].fit_seconds for i in chosen), picked=tuple(chosen),
                 best_alone=alone[pool[0]])


@dataclass
class BlendDecision:
    blend: Blend | None  # the delivered blend, else the first one formed (for the leaderboard), else None
    delivered: bool
    #: learners left out because the blend's refits would not have fitted the time (slowest first)
    left_out: list[str]

    def info(self, single_learner: str, single_score: float) -> dict[str, Any] | None:
        """The recipe's ``validation_ensemble`` record (None when no blend was formed)."""
        if self.blend is None:
            return None
        return {"ensemble": round(self.blend.crossfit_score, 6), "single": round(single_score, 6),
                "single_learner": single_learner, "delivered": self.delivered,
                "refit_seconds_expected": round(self.blend.refit_seconds, 2),
                **({"left_out_for_time": self.left_out} if self.left_out else {})}


def decide(task: str, metric: MetricInfo, members: list[Member], X_val, y_val: np.ndarray, seed: int, *,
           fit_ratio: float, all_rows_ratio: float, single_score: float, fits: Callable[[float], bool]) -> BlendDecision:
    """Whether to deliver a blend of ``members`` instead of the single model the validation rows chose.

    Delivered when its cross-fitted score beats ``single_score`` and its refits — every member on the
    train+validation rows, then (``all_rows_ratio`` = all rows / train+validation rows, 0 without the all-rows
    refit) on every row, 10 % to spare — still end inside the job's promise (``fits``). When they would not, the
    slowest member is left out and the rest re-blended and judged again.
    """
    margins = [margin_of(task, m.learner, m.estimator, X_val) for m in members]
    pool = list(range(len(members)))
    first, left_out = None, []
    while len(pool) >= 2:
        blend = blend_on_validation(task, metric, [members[i] for i in pool], X_val, y_val, seed, fit_ratio,
                                    margins=[margins[i] for i in pool])
        if blend is None:
            break
        first = first or blend
        if not beats(metric, blend.crossfit_score, single_score):
            break
        if fits(1.1 * blend.refit_seconds * (1 + all_rows_ratio)):
            return BlendDecision(blend, True, left_out)
        slowest = max((pool[j] for j in blend.picked), key=lambda i: members[i].fit_seconds)
        left_out.append(members[slowest].learner)
        pool.remove(slowest)
    return BlendDecision(first, False, left_out)


def beats(metric: MetricInfo, challenger: float, incumbent: float) -> bool:
    return challenger > incumbent if metric.higher_is_better else challenger < incumbent


def blend_note(blend: Blend, single_label: str, single_score: float, metric: MetricInfo,
               left_out: list[str] | None = None) -> dict[str, Any]:
    parts = ", ".join(f"{'the default model' if m['learner'] == DEFAULT_LEARNER else m['learner']} ({m['weight']:.0%})"
                      for m in blend.config["members"])
    dropped = ""
    if left_out:
        names = ", ".join("the default model" if n == DEFAULT_LEARNER else n for n in left_out)
        dropped = (f" Left out to finish on time: {names} (refitting it as well would have run past the time budget; "
                   "a longer budget keeps it).")
    return {"severity": "info", "kind": "ensemble_delivered",
            "message": f"The delivered model is a weighted ensemble of {len(blend.config['members'])} models: {parts}. On the "
            f"validation rows, with its weights chosen on the other half each time, it scored {metric.label} "
            f"{blend.crossfit_score:.4f} against {single_score:.4f} for {single_label}.{dropped}"}
