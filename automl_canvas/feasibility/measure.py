"""From a table and a resolved spec to the stored measurements of a feasibility job (no database).

The quick AutoML run is a trial-bounded search (``quickmodel.py``; FLAML stays
in ``training/``) whose model is fit on the train + validation rows: the
holdout stays untouched, and the lift, the simple rule, the learning curve and
the operating curve (what a decision at each threshold would cost) are
measured on it.  The single-column rules are judged on the validation rows,
over every column of the table, including those left out of the model.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ..serialization import json_safe
from ..training.metrics import score
from ..training.pipeline import make_baseline
from ..training.spec import ResolvedSpec
from ..training.trainer import fit_estimator
from .applicability import bootstrap_lift, learning_curve, normalised_lift, outputs, simple_rule
from .columns import column_rules
from .quickmodel import DEFAULT_MAX_TRIALS, fit_quick_model
from .readiness_score import readiness_facts
from .value import operating_curve

__all__ = ["CURVE_FRACTIONS", "MeasureOptions", "measure"]

CURVE_FRACTIONS = (0.1, 0.25, 0.5, 1.0)


class MeasureOptions:
    def __init__(self, *, n_jobs: int = -1, holdout_fraction: float = 0.2, validation_fraction: float = 0.2,
                 cv_max_rows: int = 20_000, cv_folds: int = 5, n_bootstrap: int = 500,
                 fractions: tuple[float, ...] = CURVE_FRACTIONS, max_trials: int = DEFAULT_MAX_TRIALS):
        self.n_jobs, self.holdout_fraction, self.validation_fraction = n_jobs, holdout_fraction, validation_fraction
        self.cv_max_rows, self.cv_folds, self.n_bootstrap, self.fractions = cv_max_rows, cv_folds, n_bootstrap, fractions
        self.max_trials = max_trials

    @classmethod
    def from_settings(cls, settings) -> MeasureOptions:
        return cls(n_jobs=settings.n_jobs, holdout_fraction=settings.holdout_fraction,
                   validation_fraction=settings.validation_fraction, cv_max_rows=settings.cv_max_rows,
                   cv_folds=settings.cv_folds, n_bootstrap=settings.feasibility_bootstrap)


def _accuracy(task: str, y: np.ndarray, model, baseline) -> dict[str, Any]:
    """What the business formula needs: accuracy (classification) or mean absolute error (regression)."""
    if task == "regression":
        return {"kind": "mae", "model": float(np.mean(np.abs(model[1] - y))), "baseline": float(np.mean(np.abs(baseline[1] - y)))}
    out: dict[str, Any] = {"kind": "accuracy", "model": float(np.mean(model[1] == y)), "baseline": float(np.mean(baseline[1] == y))}
    if task == "binary":  # error rates by kind, for the cost of errors
        pos = y == 1
        out["false_positive_rate"] = float(np.mean(model[1][~pos] == 1)) if (~pos).any() else None
        out["false_negative_rate"] = float(np.mean(model[1][pos] == 0)) if pos.any() else None
        out["positive_share"] = float(pos.mean())
    return out


def _curve_verdict(points: list[dict[str, Any]], plateau_gain: float) -> dict[str, Any]:
    full = next((p for p in points if p["fraction"] >= 1), None)
    half = next((p for p in points if abs(p["fraction"] - 0.5) < 1e-9), None)
    if full is None or half is None or not np.isfinite(full["normalised"]) or not np.isfinite(half["normalised"]):
        return {"trend": "unknown", "gain_last_half": None}
    gain = full["normalised"] - half["normalised"]
    return {"trend": "more data would help" if gain >= plateau_gain else "plateaued", "gain_last_half": float(gain)}


def measure(df: pd.DataFrame, spec: ResolvedSpec, profile: dict[str, Any], *, options: MeasureOptions,
            plateau_gain: float = 0.02, progress: Callable[..., None] = lambda **_: None) -> dict[str, Any]:
    """Every number the scorecard needs, JSON-ready.

    Run inside a job, whose native thread pools the worker holds to ``n_jobs``
    (runner/execute.py: on a busy machine unbounded pools spin against each other).
    ``df`` holds every column, those the spec leaves out too: the single-column
    rules look at all of them.
    """
    return _measure(df, spec, profile, options, plateau_gain, progress)


def _measure(df: pd.DataFrame, spec: ResolvedSpec, profile: dict[str, Any], options: MeasureOptions,
             plateau_gain: float, progress: Callable[..., None]) -> dict[str, Any]:
    started = time.monotonic()
    task, metric, seed = spec.task, spec.metric, spec.seed
    quick = fit_quick_model(df, spec, max_trials=options.max_trials, n_jobs=options.n_jobs,
                            holdout_fraction=options.holdout_fraction, validation_fraction=options.validation_fraction,
                            cv_max_rows=options.cv_max_rows, cv_folds=options.cv_folds, progress=progress)
    trained = time.monotonic()
    rows, X = quick.rows, quick.X
    X_fit, y_fit = X.iloc[rows.fit_idx], rows.y[rows.fit_idx]
    X_ho, y_ho = X.iloc[rows.holdout_idx], rows.y[rows.holdout_idx]
    progress(stage="lift over the baseline (bootstrap)")
    model_out = outputs(task, quick.estimator, X_ho)
    baseline_out = outputs(task, make_baseline(task).fit(X_fit, y_fit), X_ho)
    lift = bootstrap_lift(task, metric, y_ho, model_out, baseline_out, n_bootstrap=options.n_bootstrap, seed=seed)
    lift["learner"] = quick.learner
    progress(stage="simple rule")
    rule = simple_rule(task, metric, X_fit, y_fit, X_ho, y_ho, baseline_score=lift["baseline"], seed=seed)
    progress(stage="single-column rules")
    candidates = rows.X_raw.drop(columns=[spec.target])
    columns = column_rules(candidates, rows.y, task, metric, rows.train_idx, rows.val_idx, classes=rows.classes,
                           suspects=list(profile.get("leakage_suspects") or []), used=list(spec.plan.kinds), seed=seed)
    learner, config = quick.learner, quick.config
    curve = learning_curve(
        task, metric, lambda Xs, ys: fit_estimator(task, learner, config, seed, options.n_jobs, Xs, ys),
        X_fit, y_fit, X_ho, y_ho, baseline_score=lift["baseline"], full_score=lift["model"],
        fractions=options.fractions, seed=seed, progress=progress,
    )
    facts = readiness_facts(profile, spec.plan.kinds, spec.plan.dropped, rows.y, task, quick.preprocessor.schema,
                            n_rows=int(profile.get("n_rows", len(df))))
    default_score = score(task, metric.name, y_ho, *outputs(task, quick.default_estimator, X_ho))
    return json_safe({
        "task": task,
        "target": spec.target,
        "metric": metric.name,
        "metric_label": metric.label,
        "higher_is_better": metric.higher_is_better,
        "readiness": facts,
        "lift": lift,
        "accuracy": _accuracy(task, y_ho, model_out, baseline_out),
        "simple_rule": rule,
        "column_rules": columns,
        "operating_curve": operating_curve(y_ho, model_out[0], rows.classes) if task == "binary" else None,
        "learning_curve": {"points": curve, **_curve_verdict(curve, plateau_gain)},
        "default_model": {"score": default_score, "normalised": normalised_lift(metric, default_score, lift["baseline"])},
        "excluded_columns": list(spec.excluded),
        "features": spec.plan.to_dict(),
        "search": quick.search,
        "notes": quick.notes,
        "seconds": {"automl": round(trained - started, 2), "total": round(time.monotonic() - started, 2)},
    })
