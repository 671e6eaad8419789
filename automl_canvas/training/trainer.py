"""From a table and a resolved spec to an evaluated model (no database here).

The flow (docs/training.md tells it to a scientist):
1. rows are split once, with a recorded seed, into train / validation / holdout;
   the holdout is only ever used to report;
2. on small tables (``cv_max_rows``) every candidate is judged out of fold on
   the same k "search folds" of train+validation: the default
   HistGradientBoosting model, the portfolio of strong defaults
   (training/portfolio.py) and the FLAML search started from them; larger
   tables are judged on the validation rows;
3. a greedy weighted ensemble is formed from the candidates' out-of-fold raw
   scores, and the default model, the best single model and the ensemble are
   compared on fresh folds; the challenger must beat the default model beyond
   one standard error (training/selection.py); on larger tables the ensemble is
   formed on the validation rows and judged cross-fitted on two halves of them
   (training/validation_blend.py);
4. the chosen recipe is refit on train+validation (deterministic: this is what
   ``reproduce`` repeats) and scored on the holdout; the cut-off of a binary
   model is chosen on out-of-fold evidence; then the recipe is refit on every
   labelled row for the delivered artifact (``refit_full``).
Every phase runs inside the one budget (training/phases.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from ..environment import library_versions as artifact_library_versions
from .anytime import WrapUp, wrap_up_requested
from .ensemble import ENSEMBLE_LEARNER
from .estimators import fit_estimator, make_estimator
from .folds import FoldEvidence, TooSlow, candidate_key, make_splitter
from .leaderboard import DEFAULT_LEARNER, candidate_row, leaderboard
from .operating_point import decision_metrics
from .phases import (
    FRESH_SEED_OFFSET,
    MIN_SEARCH_SHARE,
    Clock,
    candidate_rows,
    fit_portfolio,
    full_refit_seconds,
    hurried_choice,
    jsonable,
    operating_point,
    refits_stop_rule,
    report,
    reserve,
    score_of,
    search,
    validation_choice,
)
from .pipeline import CanvasModel, make_baseline, make_default_model
from .portfolio import portfolio, starting_points
from .preprocess import TabularPreprocessor
from .search import default_learners
from .selection import SEARCH_SOURCE, choose, contender_keys, contenders_of, fresh_cost
from .spec import MIN_CLASS_ROWS, ResolvedSpec
from .validation_blend import Member, blend_note, blend_pays, decide, members_of, search_members

__all__ = ["DEFAULT_LEARNER", "SplitRows", "TrainingOutcome", "fit_estimator", "library_versions", "make_estimator", "prepare_rows", "train"]

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


def _default_member(final) -> Any:
    """The default model inside a delivered ensemble, fitted on the same rows with the same seed (so the
    default model's holdout score needs no second fit of it); None when there is none."""
    for m in getattr(final, "members", None) or []:
        if m.learner == DEFAULT_LEARNER:
            return m.estimator
    return None


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
    clock = Clock(spec.budget_seconds, repeatable=spec.max_trials is not None)
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
    clock.mark("preparing data")
    use_cv = len(rows.fit_idx) <= cv_max_rows
    stop_if = None  # the large-table search's rule (below); the cross-validated path reserves its time up front
    splitter = make_splitter(task, y_fit, cv_folds, spec.seed) if use_cv else None
    progress(stage="baseline and default model")
    ev: FoldEvidence | None = None
    entries = portfolio(task, X_fit, y_fit, allowed) if portfolio_first else []
    default_val = None
    others: list[dict[str, Any]] = []
    if use_cv:
        ev = FoldEvidence(task, metric.name, X_fit, y_fit, splitter, spec.seed, n_jobs)
        # never interrupted: the default model is the floor every build delivers, even one asked to wrap up at once
        default = ev.fit(DEFAULT_LEARNER, {}, "default model", interruptible=False)
        default_val_score = default.mean
        if entries:
            progress(stage="fitting strong defaults")
            entries = fit_portfolio(ev, entries, clock, default.seconds, notes)
        search_budget = max(MIN_SEARCH_SHARE * clock.budget, clock.left() - reserve(ev, higher))
        if clock.repeatable:
            search_budget = max(search_budget, clock.left())  # the trial count bounds it; the time is a safety cap
    else:
        fit_started = time.monotonic()
        default_val = make_default_model(task, spec.seed).fit(X_tr, y_tr)
        default_fit_seconds = time.monotonic() - fit_started
        default_as_member = Member(DEFAULT_LEARNER, {}, default_val, default_fit_seconds)

        def pays(kept: list) -> bool:
            return blend_pays(task, metric, [default_as_member, *members_of(kept, task)], X_val, y_val, spec.seed)

        stop_if = refits_stop_rule(clock, len(y_tr), len(y_fit), len(y), default_fit_seconds, refit_full, blend=ensemble,
                                   blend_pays=pays)
        default_val_score = score_of(task, metric, default_val, X_val, y_val)
        entries = []  # large tables: the zero-shot configurations only seed the search
        search_budget = max(MIN_SEARCH_SHARE * clock.budget, clock.left() * 0.85)
    starts = starting_points(portfolio(task, X_fit, y_fit, allowed) if (portfolio_first and not use_cv) else entries)

    clock.mark("default model and portfolio")
    progress(stage="searching", trials_done=0, best_score=None, budget_seconds=round(search_budget, 1))
    result = search(task, metric, spec, X_fit if use_cv else X_tr, y_fit if use_cv else y_tr, None if use_cv else X_val,
                    None if use_cv else y_val, splitter, search_budget, n_jobs, allowed, starts, progress,
                    ray_address, concurrent_trials, stop_if=stop_if, keep_models=ensemble and not use_cv)
    clock.mark("search")
    progress(stage="choosing the model", trials_done=len(result.trials), remaining_seconds=0)
    hurry = wrap_up_requested()
    chosen_oof, fresh_info, kind, blend_info, val_positive = None, None, "default", None, None
    if use_cv:
        assert ev is not None
        refits = 0.6 * max(c.seconds for c in ev.candidates.values())  # three fits, each about a fifth of a fold run
        short, planned = False, None
        if result.trials and not hurry:
            progress(stage="cross-validating")
            try:
                ev.fit(result.best_learner, result.best_config, SEARCH_SOURCE, deadline=clock.soft_end(refits))
            except WrapUp:
                hurry = True
            except TooSlow:
                short = True  # no time left to check the search's best on the folds: choose from what is in hand
                notes.append({"severity": "info", "kind": "checks_shortened",
                              "message": "There was not enough time left to check the search's best model on the "
                              "cross-validation folds, so the choice was made on the search's own evaluation."})
        if hurry or short:
            learner, config, val_score, selection, kind = hurried_choice(ev, result, metric, default_val_score)
            cv = ev.candidates[candidate_key(learner, config)].cv_dict(metric.name) if candidate_key(learner, config) in ev.candidates else {}
            if candidate_key(learner, config) in ev.candidates and task == "binary":
                chosen_oof = ev.answer([(candidate_key(learner, config), 1.0)])[:, -1]
        else:
            fresh = None
            planned = contenders_of(ev, higher)  # formed once: the fresh folds' plan, the choice and the leaderboard
            if ensemble:
                fresh = FoldEvidence(task, metric.name, X_fit, y_fit,
                                     make_splitter(task, y_fit, cv_folds, spec.seed + FRESH_SEED_OFFSET), spec.seed, n_jobs)
                needed = fresh_cost(ev, contender_keys(ev, higher, planned))
                end = clock.soft_end(refits)
                if end is not None and time.monotonic() + needed > end:
                    fresh = None
            if fresh is not None:
                progress(stage="checking the best models on fresh folds")
            try:
                choice = choose(ev, higher, fresh=fresh, deadline=clock.soft_end(refits), planned=planned)
            except (WrapUp, TooSlow):
                hurry = hurry or wrap_up_requested()
                choice = choose(ev, higher, fresh=None)
            learner, config, val_score, selection, kind = choice.learner, choice.config, choice.score, choice.selection, choice.kind
            cv, chosen_oof, fresh_info = choice.cv, choice.oof_positive, choice.fresh
            notes.extend(choice.notes)
        others = candidate_rows(ev, metric, result, planned)
    else:
        learner, config, val_score, selection, kind = validation_choice(task, metric, result, default_val_score, X_val, y_val,
                                                                       hurry, notes)
        cv = {}
        others = [candidate_row(DEFAULT_LEARNER, {}, default_val_score, "default_model", metric)]
        if ensemble and not hurry and result.model is not None and not wrap_up_requested():
            progress(stage="combining the best models")
            members = [default_as_member, *search_members(result, task, len(y_tr))]
            # its refits must fit, the all-rows one included: a quarter more rows is worth more than a blend
            # (diamonds: RMSE 542 on train+validation rows, 535 on every row), so the blend gives way to it
            decision = decide(task, metric, members, X_val, y_val, spec.seed, fit_ratio=len(y_fit) / max(1, len(y_tr)),
                              all_rows_ratio=len(y) / max(1, len(y_fit)) if refit_full else 0.0, single_score=val_score,
                              fits=clock.fits)
            blend, blend_info = decision.blend, decision.info(learner, val_score)
            if blend is not None:
                others.append(candidate_row(ENSEMBLE_LEARNER, blend.config, blend.crossfit_score, "ensemble", metric,
                                            description="weighted ensemble (weights cross-fitted on the validation rows)"))
            if blend is not None and decision.delivered:
                single = "the standard model" if learner == DEFAULT_LEARNER else f"the search's best model ({learner})"
                notes = [n for n in notes if n.get("kind") != "default_model_kept"]
                notes.append(blend_note(blend, single, val_score, metric, decision.left_out))
                learner, config, val_score, kind = ENSEMBLE_LEARNER, blend.config, blend.crossfit_score, "ensemble"
                selection = "the validation rows (the ensemble's weights cross-fitted on two halves of them)"
                val_positive = blend.positive
    if hurry:
        notes.append({"severity": "warning", "kind": "time_ran_out",
                      "message": f"Time ran out: the build was asked to finish early, so it delivered the best model it had "
                      f"after {len(result.trials)} search trial(s) ({'the standard model' if learner == DEFAULT_LEARNER else learner}), "
                      "fit on the train and validation rows. A longer budget or a quieter machine may give a better one."})
    if kind == "ensemble" and use_cv:
        parts = ", ".join(f"{m['learner']} ({m['weight']:.0%})" for m in config["members"])
        notes.append({"severity": "info", "kind": "ensemble_delivered",
                      "message": f"The delivered model is a weighted ensemble of {len(config['members'])} models: {parts}. "
                      "It beat the best single model and the default model on fresh cross-validation folds."})

    clock.mark("choosing")
    progress(stage="refitting the chosen model")
    fit_started = time.monotonic()
    final = fit_estimator(task, learner, config, spec.seed, n_jobs, X_fit, y_fit)
    final_seconds = time.monotonic() - fit_started
    baseline = make_baseline(task).fit(X_fit, y_fit)
    # the default model delivered: its train+validation fit is the one just made (same recipe, same seed)
    default_final = final if learner == DEFAULT_LEARNER else _default_member(final) or make_default_model(task, spec.seed).fit(X_fit, y_fit)
    model_report = report(task, final, X_ho, y_ho)
    point = None
    if task == "binary":
        point = operating_point(task, learner, config, spec, n_jobs, rows, chosen_oof, y_fit, X_tr, y_tr, X_val, y_val,
                                 final, X_ho, y_ho, result if learner == result.best_learner and config == result.best_config else None,
                                 default_val if learner == DEFAULT_LEARNER else None, val_positive=val_positive)
        model_report.update(decision_metrics(point["holdout"]))
    metrics = {
        "model": model_report,
        "baseline": report(task, baseline, X_ho, y_ho),
        "default_model": report(task, default_final, X_ho, y_ho),
    }
    delivered = final
    clock.mark("holdout fit")
    if refit_full and wrap_up_requested():
        refit_full = False  # asked to finish: deliver the train+validation fit that the holdout scored
    refit_seconds = full_refit_seconds(final_seconds, len(y_fit), len(y))
    if refit_full and not clock.fits(refit_seconds):
        # the all-rows fit would end past the job's promise (budget + 10 % + 5 s): the train+validation fit the
        # holdout scored is as good a model, on a fifth fewer rows, and the analyst gets it on time
        refit_full = False
        notes.append({"severity": "info", "kind": "full_refit_skipped",
                      "message": f"The delivered model is the one fitted on the train and validation rows: refitting it "
                      f"on every row (about {refit_seconds:.0f} s) would have run past the time budget. A longer "
                      "budget refits it on every row."})
    if refit_full:
        # Evaluated on the holdout, the recipe is now refit on every labelled row
        # (as FLAML's retrain_full does): the holdout numbers are a slightly
        # pessimistic estimate for the delivered model, which has 25% more data.
        progress(stage="final refit on all rows")
        # In an order drawn from the seed, never the file's: some learners stop early on the *last* rows they are
        # given (FLAML's CatBoost holds out the tail), and in a table sorted by region or date that tail is unlike
        # the rest (California housing, CatBoost: RMSE 56,900 fit in file order, 48,200 shuffled). Every other fit
        # already sees the shuffled rows of the split.
        order = np.random.default_rng(spec.seed).permutation(len(y))
        delivered = fit_estimator(task, learner, config, spec.seed, n_jobs, X.iloc[order], y[order])
        clock.mark("final refit")
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
        **({"refit_row_order": "a permutation drawn from the seed"} if refit_full else {}),
        "features": spec.plan.to_dict(),
        "n_rows": {"train": len(rows.train_idx), "validation": len(rows.val_idx), "holdout": len(rows.holdout_idx)},
        "portfolio": [{"learner": e.learner, "source": e.source} for e in entries],
        "search": {"trials": len(result.trials), "wall_seconds": round(result.wall_seconds, 2), "best_learner": result.best_learner,
                   "budget_seconds": round(search_budget, 2),
                   "stopped_early": result.stopped_early, "wrapped_up": hurry,
                   "ended_to_leave_time_for_refits": result.ended_for_refits, **({"ray": result.ray} if result.ray else {})},
        **({"fresh_folds": fresh_info} if fresh_info else {}),
        **({"validation_ensemble": blend_info} if blend_info else {}),
        "training_seconds": round(clock.elapsed(), 2),
        "phase_seconds": clock.phases(),
        "libraries": library_versions(),
    }
    schema = {
        "target": spec.target,
        "task": task,
        "classes": [c if isinstance(c, (str, int, float, bool)) else str(c) for c in jsonable(rows.classes)],
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
