"""The quick model a feasibility job judges the data with: trial-bounded, so the same on a busy machine.

Why not the training job's own search: that one spends a time budget, and the
same table, seed and budget gave 5 trials on a loaded machine and 24 on a quiet
one — a verdict that depends on the machine's load.  Here the FLAML search runs
a fixed number of trials (``max_trials``, learners taken in turn) with the
budget only as a safety cap; the trials it ran and what stopped it are recorded,
and the scorecard warns when the cap cut it short.  Otherwise it follows the
training job: the same seeded split and preprocessing, the HistGradientBoosting
default model beside the search, the search winner kept only when it beats the
default by more than one standard error on the same folds, and the chosen
recipe refit on the train and validation rows (the holdout stays untouched).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..training.anytime import WrapUp
from ..training.folds import make_splitter
from ..training.metrics import score
from ..training.phases import outputs
from ..training.preprocess import TabularPreprocessor
from ..training.search import run_search
from ..training.spec import ResolvedSpec
from ..training.trainer import DEFAULT_LEARNER, SplitRows, fit_estimator, prepare_rows

__all__ = ["DEFAULT_MAX_TRIALS", "QuickModel", "fit_quick_model", "stopped_by"]

#: Trials of the feasibility search unless the request says otherwise (four rounds of the six learners).
DEFAULT_MAX_TRIALS = 24


@dataclass
class QuickModel:
    rows: SplitRows
    preprocessor: TabularPreprocessor
    X: pd.DataFrame  # every labelled row, transformed
    estimator: Any  # fit on the train and validation rows
    learner: str
    config: dict[str, Any]
    default_estimator: Any
    search: dict[str, Any]
    notes: list[dict[str, Any]] = field(default_factory=list)


def stopped_by(trials: int, max_trials: int, wall_seconds: float, cap_seconds: float) -> str:
    """Why the search ended: its trial count, the safety cap, or nothing left to try."""
    if trials >= max_trials:
        return "trial limit"
    if wall_seconds >= 0.9 * cap_seconds:
        return "time cap"
    return "search converged"


def _fold_scores(spec: ResolvedSpec, learner: str, config: dict, X: pd.DataFrame, y: np.ndarray, splitter, n_jobs: int) -> list[float]:
    out = []
    for tr, te in splitter.split(X, y):
        est = fit_estimator(spec.task, learner, config, spec.seed, n_jobs, X.iloc[tr], y[tr])
        out.append(score(spec.task, spec.metric.name, y[te], *outputs(spec.task, est, X.iloc[te])))
    return out


def fit_quick_model(df: pd.DataFrame, spec: ResolvedSpec, *, max_trials: int, n_jobs: int, holdout_fraction: float,
                    validation_fraction: float, cv_max_rows: int, cv_folds: int,
                    progress: Callable[..., None] = lambda **_: None) -> QuickModel:
    task, metric, seed = spec.task, spec.metric, spec.seed
    progress(stage="preparing data")
    rows = prepare_rows(df, task, spec.target, seed, holdout_fraction, validation_fraction)
    pre = TabularPreprocessor(spec.plan).fit(rows.X_raw.iloc[rows.fit_idx])
    X, y = pre.transform(rows.X_raw), rows.y
    X_tr, y_tr, X_val, y_val = X.iloc[rows.train_idx], y[rows.train_idx], X.iloc[rows.val_idx], y[rows.val_idx]
    X_fit, y_fit = X.iloc[rows.fit_idx], y[rows.fit_idx]
    use_cv = len(rows.fit_idx) <= cv_max_rows
    splitter = make_splitter(task, y_fit, cv_folds, seed) if use_cv else None
    progress(stage="default model")
    sign = 1.0 if metric.higher_is_better else -1.0
    if use_cv:
        default_scores = _fold_scores(spec, DEFAULT_LEARNER, {}, X_fit, y_fit, splitter, n_jobs)
    else:
        est = fit_estimator(task, DEFAULT_LEARNER, {}, seed, n_jobs, X_tr, y_tr)
        default_scores = [score(task, metric.name, y_val, *outputs(task, est, X_val))]
    cap = spec.budget_seconds
    progress(stage="searching", trials_done=0, max_trials=max_trials, budget_seconds=round(cap, 1))

    def on_trial(trials: int, best_loss: float | None, learner: str | None) -> None:
        progress(trials_done=trials, max_trials=max_trials, best_learner=learner)

    searched = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="canvas-feasibility-") as tmp:
            result = run_search(X_fit if use_cv else X_tr, y_fit if use_cv else y_tr, None if use_cv else X_val,
                                None if use_cv else y_val, task=task, metric=metric.name, time_budget=cap, seed=seed,
                                n_jobs=n_jobs, log_path=Path(tmp) / "search.jsonl",
                                learners=tuple(spec.learners) if spec.learners else None, splitter=splitter,
                                on_trial=on_trial, max_iter=max_trials)
    except WrapUp:  # the job was asked to wrap up before any trial finished: judge with the default model
        result = None
    notes = list(spec.notes)
    if result is None:
        progress(stage="refitting the chosen model")
        estimator = fit_estimator(task, DEFAULT_LEARNER, {}, seed, n_jobs, X_fit, y_fit)
        wall = time.monotonic() - searched
        search = {"trials": 0, "max_trials": int(max_trials), "cap_seconds": round(cap, 2), "wall_seconds": round(wall, 2),
                  "stopped_by": "time cap", "best_learner": None, "kept": DEFAULT_LEARNER}
        return QuickModel(rows=rows, preprocessor=pre, X=X, estimator=estimator, learner=DEFAULT_LEARNER, config={},
                          default_estimator=estimator, search=search, notes=notes)
    progress(stage="choosing the model", trials_done=len(result.trials))
    if use_cv:
        search_scores = _fold_scores(spec, result.best_learner, result.best_config, X_fit, y_fit, splitter, n_jobs)
        diffs = sign * (np.asarray(search_scores) - np.asarray(default_scores))
        margin = float(np.std(diffs, ddof=1) / np.sqrt(len(diffs))) if len(diffs) > 1 else 0.0
        search_wins = float(diffs.mean()) > margin
    else:
        winner = fit_estimator(task, result.best_learner, result.best_config, seed, n_jobs, X_tr, y_tr)
        search_scores = [score(task, metric.name, y_val, *outputs(task, winner, X_val))]
        search_wins = sign * (search_scores[0] - default_scores[0]) >= 0
    learner, config = (result.best_learner, dict(result.best_config)) if search_wins else (DEFAULT_LEARNER, {})
    if not search_wins:
        notes.append({"severity": "info", "message": f"The search's best model ({result.best_learner}) did not beat the "
                      "default HistGradientBoosting model beyond noise, so the assessment judges the data with the default model."})
    progress(stage="refitting the chosen model")
    started = time.monotonic()
    estimator = fit_estimator(task, learner, config, seed, n_jobs, X_fit, y_fit)
    default_estimator = estimator if learner == DEFAULT_LEARNER else fit_estimator(task, DEFAULT_LEARNER, {}, seed, n_jobs, X_fit, y_fit)
    trials = len(result.trials)
    search = {
        "trials": trials, "max_trials": int(max_trials), "cap_seconds": round(cap, 2),
        "wall_seconds": round(result.wall_seconds, 2),
        # a job asked to wrap up at its hard limit stops like one that reached the cap
        "stopped_by": "time cap" if result.stopped_early else stopped_by(trials, max_trials, result.wall_seconds, cap),
        "best_learner": result.best_learner, "kept": learner,
        "model_selection": f"{splitter.get_n_splits()}-fold cross-validation" if use_cv else "the validation rows",
        "refit_seconds": round(time.monotonic() - started, 2),
    }
    return QuickModel(rows=rows, preprocessor=pre, X=X, estimator=estimator, learner=learner, config=config,
                      default_estimator=default_estimator, search=search, notes=notes)
