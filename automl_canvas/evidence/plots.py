"""Figures of the stored performance detail (see :mod:`.performance`).

Like the SHAP and fairness plots, these read only stored data and return a
fresh :class:`matplotlib.figure.Figure` on the Agg canvas without touching
pyplot's global state, so the apps and the model card can embed them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..errors import ValidationError

__all__ = ["calibration_curve", "confusion_matrix", "precision_recall_curve", "residuals", "roc_curve"]


def _figure(width: float = 5.0, height: float = 4.0) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _need(detail: dict[str, Any], key: str, what: str) -> Any:
    if key not in detail:
        raise ValidationError(f"This performance detail has no {what} (task: {detail.get('task', '?')}).")
    return detail[key]


def roc_curve(detail: dict[str, Any]) -> Figure:
    """ROC curve (binary), or one curve per class (multiclass, one-vs-rest)."""
    fig = _figure()
    ax = fig.add_subplot()
    curves = {detail.get("positive_class", "model"): detail["roc"]} if "roc" in detail else {
        name: c["roc"] for name, c in _need(detail, "one_vs_rest", "ROC curve").items()}
    for name, roc in curves.items():
        ax.plot(roc["fpr"], roc["tpr"], label=f"{name} (AUC {roc['auc']:.3f})")
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="guessing")
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC curve", xlim=(0, 1), ylim=(0, 1.01))
    ax.legend(loc="lower right", fontsize="small")
    return fig


def precision_recall_curve(detail: dict[str, Any], point: dict[str, Any] | None = None) -> Figure:
    """The precision-recall curve of the holdout, with the version's operating point marked when given."""
    pr = _need(detail, "precision_recall", "precision-recall curve")
    fig = _figure()
    ax = fig.add_subplot()
    ax.plot(pr["recall"], pr["precision"], label=f"average precision {pr['average_precision']:.3f}")
    h = (point or {}).get("holdout")
    if h:
        ax.scatter([h["recall"]], [h["precision"]], color="crimson", zorder=3, s=40,
                   label=f"operating point (cut-off {point['threshold']:.3f}, {point['mode']})")
    ax.set(xlabel="recall", ylabel="precision", title=f"Precision-recall ({detail.get('positive_class', '')})",
           xlim=(0, 1), ylim=(0, 1.01))
    ax.legend(loc="lower left", fontsize="small")
    return fig


def calibration_curve(detail: dict[str, Any]) -> Figure:
    """Predicted probability against the observed rate, per quantile bin."""
    cal = _need(detail, "calibration", "calibration curve")
    fig = _figure()
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="perfectly calibrated")
    ax.plot(cal["mean_predicted"], cal["fraction_positive"], marker="o", label=f"model (Brier {cal['brier_score']:.3f})")
    ax.set(xlabel="predicted probability", ylabel="observed rate", title="Calibration", xlim=(0, 1), ylim=(0, 1))
    ax.legend(loc="upper left", fontsize="small")
    return fig


def confusion_matrix(detail: dict[str, Any], normalise: bool = False) -> Figure:
    cm = _need(detail, "confusion_matrix", "confusion matrix")
    m = np.asarray(cm["matrix"], dtype=float)
    shown = m / np.maximum(m.sum(axis=1, keepdims=True), 1) if normalise else m
    labels = cm["labels"]
    fig = _figure(1.2 + 0.7 * len(labels), 1.0 + 0.7 * len(labels))
    ax = fig.add_subplot()
    ax.imshow(shown, cmap="Blues")
    for i in range(len(labels)):
        for j in range(len(labels)):
            text = f"{shown[i, j]:.0%}" if normalise else f"{int(m[i, j]):,}"
            ax.text(j, i, text, ha="center", va="center", color="white" if shown[i, j] > shown.max() / 2 else "black")
    ax.set(xticks=range(len(labels)), yticks=range(len(labels)), xticklabels=labels, yticklabels=labels,
           xlabel="predicted", ylabel="actual", title="Confusion matrix (holdout)")
    return fig


def residuals(detail: dict[str, Any]) -> Figure:
    """Residuals against the prediction (regression), with the zero line."""
    res = _need(detail, "residuals", "residuals")
    fig = _figure(6.0, 4.0)
    ax = fig.add_subplot()
    ax.scatter(res["predicted"], res["residual"], s=6, alpha=0.5)
    ax.axhline(0, color="grey", linestyle="--", linewidth=1)
    ax.set(xlabel="predicted", ylabel="actual − predicted", title="Residuals (holdout)")
    return fig
