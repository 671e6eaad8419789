"""Metrics: which exist for which task, which direction is better, how to compute them.

Names are FLAML's, so the metric an analyst picks is exactly the one the search
optimises.  ``evaluate`` computes the whole family for a report; ``score``
computes one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn import metrics as skm

from ..errors import TrainingConfigError

__all__ = ["DEFAULT_METRIC", "METRICS", "MetricInfo", "evaluate", "resolve_metric", "score", "to_loss"]


@dataclass(frozen=True)
class MetricInfo:
    name: str
    label: str
    higher_is_better: bool
    needs_proba: bool


_ALL = {
    "roc_auc": MetricInfo("roc_auc", "ROC AUC", True, True),
    "ap": MetricInfo("ap", "average precision", True, True),
    "log_loss": MetricInfo("log_loss", "log loss", False, True),
    "accuracy": MetricInfo("accuracy", "accuracy", True, False),
    "f1": MetricInfo("f1", "F1", True, False),
    "roc_auc_ovr": MetricInfo("roc_auc_ovr", "ROC AUC (one-vs-rest)", True, True),
    "macro_f1": MetricInfo("macro_f1", "macro F1", True, False),
    "micro_f1": MetricInfo("micro_f1", "micro F1", True, False),
    "rmse": MetricInfo("rmse", "RMSE", False, False),
    "mae": MetricInfo("mae", "MAE", False, False),
    "mse": MetricInfo("mse", "MSE", False, False),
    "r2": MetricInfo("r2", "R²", True, False),
}

METRICS: dict[str, tuple[str, ...]] = {
    "binary": ("roc_auc", "log_loss", "accuracy", "f1", "ap"),
    "multiclass": ("log_loss", "accuracy", "roc_auc_ovr", "macro_f1", "micro_f1"),
    "regression": ("rmse", "mae", "r2", "mse"),
}
DEFAULT_METRIC = {"binary": "roc_auc", "multiclass": "log_loss", "regression": "rmse"}


def resolve_metric(task: str, metric: str | None) -> MetricInfo:
    name = metric or DEFAULT_METRIC[task]
    if name not in METRICS[task]:
        raise TrainingConfigError(
            f"The metric '{name}' does not apply to a {task} problem; choose one of: {', '.join(METRICS[task])}."
        )
    return _ALL[name]


def metric_label(metric: str) -> str:
    """The metric's display name ("ROC AUC", "RMSE") for a version's headline; its stored name if unknown."""
    info = _ALL.get(metric)
    return info.label if info is not None else metric


def score(task: str, metric: str, y_true: np.ndarray, proba: np.ndarray | None, pred: np.ndarray) -> float:
    """``y_true`` and ``pred`` are encoded labels (0..K-1) for classification."""
    n_classes = proba.shape[1] if proba is not None and proba.ndim == 2 else None
    if metric == "roc_auc":
        return float(skm.roc_auc_score(y_true, proba[:, 1]))
    if metric == "ap":
        return float(skm.average_precision_score(y_true, proba[:, 1]))
    if metric == "log_loss":
        clipped = np.clip(proba, 1e-15, 1)
        return float(skm.log_loss(y_true, clipped / clipped.sum(axis=1, keepdims=True), labels=list(range(n_classes))))
    if metric == "roc_auc_ovr":
        present = np.unique(y_true)
        if len(present) < n_classes:  # AUC needs every class in the sample
            p = proba[:, present]
            p = p / p.sum(axis=1, keepdims=True)
            y = np.searchsorted(present, y_true)
            return float(skm.roc_auc_score(y, p, multi_class="ovr"))
        return float(skm.roc_auc_score(y_true, proba, multi_class="ovr"))
    if metric == "accuracy":
        return float(skm.accuracy_score(y_true, pred))
    if metric == "f1":
        return float(skm.f1_score(y_true, pred, zero_division=0))
    if metric == "macro_f1":
        return float(skm.f1_score(y_true, pred, average="macro", zero_division=0))
    if metric == "micro_f1":
        return float(skm.f1_score(y_true, pred, average="micro", zero_division=0))
    if metric == "rmse":
        return float(np.sqrt(skm.mean_squared_error(y_true, pred)))
    if metric == "mse":
        return float(skm.mean_squared_error(y_true, pred))
    if metric == "mae":
        return float(skm.mean_absolute_error(y_true, pred))
    if metric == "r2":
        return float(skm.r2_score(y_true, pred))
    raise TrainingConfigError(f"Unknown metric '{metric}'.")


def evaluate(task: str, y_true, proba, pred) -> dict[str, float]:
    """Every metric of the task; a metric that cannot be computed on this sample is left out."""
    out: dict[str, float] = {}
    for name in METRICS[task]:
        try:
            out[name] = score(task, name, np.asarray(y_true), proba, np.asarray(pred))
        except ValueError:
            continue
    return out


def to_loss(info: MetricInfo, value: float) -> float:
    """Smaller is better, whatever the metric (how FLAML ranks trials)."""
    return 1.0 - value if info.higher_is_better else value
