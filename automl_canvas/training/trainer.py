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
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

from .anytime import WrapUp, wrap_up_requested
from .leaderboard import DEFAULT_LEARNER, leaderboard
from .metrics import MetricInfo, evaluate, score, to_loss
from .operating_point import ThresholdCurve, choose_operating_point, decision_metrics
from .pipeline import CanvasModel, make_baseline, make_default_model
from .preprocess import TabularPreprocessor
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
    out = {"python": platform.python_version()}
    for dist in ("automl-canvas", "flaml", "scikit-learn", "lightgbm", "xgboost", "pandas", "numpy", "pyarrow"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return out


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


def make_estimator(task: str, learner: str, config: dict[str, Any], seed: int, n_jobs: int):
    """A fresh, unfitted estimator for a recorded (learner, config)."""
    if learner == DEFAULT_LEARNER:
        return make_default_model(task, seed)
    from .search import build_learner

    return build_learner(task, learner, config, seed=seed, n_jobs=n_jobs)


def fit_estimator(task: str, learner: str, config: dict[str, Any], seed: int, n_jobs: int, X: pd.DataFrame, y: np.ndarray):
    """Build and fit; returns the estimator itself.

    Why not ``make_estimator(...).fit(X, y)``: FLAML's estimators return the
    training time from ``fit``, not ``self`` as scikit-learn's do.
    """
    est = make_estimator(task, learner, config, seed, n_jobs)
    est.fit(X, y)
    return est


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


def _splitter(task: str, y: np.ndarray, folds: int, seed: int):
    """Seeded folds (stratified for classification; never more folds than the rarest class has rows)."""
    if task == "regression":
        return KFold(folds, shuffle=True, random_state=seed)
    return StratifiedKFold(max(2, min(folds, int(np.bincount(y).min()))), shuffle=True, random_state=seed)


def _cross_validate(spec: ResolvedSpec, learner: str, config: dict, X: pd.DataFrame, y: np.ndarray, splitter, n_jobs: int,
                    oof: np.ndarray | None = None) -> dict[str, Any]:
    """Per-fold scores; with ``oof`` (binary), also fills it with each row's out-of-fold 'yes' probability."""
    scores = []
    for tr, te in splitter.split(X, y):
        est = fit_estimator(spec.task, learner, config, spec.seed, n_jobs, X.iloc[tr], y[tr])
        proba, pred = _outputs(spec.task, est, X.iloc[te])
        scores.append(score(spec.task, spec.metric.name, y[te], proba, pred))
        if oof is not None and proba is not None:
            oof[te] = proba[:, -1]
    return {"metric": spec.metric.name, "folds": len(scores), "scores": scores, "mean": float(np.mean(scores)), "std": float(np.std(scores))}


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
    dataset_sha256: str = "",
    progress: Progress = lambda **_: None,
    ray_address: str | None = None,
    concurrent_trials: int = 1,
) -> TrainingOutcome:
    task, metric = spec.task, spec.metric
    progress(stage="preparing data")
    rows = prepare_rows(df, task, spec.target, spec.seed, holdout_fraction, validation_fraction)
    pre = TabularPreprocessor(spec.plan).fit(rows.X_raw.iloc[rows.fit_idx])
    X = pre.transform(rows.X_raw)
    y = rows.y
    X_tr, y_tr = X.iloc[rows.train_idx], y[rows.train_idx]
    X_val, y_val = X.iloc[rows.val_idx], y[rows.val_idx]
    X_fit, y_fit = X.iloc[rows.fit_idx], y[rows.fit_idx]
    X_ho, y_ho = X.iloc[rows.holdout_idx], y[rows.holdout_idx]

    # Model selection: on small data a single validation split is too noisy to
    # choose between models (a 100-row validation set can prefer a worse model by
    # chance), so the search and the default model are compared on the same
    # cross-validation folds of the train+validation rows; on larger data, on
    # the validation rows.
    use_cv = len(rows.fit_idx) <= cv_max_rows
    splitter = _splitter(task, y_fit, cv_folds, spec.seed) if use_cv else None
    progress(stage="baseline and default model")
    search_budget = spec.budget_seconds
    binary = task == "binary"
    default_oof = np.full(len(y_fit), np.nan) if (use_cv and binary) else None
    if use_cv:
        started = time.monotonic()
        default_cv = _cross_validate(spec, DEFAULT_LEARNER, {}, X_fit, y_fit, splitter, n_jobs, default_oof)
        default_val_score = default_cv["mean"]
        # The budget is the analyst's wait: the default model's CV and, later,
        # the winner's CV (about as long again) come out of it, never below half.
        search_budget = max(spec.budget_seconds / 2, spec.budget_seconds - 2 * (time.monotonic() - started))
    else:
        default_val = make_default_model(task, spec.seed).fit(X_tr, y_tr)
        default_val_score = _score(task, metric, default_val, X_val, y_val)

    progress(stage="searching", trials_done=0, best_score=None, budget_seconds=round(search_budget, 1))
    search_started = time.monotonic()
    #: [seconds into the search, best score so far] per trial, so a UI can draw the search as it goes.
    curve: list[list[float]] = []

    def on_trial(trials: int, best_loss: float | None, learner: str | None) -> None:
        elapsed = time.monotonic() - search_started
        best = None if best_loss is None else (1 - best_loss if metric.higher_is_better else best_loss)
        if best is not None:
            curve.append([round(elapsed, 2), round(float(best), 5)])
            del curve[:-SEARCH_CURVE_POINTS]  # keep the progress row small on long searches
        progress(
            trials_done=trials,
            best_score=best,
            search_curve=list(curve),
            best_learner=learner,
            search_elapsed_seconds=round(elapsed, 1),
            remaining_seconds=round(max(0.0, search_budget - elapsed), 1),
        )

    from .search import SearchResult, run_search

    try:
        with tempfile.TemporaryDirectory(prefix="canvas-search-") as tmp:
            result = run_search(
                X_fit if use_cv else X_tr, y_fit if use_cv else y_tr,
                None if use_cv else X_val, None if use_cv else y_val,
                task=task, metric=metric.name, time_budget=search_budget, seed=spec.seed,
                n_jobs=n_jobs, log_path=Path(tmp) / "search.jsonl",
                learners=tuple(spec.learners) if spec.learners else None, splitter=splitter, on_trial=on_trial,
                ray_address=ray_address, concurrent_trials=concurrent_trials,
            )
    except WrapUp:  # asked to wrap up before the search found anything: the default model is in hand
        result = SearchResult(DEFAULT_LEARNER, {}, float("nan"), stopped_early=True)
    progress(stage="choosing the model", trials_done=len(result.trials), remaining_seconds=0)
    notes = list(spec.notes)
    search_cv: dict[str, Any] = {}
    hurry = wrap_up_requested()
    search_oof = None
    if not result.trials:
        search_wins, search_val_score = False, float("nan")
        selection, reason = "nothing (the search had found no model yet)", "because time ran out first"
    elif hurry:
        # No time for the usual paired check: compare on the search's own evaluation, which used the
        # same folds (or validation rows) as the default model's score.
        search_val_score = 1 - result.best_loss if metric.higher_is_better else result.best_loss
        search_wins = search_val_score > default_val_score if metric.higher_is_better else search_val_score < default_val_score
        selection = "the search's own evaluation (time ran out before the usual check)"
        reason = "on the search's own evaluation"
    elif use_cv:
        # The winner of hundreds of trials looks better on the folds it was chosen
        # on than it is (winner's curse), so it must beat the default model on
        # the same folds by at least one standard error of the paired difference.
        progress(stage="cross-validating")
        search_oof = np.full(len(y_fit), np.nan) if binary else None
        search_cv = _cross_validate(spec, result.best_learner, result.best_config, X_fit, y_fit, splitter, n_jobs, search_oof)
        search_val_score = search_cv["mean"]
        sign = 1.0 if metric.higher_is_better else -1.0
        diffs = sign * (np.asarray(search_cv["scores"]) - np.asarray(default_cv["scores"]))
        margin = float(np.std(diffs, ddof=1) / np.sqrt(len(diffs))) if len(diffs) > 1 else 0.0
        search_wins = float(diffs.mean()) > margin
        selection = f"{splitter.get_n_splits()}-fold cross-validation on the train and validation rows"
        reason = f"by less than one standard error ({margin:.4f}) across the folds"
    else:
        search_val_score = _score(task, metric, result.model, X_val, y_val)
        search_wins = search_val_score >= default_val_score if metric.higher_is_better else search_val_score <= default_val_score
        selection = "the validation rows"
        reason = "on the validation rows"
    if search_wins:
        learner, config, val_score = result.best_learner, result.best_config, search_val_score
    else:
        learner, config, val_score = DEFAULT_LEARNER, {}, default_val_score
        if result.trials:
            notes.append(
                {
                    "severity": "info",
                    "kind": "default_model_kept",
                    "message": f"The search's best model ({result.best_learner}, {metric.label} {search_val_score:.4f} "
                    f"on {selection}) did not beat the default HistGradientBoosting model ({default_val_score:.4f}) "
                    f"{reason}, so the more robust default model was kept.",
                }
            )
    if hurry:
        kept = "the search's best" if search_wins else "the standard model"
        notes.append({"severity": "warning", "kind": "time_ran_out",
                      "message": f"Time ran out: the build was asked to finish early, so it delivered the best model it had "
                      f"after {len(result.trials)} search trial(s) ({kept}), fit on the train and validation rows. "
                      "A longer budget or a quieter machine may give a better one."})

    progress(stage="refitting the chosen model")
    final = fit_estimator(task, learner, config, spec.seed, n_jobs, X_fit, y_fit)
    baseline = make_baseline(task).fit(X_fit, y_fit)
    default_final = make_default_model(task, spec.seed).fit(X_fit, y_fit)
    point = None
    model_report = _report(task, final, X_ho, y_ho)
    if binary:
        # The selection evidence for the cut-off: out-of-fold probabilities of the chosen recipe, or
        # the validation rows scored by its train-only fit; never the holdout, which only reports.
        chosen_oof = search_oof if search_wins else default_oof
        if use_cv and chosen_oof is not None and not np.isnan(chosen_oof).any():
            sel_y, sel_p, source = y_fit, chosen_oof, "out-of-fold predictions"
        else:
            chosen_val = result.model if search_wins else (None if use_cv else default_val)
            if chosen_val is None:  # stopped early, or cross-validated without this model's out-of-fold scores
                chosen_val = fit_estimator(task, learner, config, spec.seed, n_jobs, X_tr, y_tr)
            sel_y, sel_p, source = y_val, _outputs(task, chosen_val, X_val)[0][:, -1], "the validation rows"
        ho_p = _outputs(task, final, X_ho)[0][:, -1]
        curve = ThresholdCurve.build(sel_y, sel_p, y_ho, ho_p, source)
        point = {**choose_operating_point(curve, positive_class=str(_jsonable(rows.classes)[1])), "curve": curve.to_dict()}
        model_report.update(decision_metrics(point["holdout"]))
    metrics = {
        "model": model_report,
        "baseline": _report(task, baseline, X_ho, y_ho),
        "default_model": _report(task, default_final, X_ho, y_ho),
    }
    cv: dict[str, Any] = {}
    if use_cv:
        cv = default_cv if learner == DEFAULT_LEARNER else search_cv

    delivered = final
    if refit_full and wrap_up_requested():
        refit_full = False  # asked to finish: deliver the train+validation fit that the holdout scored
    if refit_full:
        # Evaluated on the holdout, the recipe is now refit on every labelled row
        # (as FLAML's retrain_full does): the holdout numbers are a slightly
        # pessimistic estimate for the delivered model, which has 25% more data.
        progress(stage="final refit on all rows")
        delivered = fit_estimator(task, learner, config, spec.seed, n_jobs, X, y)
    board = leaderboard(result.trials, metric, default_val_score, learner == DEFAULT_LEARNER, result.best_learner, result.best_config)
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
        "delivered_model_fit_on": "all labelled rows" if refit_full else "train and validation rows",
        "features": spec.plan.to_dict(),
        "n_rows": {"train": len(rows.train_idx), "validation": len(rows.val_idx), "holdout": len(rows.holdout_idx)},
        "search": {"trials": len(result.trials), "wall_seconds": round(result.wall_seconds, 2), "best_learner": result.best_learner,
                   "budget_seconds": round(search_budget, 2),
                   "stopped_early": result.stopped_early, "wrapped_up": hurry, **({"ray": result.ray} if result.ray else {})},
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


def _jsonable(values: list[Any]) -> list[Any]:
    return [v.item() if isinstance(v, np.generic) else v for v in values]
