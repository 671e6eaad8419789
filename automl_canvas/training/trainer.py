"""From a table and a resolved spec to an evaluated model (no database here).

The flow, and why:
1. rows are split once, with a recorded seed, into train / validation / holdout;
2. a naive baseline and a strong default model (HistGradientBoosting) are fitted;
3. FLAML searches, judged on the same k folds of train+validation as the
   default model when the data is small (``cv_max_rows``), otherwise on the
   validation rows;
4. the better of the search's winner and the default model on that evidence is
   kept ("never worse than the one-liner"), and the decision is written down;
5. the winner is refit from its recorded configuration on train+validation
   (deterministic: this is what ``reproduce`` repeats) and scored on the holdout,
   with cross-validation when the data is small enough to afford it.
"""

from __future__ import annotations

import platform
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from .anytime import WrapUp, wrap_up_requested
from .ensemble import ENSEMBLE_LEARNER
from .estimators import fit_estimator, make_estimator
from .folds import FoldEvidence, TooSlow, candidate_key, make_splitter
from .leaderboard import DEFAULT_LEARNER, candidate_row, leaderboard
from .metrics import MetricInfo, evaluate, score
from .operating_point import ThresholdCurve, choose_operating_point, decision_metrics
from .pipeline import CanvasModel, make_baseline, make_default_model
from .portfolio import COST_FACTOR, portfolio, starting_points
from .preprocess import TabularPreprocessor
from .search import SearchResult, default_learners, run_search
from .selection import best_single, choose, ensemble_of, fresh_cost
from .spec import MIN_CLASS_ROWS, ResolvedSpec

__all__ = ["DEFAULT_LEARNER", "SplitRows", "TrainingOutcome", "fit_estimator", "library_versions", "make_estimator", "prepare_rows", "train"]

#: Most points of the best-score-so-far curve kept in a training job's progress.
SEARCH_CURVE_POINTS = 200
Progress = Callable[..., None]


@dataclass
class SplitRows:
    X_raw: pd.DataFrame  # labelled rows, original columns
    y: np.ndarray  # encoded target
    classes: list[Any]
    train_idx: np.ndarray  # positions into X_raw: search training part
    val_idx: np.ndarray  # validation part (model selection)
    holdout_idx: np.ndarray  # final, untouched test rows

    @property
    def fit_idx(self) -> np.ndarray:
        return np.concatenate([self.train_idx, self.val_idx])


@dataclass
class TrainingOutcome:
    model: CanvasModel
    best_learner: str
    holdout_score: float
    baseline_score: float
    default_model_score: float
    validation_score: float
    metrics: dict[str, dict[str, float]]
    cv_metrics: dict[str, Any]
    leaderboard: list[dict[str, Any]]
    recipe: dict[str, Any]
    feature_schema: dict[str, Any]
    notes: list[dict[str, Any]] = field(default_factory=list)
    holdout_index: list[int] = field(default_factory=list)
    #: Binary only: the cut-off the delivered model decides at (see training/operating_point.py).
    operating_point: dict[str, Any] | None = None


def library_versions() -> dict[str, str]:
    """The recipe's ``libraries``: the same list every model artifact records (automl_canvas/environment.py)."""
    from ..environment import library_versions as artifact_library_versions

    return artifact_library_versions()


def _sorted_classes(values: pd.Series) -> list[Any]:
    uniq = pd.unique(values)
    try:
        return sorted(uniq.tolist())
    except TypeError:
        return sorted(uniq.tolist(), key=str)


def prepare_rows(df: pd.DataFrame, task: str, target: str, seed: int, holdout_fraction: float, validation_fraction: float) -> SplitRows:
    """Labelled rows, encoded target and the seeded split (identical on every call)."""
    y_raw = df[target]
    if pd.api.types.is_string_dtype(y_raw) or y_raw.dtype == object:
        y_raw = y_raw.where(y_raw.astype("string").str.strip().ne(""), None)
    # a copy: under pandas copy-on-write the array behind a Series is read-only
    keep = y_raw.notna().to_numpy().copy()
    if task != "regression":
        counts = y_raw[keep].astype("string").value_counts()
        rare = set(counts[counts < MIN_CLASS_ROWS].index)
        keep &= ~y_raw.astype("string").isin(rare).to_numpy()
    X_raw = df.loc[keep].reset_index(drop=True)
    y_kept = y_raw[keep].reset_index(drop=True)
    if task == "regression":
        y = pd.to_numeric(y_kept).to_numpy(dtype="float64")
        classes: list[Any] = []
        strat = None
    else:
        classes = _sorted_classes(y_kept)
        lookup = {c: i for i, c in enumerate(classes)}
        y = y_kept.map(lookup).to_numpy(dtype="int64")
        strat = y
    positions = np.arange(len(y))
    fit, holdout = train_test_split(positions, test_size=holdout_fraction, random_state=seed, stratify=strat)
    strat_fit = None if strat is None else y[fit]
    train, val = train_test_split(fit, test_size=validation_fraction, random_state=seed + 1, stratify=strat_fit)
    return SplitRows(X_raw, y, classes, np.sort(train), np.sort(val), np.sort(holdout))


def _outputs(task: str, est, X: pd.DataFrame) -> tuple[np.ndarray | None, np.ndarray]:
    if task == "regression":
        return None, np.asarray(est.predict(X), dtype="float64")
    proba = np.asarray(est.predict_proba(X), dtype="float64")
    return proba, proba.argmax(axis=1)


def _score(task: str, metric: MetricInfo, est, X, y) -> float:
    proba, pred = _outputs(task, est, X)
    return score(task, metric.name, y, proba, pred)


def _report(task: str, est, X, y) -> dict[str, float]:
    proba, pred = _outputs(task, est, X)
    return evaluate(task, y, proba, pred)


class _Clock:
    """Seconds since training began, against the analyst's budget (every phase plans from it)."""

    def __init__(self, budget: float):
        self.started, self.budget = time.monotonic(), float(budget)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def left(self) -> float:
        return self.budget - self.elapsed()

    def soft_end(self, refit_seconds: float) -> float:
        """The latest ``time.monotonic()`` at which a check may end and leave the refits inside the job's
        promise: wall time at most the budget + 10 % + 5 s (docs/training.md "Time")."""
        return self.started + 1.1 * self.budget + 5.0 - refit_seconds


#: Planned shares of the budget (docs/training.md "Time"): the portfolio stops starting candidates at
#: PORTFOLIO_SHARE, the search gets at least MIN_SEARCH_SHARE, the rest is the fresh folds and the refits.
PORTFOLIO_SHARE = 0.35
MIN_SEARCH_SHARE = 0.3
#: Seed offset of the fresh folds (any fixed number other than the search folds' seed).
FRESH_SEED_OFFSET = 1009


def _fit_portfolio(ev: FoldEvidence, entries, clock: _Clock, default_seconds: float, notes: list) -> list:
    """Fit the portfolio on the search folds while its share of the budget lasts (best value per second first)."""
    fitted, skipped = [], []
    window_ends = clock.started + PORTFOLIO_SHARE * clock.budget
    for entry in entries:
        expected = default_seconds * COST_FACTOR.get(entry.learner, 2.0)
        if wrap_up_requested() or time.monotonic() + expected > window_ends:
            skipped.append(entry.learner)
            continue
        try:
            ev.fit(entry.learner, entry.config, entry.source, deadline=window_ends)
            fitted.append(entry)
        except TooSlow:
            skipped.append(entry.learner)
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


def _reserve(ev: FoldEvidence) -> float:
    """Seconds kept back from the search: the winner's folds, the fresh folds and the refits."""
    secs = sorted(c.seconds for c in ev.candidates.values())
    typical = secs[len(secs) // 2]
    return secs[0] + 4.0 * typical


def train(
    df: pd.DataFrame,
    spec: ResolvedSpec,
    *,
    n_jobs: int = -1,
    holdout_fraction: float = 0.2,
    validation_fraction: float = 0.2,
    cv_max_rows: int = 20_000,
    cv_folds: int = 5,
    refit_full: bool = True,
    portfolio_first: bool = True,
    ensemble: bool = True,
    dataset_sha256: str = "",
    progress: Progress = lambda **_: None,
    ray_address: str | None = None,
    concurrent_trials: int = 1,
) -> TrainingOutcome:
    clock = _Clock(spec.budget_seconds)
    task, metric = spec.task, spec.metric
    higher = metric.higher_is_better
    progress(stage="preparing data")
    rows = prepare_rows(df, task, spec.target, spec.seed, holdout_fraction, validation_fraction)
    pre = TabularPreprocessor(spec.plan).fit(rows.X_raw.iloc[rows.fit_idx])
    X = pre.transform(rows.X_raw)
    y = rows.y
    X_tr, y_tr = X.iloc[rows.train_idx], y[rows.train_idx]
    X_val, y_val = X.iloc[rows.val_idx], y[rows.val_idx]
    X_fit, y_fit = X.iloc[rows.fit_idx], y[rows.fit_idx]
    X_ho, y_ho = X.iloc[rows.holdout_idx], y[rows.holdout_idx]
    notes = list(spec.notes)
    allowed = tuple(spec.learners) if spec.learners else default_learners(task)

    # Model selection: on small data a single validation split is too noisy to
    # choose between models (a 100-row validation set can prefer a worse model by
    # chance), so every candidate is judged on the same cross-validation folds of
    # the train+validation rows (the "search folds"); on larger data, on the
    # validation rows.
    use_cv = len(rows.fit_idx) <= cv_max_rows
    splitter = make_splitter(task, y_fit, cv_folds, spec.seed) if use_cv else None
    progress(stage="baseline and default model")
    ev: FoldEvidence | None = None
    entries = portfolio(task, X_fit, y_fit, allowed) if portfolio_first else []
    default_val = None
    others: list[dict[str, Any]] = []
    if use_cv:
        ev = FoldEvidence(task, metric.name, X_fit, y_fit, splitter, spec.seed, n_jobs)
        default = ev.fit(DEFAULT_LEARNER, {}, "default model")
        default_val_score = default.mean
        if entries:
            progress(stage="fitting strong defaults")
            entries = _fit_portfolio(ev, entries, clock, default.seconds, notes)
        search_budget = max(MIN_SEARCH_SHARE * clock.budget, clock.left() - _reserve(ev))
    else:
        default_val = make_default_model(task, spec.seed).fit(X_tr, y_tr)
        default_val_score = _score(task, metric, default_val, X_val, y_val)
        entries = []  # large tables: the zero-shot configurations only seed the search
        search_budget = max(MIN_SEARCH_SHARE * clock.budget, clock.left() * 0.85)
    starts = starting_points(portfolio(task, X_fit, y_fit, allowed) if (portfolio_first and not use_cv) else entries)

    progress(stage="searching", trials_done=0, best_score=None, budget_seconds=round(search_budget, 1))
    result = _search(task, metric, spec, X_fit if use_cv else X_tr, y_fit if use_cv else y_tr, None if use_cv else X_val,
                     None if use_cv else y_val, splitter, search_budget, n_jobs, allowed, starts, progress,
                     ray_address, concurrent_trials)
    progress(stage="choosing the model", trials_done=len(result.trials), remaining_seconds=0)
    hurry = wrap_up_requested()
    chosen_oof, fresh_info, kind = None, None, "default"
    if use_cv:
        assert ev is not None
        refits = 0.6 * max(c.seconds for c in ev.candidates.values())  # three fits, each about a fifth of a fold run
        short = False
        if result.trials and not hurry:
            progress(stage="cross-validating")
            try:
                ev.fit(result.best_learner, result.best_config, "search", deadline=clock.soft_end(refits))
            except WrapUp:
                hurry = True
            except TooSlow:
                short = True  # no time left to check the search's best on the folds: choose from what is in hand
                notes.append({"severity": "info", "kind": "checks_shortened",
                              "message": "There was not enough time left to check the search's best model on the "
                              "cross-validation folds, so the choice was made on the search's own evaluation."})
        if hurry or short:
            learner, config, val_score, selection, kind = _hurried_choice(ev, result, metric, default_val_score)
            cv = ev.candidates[candidate_key(learner, config)].cv_dict(metric.name) if candidate_key(learner, config) in ev.candidates else {}
            if candidate_key(learner, config) in ev.candidates and task == "binary":
                chosen_oof = ev.answer([(candidate_key(learner, config), 1.0)])[:, -1]
        else:
            fresh = None
            if ensemble:
                fresh = FoldEvidence(task, metric.name, X_fit, y_fit,
                                     make_splitter(task, y_fit, cv_folds, spec.seed + FRESH_SEED_OFFSET), spec.seed, n_jobs)
                needed = fresh_cost(ev, list(ev.candidates))
                if time.monotonic() + min(needed, 3 * max(c.seconds for c in ev.candidates.values())) > clock.soft_end(refits):
                    fresh = None
            if fresh is not None:
                progress(stage="checking the best models on fresh folds")
            try:
                choice = choose(ev, higher, fresh=fresh, deadline=clock.soft_end(refits))
            except (WrapUp, TooSlow):
                hurry = hurry or wrap_up_requested()
                choice = choose(ev, higher, fresh=None)
            learner, config, val_score, selection, kind = choice.learner, choice.config, choice.score, choice.selection, choice.kind
            cv, chosen_oof, fresh_info = choice.cv, choice.oof_positive, choice.fresh
            notes.extend(choice.notes)
        others = _candidate_rows(ev, metric, result)
    else:
        learner, config, val_score, selection, kind = _validation_choice(task, metric, result, default_val_score, X_val, y_val,
                                                                       hurry, notes)
        cv = {}
        others = [candidate_row(DEFAULT_LEARNER, {}, default_val_score, "default_model", metric)]
    if hurry:
        notes.append({"severity": "warning", "kind": "time_ran_out",
                      "message": f"Time ran out: the build was asked to finish early, so it delivered the best model it had "
                      f"after {len(result.trials)} search trial(s) ({'the standard model' if learner == DEFAULT_LEARNER else learner}), "
                      "fit on the train and validation rows. A longer budget or a quieter machine may give a better one."})
    if kind == "ensemble":
        parts = ", ".join(f"{m['learner']} ({m['weight']:.0%})" for m in config["members"])
        notes.append({"severity": "info", "kind": "ensemble_delivered",
                      "message": f"The delivered model is a weighted ensemble of {len(config['members'])} models: {parts}. "
                      "It beat the best single model and the default model on fresh cross-validation folds."})

    progress(stage="refitting the chosen model")
    final = fit_estimator(task, learner, config, spec.seed, n_jobs, X_fit, y_fit)
    baseline = make_baseline(task).fit(X_fit, y_fit)
    default_final = make_default_model(task, spec.seed).fit(X_fit, y_fit)
    model_report = _report(task, final, X_ho, y_ho)
    point = None
    if task == "binary":
        point = _operating_point(task, learner, config, spec, n_jobs, rows, chosen_oof, y_fit, X_tr, y_tr, X_val, y_val,
                                 final, X_ho, y_ho, result if learner == result.best_learner and config == result.best_config else None,
                                 default_val if learner == DEFAULT_LEARNER else None)
        model_report.update(decision_metrics(point["holdout"]))
    metrics = {
        "model": model_report,
        "baseline": _report(task, baseline, X_ho, y_ho),
        "default_model": _report(task, default_final, X_ho, y_ho),
    }
    delivered = final
    if refit_full and wrap_up_requested():
        refit_full = False  # asked to finish: deliver the train+validation fit that the holdout scored
    if refit_full:
        # Evaluated on the holdout, the recipe is now refit on every labelled row
        # (as FLAML's retrain_full does): the holdout numbers are a slightly
        # pessimistic estimate for the delivered model, which has 25% more data.
        progress(stage="final refit on all rows")
        delivered = fit_estimator(task, learner, config, spec.seed, n_jobs, X, y)
    board = leaderboard(result.trials, metric, others, learner, config)
    model = CanvasModel(task=task, target=spec.target, learner=learner, preprocessor=pre, estimator=delivered, classes=rows.classes,
                        threshold=None if point is None else point["threshold"])
    recipe = {
        **spec.to_dict(),
        "dataset_sha256": dataset_sha256,
        "holdout_fraction": holdout_fraction,
        "validation_fraction": validation_fraction,
        "model_selection": selection,
        "split": "random" if task == "regression" else "stratified",
        "learner": learner,
        "hyperparameters": config,
        "delivered_kind": kind,
        "delivered_model_fit_on": "all labelled rows" if refit_full else "train and validation rows",
        "features": spec.plan.to_dict(),
        "n_rows": {"train": len(rows.train_idx), "validation": len(rows.val_idx), "holdout": len(rows.holdout_idx)},
        "portfolio": [{"learner": e.learner, "source": e.source} for e in entries],
        "search": {"trials": len(result.trials), "wall_seconds": round(result.wall_seconds, 2), "best_learner": result.best_learner,
                   "budget_seconds": round(search_budget, 2),
                   "stopped_early": result.stopped_early, "wrapped_up": hurry, **({"ray": result.ray} if result.ray else {})},
        **({"fresh_folds": fresh_info} if fresh_info else {}),
        "training_seconds": round(clock.elapsed(), 2),
        "libraries": library_versions(),
    }
    schema = {
        "target": spec.target,
        "task": task,
        "classes": [c if isinstance(c, (str, int, float, bool)) else str(c) for c in _jsonable(rows.classes)],
        "columns": pre.schema,
        "input_columns": pre.input_columns,
        "dropped_columns": spec.plan.dropped,
    }
    return TrainingOutcome(
        model=model,
        best_learner=learner,
        holdout_score=metrics["model"][metric.name],
        baseline_score=metrics["baseline"].get(metric.name, float("nan")),
        default_model_score=metrics["default_model"][metric.name],
        validation_score=val_score,
        metrics=metrics,
        cv_metrics=cv,
        leaderboard=board,
        recipe=recipe,
        feature_schema=schema,
        notes=notes,
        holdout_index=rows.holdout_idx.tolist(),
        operating_point=point,
    )


def _search(task, metric, spec, X_a, y_a, X_b, y_b, splitter, budget, n_jobs, allowed, starts, progress, ray_address,
            concurrent_trials) -> SearchResult:
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
                              starting_points=starts or None)
    except WrapUp:  # asked to wrap up before the search found anything: the models in hand will do
        return SearchResult(DEFAULT_LEARNER, {}, float("nan"), stopped_early=True)


def _hurried_choice(ev: FoldEvidence, result: SearchResult, metric: MetricInfo, default_val_score: float):
    """Asked to finish: the best of what is in hand on the search folds (no fresh folds, no paired check)."""
    best = best_single(ev, metric.higher_is_better)
    learner, config, score_ = best.learner, best.config, best.mean
    if result.trials:
        search_score = 1 - result.best_loss if metric.higher_is_better else result.best_loss
        if (search_score > score_) if metric.higher_is_better else (search_score < score_):
            learner, config, score_ = result.best_learner, result.best_config, search_score
    kind = "default" if learner == DEFAULT_LEARNER else "single"
    return learner, dict(config), score_, "the search folds' own evaluation (time ran out before the usual check)", kind


def _validation_choice(task, metric, result, default_val_score, X_val, y_val, hurry, notes):
    """Large tables: the search's winner against the default model on the validation rows."""
    if not result.trials:
        return DEFAULT_LEARNER, {}, default_val_score, "nothing (the search had found no model yet)", "default"
    if hurry or result.model is None:
        search_score = 1 - result.best_loss if metric.higher_is_better else result.best_loss
        what = "the search's own evaluation (time ran out before the usual check)"
    else:
        search_score = _score(task, metric, result.model, X_val, y_val)
        what = "the validation rows"
    wins = search_score >= default_val_score if metric.higher_is_better else search_score <= default_val_score
    if wins:
        return result.best_learner, dict(result.best_config), search_score, what, "single"
    notes.append({"severity": "info", "kind": "default_model_kept",
                  "message": f"The search's best model ({result.best_learner}, {metric.label} {search_score:.4f} on {what}) "
                  f"did not beat the default HistGradientBoosting model ({default_val_score:.4f}), so the more robust "
                  "default model was kept."})
    return DEFAULT_LEARNER, {}, default_val_score, what, "default"


def _candidate_rows(ev: FoldEvidence, metric: MetricInfo, result: SearchResult) -> list[dict[str, Any]]:
    """Leaderboard rows for the default model, the portfolio and the ensemble (search trials come from FLAML's log)."""
    rows = []
    for c in ev.candidates.values():
        if c.source == "search":
            continue  # the search's own trial row stands for it
        source = "default_model" if c.learner == DEFAULT_LEARNER else "portfolio"
        rows.append(candidate_row(c.learner, c.config, c.mean, source, metric, train_seconds=c.seconds / max(1, ev.n_folds),
                                  description=c.source))
    ens = ensemble_of(ev, metric.higher_is_better)
    if ens is not None:
        from .selection import ensemble_config

        rows.append(candidate_row(ENSEMBLE_LEARNER, ensemble_config(ev, ens[0]), ens[1], "ensemble", metric,
                                  description="weighted ensemble (weights chosen on these folds)"))
    return rows


def _operating_point(task, learner, config, spec, n_jobs, rows, chosen_oof, y_fit, X_tr, y_tr, X_val, y_val, final, X_ho, y_ho,
                     search_result, default_val):
    """The binary cut-off, chosen on evidence no reported number comes from (training/operating_point.py).

    That evidence is the delivered recipe's out-of-fold probabilities, or else the
    validation rows scored by its train-only fit; never the holdout, which only reports.
    """
    if chosen_oof is not None and not np.isnan(chosen_oof).any():
        sel_y, sel_p, source = y_fit, chosen_oof, "out-of-fold predictions"
    else:
        chosen_val = (search_result.model if search_result is not None else None) or default_val
        if chosen_val is None:  # stopped early, or cross-validated without this model's out-of-fold scores
            chosen_val = fit_estimator(task, learner, config, spec.seed, n_jobs, X_tr, y_tr)
        sel_y, sel_p, source = y_val, _outputs(task, chosen_val, X_val)[0][:, -1], "the validation rows"
    ho_p = _outputs(task, final, X_ho)[0][:, -1]
    curve = ThresholdCurve.build(sel_y, sel_p, y_ho, ho_p, source)
    return {**choose_operating_point(curve, positive_class=str(_jsonable(rows.classes)[1])), "curve": curve.to_dict()}


def _jsonable(values: list[Any]) -> list[Any]:
    return [v.item() if isinstance(v, np.generic) else v for v in values]
