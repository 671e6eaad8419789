"""The phases of a build, each inside its share of the one time budget (docs/training.md "Time").

``training.trainer.train`` runs them in order: the default model and the
portfolio on the search folds, the FLAML search, the check of the search's best
on the same folds, the choice (training/selection.py), the refits.  Each phase
here asks the clock before it starts and stops between folds when the job is
asked to wrap up, so a build on a busy machine ends with the best model it has.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .anytime import WrapUp, wrap_up_requested
from .ensemble import ENSEMBLE_LEARNER
from .estimators import fit_estimator
from .folds import FoldEvidence, TooSlow
from .leaderboard import DEFAULT_LEARNER, candidate_row
from .metrics import MetricInfo, evaluate, score
from .operating_point import ThresholdCurve, choose_operating_point
from .search import SearchResult, run_search
from .selection import SEARCH_SOURCE, best_single, contender_keys, ensemble_config, ensemble_of, fresh_cost

__all__ = ["AROUND_SECONDS", "BLEND_REFITS_SHARE", "FRESH_SEED_OFFSET", "MIN_SEARCH_SHARE", "PORTFOLIO_SHARE", "Clock", "candidate_rows", "fit_portfolio",
           "full_refit_seconds",
           "hurried_choice", "jsonable", "operating_point", "outputs", "refits_stop_rule", "report", "reserve", "search",
           "validation_choice"]

log = logging.getLogger(__name__)

#: Most points of the best-score-so-far curve kept in a training job's progress.
SEARCH_CURVE_POINTS = 200


#: Seconds of the job's promise kept for what happens around training: reading and profiling the table before,
#: scoring and saving the model after (a diamonds build's training ended at 69 s of the promised 71 and the job
#: at 71.7 s).
AROUND_SECONDS = 2.5


class Clock:
    """Seconds since training began, against the analyst's budget (every phase plans from it).

    ``repeatable`` (a trial-bounded build): phases never skip or shorten for time, so the same data and seed
    give the same model whatever the machine's load; the budget is only the job's safety cap then.
    """

    def __init__(self, budget: float, repeatable: bool = False):
        self.started, self.budget, self.repeatable = time.monotonic(), float(budget), repeatable
        self._marks: list[tuple[str, float]] = []

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def left(self) -> float:
        return self.budget - self.elapsed()

    def soft_end(self, refit_seconds: float) -> float | None:
        """The latest ``time.monotonic()`` at which a check may end and leave the refits inside the job's
        promise: wall time at most the budget + 10 % + 5 s, less ``AROUND_SECONDS`` for what the job does
        around training.  None (no limit) for a repeatable build."""
        if self.repeatable:
            return None
        return self.started + 1.1 * self.budget + 5.0 - AROUND_SECONDS - refit_seconds

    def fits(self, seconds: float) -> bool:
        """Whether work of about ``seconds`` started now still ends inside the job's promise (always, repeatable)."""
        end = self.soft_end(0.0)
        return end is None or time.monotonic() + seconds <= end

    def mark(self, phase: str) -> None:
        """The phase that ends now (its seconds are the time since the previous mark)."""
        self._marks.append((phase, self.elapsed()))

    def phases(self) -> dict[str, float]:
        """Seconds per phase, in order: where a build's time went (the recipe records it)."""
        out, before = {}, 0.0
        for phase, at in self._marks:
            out[phase] = round(out.get(phase, 0.0) + at - before, 2)
            before = at
        return out


def full_refit_seconds(fit_seconds: float, fit_rows: int, all_rows: int) -> float:
    """About how long the all-rows refit takes, from the measured train+validation fit of the same recipe
    (tree learners grow about linearly with rows)."""
    return fit_seconds * all_rows / max(1, fit_rows)


def outputs(task: str, est, X: pd.DataFrame) -> tuple[np.ndarray | None, np.ndarray]:
    if task == "regression":
        return None, np.asarray(est.predict(X), dtype="float64")
    proba = np.asarray(est.predict_proba(X), dtype="float64")
    return proba, proba.argmax(axis=1)


def score_of(task: str, metric: MetricInfo, est, X, y) -> float:
    proba, pred = outputs(task, est, X)
    return score(task, metric.name, y, proba, pred)


def report(task: str, est, X, y) -> dict[str, float]:
    proba, pred = outputs(task, est, X)
    return evaluate(task, y, proba, pred)


def jsonable(values: list[Any]) -> list[Any]:
    return [v.item() if isinstance(v, np.generic) else v for v in values]


#: Planned shares of the budget (docs/training.md "Time"): the portfolio stops starting candidates at
#: PORTFOLIO_SHARE, the search gets at least MIN_SEARCH_SHARE, the rest is the fresh folds and the refits.
PORTFOLIO_SHARE = 0.35
MIN_SEARCH_SHARE = 0.3
#: Large tables: the most of the budget the search keeps in hand for refitting a three-member blend.
BLEND_REFITS_SHARE = 0.35
#: Seed offset of the fresh folds (any fixed number other than the search folds' seed).
FRESH_SEED_OFFSET = 1009


def fit_portfolio(ev: FoldEvidence, entries, clock: Clock, default_seconds: float, notes: list) -> list:
    """Fit the portfolio on the search folds while its share of the budget lasts (best value per second first)."""
    fitted, skipped = [], []
    window_ends = None if clock.repeatable else clock.started + PORTFOLIO_SHARE * clock.budget
    for entry in entries:
        expected = default_seconds * entry.cost
        if wrap_up_requested() or (window_ends is not None and time.monotonic() + expected > window_ends):
            skipped.append(entry.label)
            continue
        try:
            ev.fit(entry.learner, entry.config, entry.source, deadline=window_ends)
            fitted.append(entry)
        except TooSlow:
            skipped.append(entry.label)
        except WrapUp:
            break
        except Exception as exc:  # noqa: BLE001 - one failing learner must not fail the build
            notes.append({"severity": "info", "kind": "portfolio_learner_failed",
                          "message": f"The {entry.learner} default could not be fitted ({type(exc).__name__}) and was left out."})
    if skipped:
        notes.append({"severity": "info", "kind": "portfolio_skipped",
                      "message": f"Not enough time to try the {', '.join(skipped)} default(s) before the search; "
                      "a longer budget tries them."})
    return fitted


def reserve(ev: FoldEvidence, higher: bool) -> float:
    """Seconds kept back from the search: the search winner's folds, the fresh folds and the refits.

    The fresh folds refit every contender (training/selection.py): those the candidates in hand would send
    there (``contender_keys``, their measured fold times) and the search's winner, which is also fitted on
    the search folds first -- a typical candidate's time for each of those two.  The refits of the chosen
    recipe are planned as the trainer plans them (0.6 of the dearest candidate's folds).  Planning less (it
    was the cheapest candidate plus four typical ones) let a small table's search run until the fresh folds
    no longer fitted, in two builds of three, so the choice fell back to the search folds the winner was
    picked on and the ensemble was never judged.
    """
    secs = sorted(c.seconds for c in ev.candidates.values())
    typical = secs[len(secs) // 2]
    return fresh_cost(ev, contender_keys(ev, higher)) + 2.0 * typical + 0.6 * secs[-1]


def search(task, metric, spec, X_a, y_a, X_b, y_b, splitter, budget, n_jobs, allowed, starts, progress, ray_address,
           concurrent_trials, stop_if=None, keep_models=False) -> SearchResult:
    """The FLAML search, reporting its best-so-far curve; an early wrap-up yields an empty result."""
    started = time.monotonic()
    #: [seconds into the search, best score so far] per trial, so a UI can draw the search as it goes.
    curve: list[list[float]] = []

    def on_trial(trials: int, best_loss: float | None, learner: str | None) -> None:
        elapsed = time.monotonic() - started
        best = None if best_loss is None else (1 - best_loss if metric.higher_is_better else best_loss)
        if best is not None:
            curve.append([round(elapsed, 2), round(float(best), 5)])
            del curve[:-SEARCH_CURVE_POINTS]  # keep the progress row small on long searches
        progress(trials_done=trials, best_score=best, search_curve=list(curve), best_learner=learner,
                 search_elapsed_seconds=round(elapsed, 1), remaining_seconds=round(max(0.0, budget - elapsed), 1))

    try:
        with tempfile.TemporaryDirectory(prefix="canvas-search-") as tmp:
            return run_search(X_a, y_a, X_b, y_b, task=task, metric=metric.name, time_budget=budget, seed=spec.seed,
                              n_jobs=n_jobs, log_path=Path(tmp) / "search.jsonl", learners=allowed, splitter=splitter,
                              on_trial=on_trial, ray_address=ray_address, concurrent_trials=concurrent_trials,
                              starting_points=starts or None, max_iter=spec.max_trials, stop_if=stop_if,
                              keep_models=keep_models)
    except WrapUp:  # asked to wrap up before the search found anything: the models in hand will do
        return SearchResult(DEFAULT_LEARNER, {}, float("nan"), stopped_early=True)


def refits_stop_rule(clock: Clock, search_rows: int, fit_rows: int, all_rows: int, default_fit_seconds: float,
                     refit_full: bool, blend: bool = False, blend_pays: Callable[[list], bool] | None = None):
    """The large-table search's stop rule: end it once one more trial (as long as the longest so far) and then
    the refits — the best configuration and the default model on the train+validation rows, and the best
    configuration on every row — would no longer end inside the job's promise (fit times scaled by rows from
    the search's, 10 % to spare).

    Why the all-rows refit counts: on a large table a minute's search seldom improves on its first strong
    configurations, while a quarter more rows does (diamonds, RMSE 542 fit on train+validation, 535 on every
    row); so the search gives way to it rather than the other way round.

    ``blend`` (the validation-rows ensemble is on): the refits of a three-member blend are kept in hand too —
    the best model, the runner-up learner's best and the default model, on the train+validation rows and on
    every row — so a blend that wins on the validation rows can still be delivered (validation_blend.py; it
    leaves out its slowest members when even that is too long). Before, the search used that time and the
    blends that won (diamonds: RMSE 508 against 517 on the validation rows) gave way to a single model.
    Only while those refits take at most ``BLEND_REFITS_SHARE`` of the budget: a slow runner-up (bank
    marketing's XGBoost) would otherwise end the search half-way for a blend that leaves it out anyway. And
    only when a blend pays: the first time the blend's refits alone would end the search, ``blend_pays`` is
    asked once, with the models kept so far; if their blend does not beat the best of them on the validation
    rows (cross-fitted, validation_blend.py), the search goes on for the single model (on adult, searches had ended
    5-10 s early for blends that then did not win)."""
    to_fit = 1.1 * fit_rows / max(1, search_rows)
    to_all = 1.1 * all_rows / max(1, search_rows) if refit_full else 0.0
    pays: list[bool] = []  # the one answer of blend_pays, once asked

    def stop_if(best_fit_seconds: float, longest_trial_seconds: float, partner_fit_seconds: float = 0.0,
                kept: Callable[[], list] | None = None) -> bool:
        refits = to_fit * (best_fit_seconds + default_fit_seconds) + to_all * best_fit_seconds
        if not clock.fits(longest_trial_seconds + refits):
            return True
        if not blend or partner_fit_seconds <= 0 or (pays and not pays[0]):
            return False
        blend_refits = (to_fit + to_all) * (best_fit_seconds + partner_fit_seconds + default_fit_seconds)
        if blend_refits > BLEND_REFITS_SHARE * clock.budget or clock.fits(longest_trial_seconds + blend_refits):
            return False
        if not pays:
            pays.append(_blend_pays(blend_pays, kept))
        return pays[0]

    return stop_if


def _blend_pays(blend_pays: Callable[[list], bool] | None, kept: Callable[[], list] | None) -> bool:
    """The rule's one question, asked from inside FLAML's search loop: no question is a yes (keep the reserve);
    a failure is a no -- it costs the blend's reserve, never the build."""
    if blend_pays is None or kept is None:
        return True
    try:
        return bool(blend_pays(kept()))
    except Exception as exc:  # noqa: BLE001
        log.info("no blend check mid-search (%s): the search goes on for the single model", exc)
        return False


def hurried_choice(ev: FoldEvidence, result: SearchResult, metric: MetricInfo, default_val_score: float):
    """Asked to finish: the best of what is in hand on the search folds (no fresh folds, no paired check)."""
    best = best_single(ev, metric.higher_is_better)
    learner, config, score_ = best.learner, best.config, best.mean
    if result.trials:
        search_score = 1 - result.best_loss if metric.higher_is_better else result.best_loss
        if (search_score > score_) if metric.higher_is_better else (search_score < score_):
            learner, config, score_ = result.best_learner, result.best_config, search_score
    kind = "default" if learner == DEFAULT_LEARNER else "single"
    return learner, dict(config), score_, "the search folds' own evaluation (time ran out before the usual check)", kind


def validation_choice(task, metric, result, default_val_score, X_val, y_val, hurry, notes):
    """Large tables: the search's winner against the default model on the validation rows."""
    if not result.trials:
        return DEFAULT_LEARNER, {}, default_val_score, "nothing (the search had found no model yet)", "default"
    if hurry or result.model is None:
        search_score = 1 - result.best_loss if metric.higher_is_better else result.best_loss
        what = "the search's own evaluation (time ran out before the usual check)"
    else:
        search_score = score_of(task, metric, result.model, X_val, y_val)
        what = "the validation rows"
    wins = search_score >= default_val_score if metric.higher_is_better else search_score <= default_val_score
    if wins:
        return result.best_learner, dict(result.best_config), search_score, what, "single"
    notes.append({"severity": "info", "kind": "default_model_kept",
                  "message": f"The search's best model ({result.best_learner}, {metric.label} {search_score:.4f} on {what}) "
                  f"did not beat the default HistGradientBoosting model ({default_val_score:.4f}), so the more robust "
                  "default model was kept."})
    return DEFAULT_LEARNER, {}, default_val_score, what, "default"


def candidate_rows(ev: FoldEvidence, metric: MetricInfo, result: SearchResult, planned: tuple | None = None) -> list[dict[str, Any]]:
    """Leaderboard rows for the default model, the portfolio and the ensemble (search trials come from FLAML's log).

    ``planned``: ``selection.contenders_of(ev, ...)`` when already formed (its second item is the ensemble)."""
    rows = []
    for c in ev.candidates.values():
        if c.source == SEARCH_SOURCE:
            continue  # the search's own trial row stands for it
        source = "default_model" if c.learner == DEFAULT_LEARNER else "portfolio"
        rows.append(candidate_row(c.learner, c.config, c.mean, source, metric, train_seconds=c.seconds / max(1, ev.n_folds),
                                  description=c.source))
    ens = planned[1] if planned is not None else ensemble_of(ev, metric.higher_is_better)
    if ens is not None:
        rows.append(candidate_row(ENSEMBLE_LEARNER, ensemble_config(ev, ens[0]), ens[1], "ensemble", metric,
                                  description="weighted ensemble (weights chosen on these folds)"))
    return rows


def operating_point(task, learner, config, spec, n_jobs, rows, chosen_oof, y_fit, X_tr, y_tr, X_val, y_val, final, X_ho, y_ho,
                     search_result, default_val, val_positive=None):
    """The binary cut-off, chosen on evidence no reported number comes from (training/operating_point.py).

    That evidence is the delivered recipe's out-of-fold probabilities, or else the
    validation rows scored by its train-only fit (``val_positive``: a validation-rows ensemble's cross-fitted
    probabilities, already in hand); never the holdout, which only reports.
    """
    if chosen_oof is not None and not np.isnan(chosen_oof).any():
        sel_y, sel_p, source = y_fit, chosen_oof, "out-of-fold predictions"
    elif val_positive is not None:
        sel_y, sel_p, source = y_val, val_positive, "the validation rows"
    else:
        chosen_val = (search_result.model if search_result is not None else None) or default_val
        if chosen_val is None:  # stopped early, or cross-validated without this model's out-of-fold scores
            chosen_val = fit_estimator(task, learner, config, spec.seed, n_jobs, X_tr, y_tr)
        sel_y, sel_p, source = y_val, outputs(task, chosen_val, X_val)[0][:, -1], "the validation rows"
    ho_p = outputs(task, final, X_ho)[0][:, -1]
    curve = ThresholdCurve.build(sel_y, sel_p, y_ho, ho_p, source)
    return {**choose_operating_point(curve, positive_class=str(jsonable(rows.classes)[1])), "curve": curve.to_dict()}


