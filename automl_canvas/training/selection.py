"""Which model is delivered: the default model, the best single model or the ensemble.

The rule a reviewer can check (docs/training.md):

1. On the *search folds* (where the portfolio, the search and the ensemble
   weights were chosen) the best single candidate, the best *ready-made*
   candidate (a portfolio configuration: not picked by the search) and, from
   the candidates that can join one, a greedy weighted ensemble are formed.
2. On *fresh folds* (same rows, another seed; nothing was tuned on them) the
   default model, the best single model, the best ready-made one (when it is
   another) and the ensemble are refit per fold with their recorded
   configurations and weights, and scored.
3. The best of the contenders other than the default model on the fresh folds
   is the challenger.  It is delivered only when it beats the default model on
   the fresh folds by more than one standard error of the paired per-fold
   difference; otherwise the default model is delivered, and the analyst and
   the scientist are told so.

Why the ready-made contender: the search's winner was picked among hundreds
of trials on the search folds themselves, so its score there is flattered
(winner's curse), most on small tables; a ready-made configuration was not
picked among many.  Without it, a search winner that only looks better than
CatBoost's or a forest's default on the search folds would stand alone
against the default model on the fresh folds.

When the remaining time does not allow the fresh folds, the same rule runs on
the search folds for the single model only (the ensemble's weights were fitted
on those rows, so it would be judged on its own training evidence), and the
recipe says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .ensemble import ENSEMBLE_LEARNER, greedy_weights
from .folds import Candidate, FoldEvidence, candidate_key, paired_margin
from .leaderboard import DEFAULT_LEARNER
from .margins import can_join, needs_scale, platt_scale

__all__ = ["ENSEMBLE_POOL", "SEARCH_SOURCE", "Choice", "best_ready_made", "best_single", "choose", "contender_keys",
           "contenders_of", "ensemble_of", "fresh_cost"]

#: Most distinct candidates offered to the ensemble (best first on the search folds).
ENSEMBLE_POOL = 6
#: The ``source`` of the search's own pick among the candidates (training/phases.py fits it under this name).
SEARCH_SOURCE = "search"


@dataclass
class Choice:
    learner: str
    config: dict[str, Any]
    kind: str  # "default", "single" or "ensemble"
    #: the delivered recipe's mean score on the evidence the choice was made on
    score: float
    cv: dict[str, Any]
    #: words for the recipe: what the choice was made on
    selection: str
    #: binary: the delivered recipe's out-of-fold probability of the positive class on those folds, per fit row
    oof_positive: np.ndarray | None = None
    #: the three contenders' mean scores on the fresh folds (None when the fresh folds were skipped)
    fresh: dict[str, Any] | None = None
    notes: list[dict[str, Any]] = field(default_factory=list)


def best_single(ev: FoldEvidence, higher: bool) -> Candidate:
    """The best candidate on ``ev``'s folds (the default model included)."""
    cands = list(ev.candidates.values())
    return max(cands, key=lambda c: c.mean) if higher else min(cands, key=lambda c: c.mean)


def best_ready_made(ev: FoldEvidence, higher: bool) -> Candidate | None:
    """The best portfolio candidate on ``ev``'s folds: neither the search's pick nor the default model."""
    cands = [c for c in ev.candidates.values() if c.source != SEARCH_SOURCE and c.learner != DEFAULT_LEARNER]
    if not cands:
        return None
    return max(cands, key=lambda c: c.mean) if higher else min(cands, key=lambda c: c.mean)


def ensemble_of(ev: FoldEvidence, higher: bool) -> tuple[list[tuple[str, float, tuple[float, float] | None]], float] | None:
    """Greedy weights over the best candidates that can join an ensemble; None when fewer than two are picked.

    Returns the members as ``(key, weight, Platt line or None)`` and the ensemble's score on ``ev``'s rows.
    A binary forest joins through the Platt line fitted to its out-of-fold probabilities on these folds
    (training/margins.py): the line is part of the recipe, so fresh folds judge the same ensemble.
    """
    pool = [c for c in ev.candidates.values() if can_join(ev.task, c.learner) and np.isfinite(ev.output(_key(c))).all()]
    pool.sort(key=lambda c: c.mean, reverse=higher)
    pool = pool[:ENSEMBLE_POOL]
    if len(pool) < 2:
        return None
    scales = {_key(c): platt_scale(ev.output(_key(c)), ev.y) for c in pool if needs_scale(ev.task, c.learner)}
    weights, value = greedy_weights(ev.task, ev.metric, higher, ev.y,
                                    {_key(c): ev.margin(_key(c), scales.get(_key(c))) for c in pool})
    if len(weights) < 2:
        return None
    return [(k, w, scales.get(k)) for k, w in weights.items()], value


def _key(c: Candidate) -> str:
    return candidate_key(c.learner, c.config)


def ensemble_config(ev: FoldEvidence, members: list[tuple[str, float, tuple[float, float] | None]]) -> dict[str, Any]:
    out = []
    for k, w, scale in members:
        m = {"learner": ev.candidates[k].learner, "config": dict(ev.candidates[k].config), "weight": round(w, 6)}
        if scale is not None:
            m["platt"] = [float(scale[0]), float(scale[1])]
        out.append(m)
    return {"members": out}


def fresh_cost(ev: FoldEvidence, keys: list[str]) -> float:
    """Seconds the fresh folds will take: what the same candidates took on the search folds."""
    return float(sum(ev.candidates[k].seconds for k in set(keys)))


def _positive(ev: FoldEvidence, members: list[tuple]) -> np.ndarray | None:
    return ev.answer(members)[:, -1] if ev.task == "binary" else None


def contenders_of(search: FoldEvidence, higher: bool) -> tuple[dict[str, list[tuple]], tuple | None]:
    """What the fresh folds judge: contender name -> its members ``(key, weight[, Platt line])``, and the ensemble
    (members, score on the search folds) or None.  The trainer plans the fresh folds' time from the same list."""
    default_key = candidate_key(DEFAULT_LEARNER, {})
    single_key = _key(best_single(search, higher))
    contenders: dict[str, list[tuple]] = {"default": [(default_key, 1.0)], "single": [(single_key, 1.0)]}
    ready = best_ready_made(search, higher)
    if ready is not None and _key(ready) != single_key:
        contenders["ready_made"] = [(_key(ready), 1.0)]
    ens = ensemble_of(search, higher)
    if ens is not None:
        contenders["ensemble"] = list(ens[0])
    return contenders, ens


def contender_keys(search: FoldEvidence, higher: bool, planned: tuple | None = None) -> list[str]:
    """Every candidate the fresh folds would refit (each once); ``planned``: ``contenders_of``'s answer, if in hand."""
    contenders = (planned or contenders_of(search, higher))[0]
    return list(dict.fromkeys(m[0] for members in contenders.values() for m in members))


def choose(search: FoldEvidence, higher: bool, *, fresh: FoldEvidence | None, deadline: float | None = None,
           planned: tuple | None = None) -> Choice:
    """Apply the rule in this module's docstring; ``fresh`` None: no time for fresh folds.

    ``deadline`` bounds the fresh folds (``TooSlow`` when they would pass it: the caller then chooses without them).
    ``planned``: ``contenders_of(search, higher)`` when the caller already formed it (the greedy ensemble takes
    about 0.7 s on 16,000 rows, so a build forms it once after the search).
    """
    default_key = candidate_key(DEFAULT_LEARNER, {})
    single = best_single(search, higher)
    single_key = _key(single)
    sign = 1.0 if higher else -1.0
    if fresh is None:
        d = search.candidates[default_key]
        diffs = sign * (np.asarray(single.scores) - np.asarray(d.scores))
        margin = paired_margin(diffs)
        what = f"{search.n_folds}-fold cross-validation on the search folds (no time was left for fresh folds)"
        if single_key != default_key and float(diffs.mean()) > margin:
            return Choice(single.learner, single.config, "single", single.mean, single.cv_dict(search.metric), what,
                          _positive(search, [(single_key, 1.0)]))
        return _default_kept(search, d, single, default_key, single_key, what, margin)

    contenders, ens = planned or contenders_of(search, higher)
    for members in contenders.values():
        for k, *_ in members:
            c = search.candidates[k]
            fresh.fit(c.learner, c.config, c.source, deadline=deadline)
    scores = {name: np.asarray(fresh.combination_scores(m)) for name, m in contenders.items()}
    means = {name: float(s.mean()) for name, s in scores.items()}
    what = f"{fresh.n_folds} fresh cross-validation folds (another seed; no model was tuned on them)"
    info = {"metric": fresh.metric, "folds": fresh.n_folds, "mean_scores": means,
            **({"ensemble_weights_search_folds_score": round(ens[1], 6)} if ens is not None else {})}
    names = [n for n in ("single", "ready_made", "ensemble") if n in scores]
    challenger = max(names, key=lambda n: sign * means[n])
    diffs = sign * (scores[challenger] - scores["default"])
    margin = paired_margin(diffs)
    info["challenger"], info["margin"], info["mean_difference"] = challenger, round(margin, 6), round(float(diffs.mean()), 6)
    cv = {"metric": fresh.metric, "folds": fresh.n_folds, "scores": scores[challenger].tolist(),
          "mean": means[challenger], "std": float(scores[challenger].std())}
    members = contenders[challenger]
    challenger_is_default = [m[0] for m in members] == [default_key]
    picked = None if challenger == "ensemble" else search.candidates[members[0][0]]
    if not challenger_is_default and float(diffs.mean()) > margin:
        info["delivered"] = challenger
        if challenger == "ensemble":
            learner, config = ENSEMBLE_LEARNER, ensemble_config(search, members)
        else:
            learner, config = picked.learner, picked.config
        kind = "ensemble" if challenger == "ensemble" else "single"
        return Choice(learner, dict(config), kind, means[challenger], cv, what, _positive(fresh, members), info)
    info["delivered"] = "default"
    d = fresh.candidates[default_key]
    best_name = "the ensemble" if challenger == "ensemble" else (
        f"the best single model ({picked.learner})" if challenger == "single" else f"the best ready-made model ({picked.learner})")
    choice = Choice(DEFAULT_LEARNER, {}, "default", d.mean, d.cv_dict(fresh.metric), what,
                    _positive(fresh, [(default_key, 1.0)]), info)
    if not challenger_is_default:
        choice.notes.append({
            "severity": "info", "kind": "default_model_kept",
            "message": f"{best_name[0].upper()}{best_name[1:]} scored {means[challenger]:.4f} on {what} against the "
                       f"default HistGradientBoosting model's {means['default']:.4f}: not better by more than one "
                       f"standard error ({margin:.4f}), so the more robust default model was kept."})
    return choice


def _default_kept(search: FoldEvidence, d: Candidate, single: Candidate, default_key: str, single_key: str,
                  what: str, margin: float) -> Choice:
    choice = Choice(DEFAULT_LEARNER, {}, "default", d.mean, d.cv_dict(search.metric), what,
                    _positive(search, [(default_key, 1.0)]))
    if single_key != default_key:
        choice.notes.append({
            "severity": "info", "kind": "default_model_kept",
            "message": f"The best model found ({single.learner}, {single.mean:.4f} on {what}) did not beat the default "
                       f"HistGradientBoosting model ({d.mean:.4f}) by more than one standard error ({margin:.4f}), "
                       "so the more robust default model was kept."})
    return choice
