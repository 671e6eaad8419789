"""Performance detail on the holdout, as plain JSON-friendly data.

Curves are down-sampled to a few hundred points: the data is stored with the
version and drawn by the apps and the model card, so it must stay small while
keeping the shape a reviewer looks at (the corners of a ROC curve, the tails of
the residuals).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve

__all__ = ["MAX_CURVE_POINTS", "MAX_RESIDUAL_POINTS", "performance_detail"]

MAX_CURVE_POINTS = 200
MAX_RESIDUAL_POINTS = 2000


def _thin(*arrays: np.ndarray, limit: int = MAX_CURVE_POINTS) -> list[list[float]]:
    """Keep at most ``limit`` points, always including the first and the last."""
    n = len(arrays[0])
    if n > limit:
        keep = np.unique(np.linspace(0, n - 1, limit).round().astype(int))
        arrays = tuple(a[keep] for a in arrays)
    return [[float(x) if np.isfinite(x) else None for x in a] for a in arrays]


def _label(c: Any) -> str:
    return str(c)


def _binary_curves(y: np.ndarray, score: np.ndarray) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if len(np.unique(y)) == 2:
        fpr, tpr, thr = skm.roc_curve(y, score)
        out["roc"] = dict(zip(("fpr", "tpr", "threshold"), _thin(fpr, tpr, thr), strict=True))
        out["roc"]["auc"] = float(skm.roc_auc_score(y, score))
        prec, rec, thr = skm.precision_recall_curve(y, score)
        out["precision_recall"] = dict(zip(("precision", "recall", "threshold"), _thin(prec[:-1], rec[:-1], thr), strict=True))
        out["precision_recall"]["average_precision"] = float(skm.average_precision_score(y, score))
        bins = min(10, max(2, len(y) // 20))
        frac_pos, mean_pred = calibration_curve(y, score, n_bins=bins, strategy="quantile")
        out["calibration"] = {"mean_predicted": mean_pred.tolist(), "fraction_positive": frac_pos.tolist(),
                              "brier_score": float(skm.brier_score_loss(y, score))}
    return out


def performance_detail(task: str, y_true: np.ndarray, proba: np.ndarray | None, pred: np.ndarray,
                       classes: list[Any]) -> dict[str, Any]:
    """Curves, confusion matrix and per-class metrics (classification) or residuals (regression).

    ``y_true``/``pred`` are encoded labels 0..K-1 for classification (``classes``
    gives their names), numbers for regression.
    """
    y_true = np.asarray(y_true)
    pred = np.asarray(pred)
    if task == "regression":
        return _regression_detail(y_true.astype(float), pred.astype(float))
    labels = list(range(len(classes)))
    names = [_label(c) for c in classes]
    cm = skm.confusion_matrix(y_true, pred, labels=labels)
    report = skm.classification_report(y_true, pred, labels=labels, target_names=names, output_dict=True, zero_division=0)
    per_class = [
        {"class": name, "precision": report[name]["precision"], "recall": report[name]["recall"],
         "f1": report[name]["f1-score"], "support": int(report[name]["support"])}
        for name in names
    ]
    out: dict[str, Any] = {
        "task": task,
        "classes": names,
        "confusion_matrix": {"labels": names, "matrix": cm.tolist(), "rows": "actual", "columns": "predicted"},
        "per_class": per_class,
        "n_rows": len(y_true),
    }
    if task == "binary":
        out["positive_class"] = names[1]
        out.update(_binary_curves((y_true == 1).astype(int), proba[:, 1]))
    else:
        out["one_vs_rest"] = {}
        for k, name in enumerate(names):
            curves = _binary_curves((y_true == k).astype(int), proba[:, k])
            if curves:
                out["one_vs_rest"][name] = {"roc": curves["roc"], "calibration": curves["calibration"]}
        conf = proba.max(axis=1)
        frac, mean = calibration_curve((pred == y_true).astype(int), conf, n_bins=min(10, max(2, len(y_true) // 20)),
                                       strategy="quantile") if len(np.unique(pred == y_true)) == 2 else ([], [])
        out["confidence_calibration"] = {"mean_confidence": list(map(float, mean)), "accuracy": list(map(float, frac))}
    return out


def _regression_detail(y: np.ndarray, pred: np.ndarray) -> dict[str, Any]:
    resid = y - pred
    rng = np.random.default_rng(0)
    idx = np.arange(len(y)) if len(y) <= MAX_RESIDUAL_POINTS else np.sort(rng.choice(len(y), MAX_RESIDUAL_POINTS, replace=False))
    counts, edges = np.histogram(resid, bins=30)
    order = np.argsort(pred)
    deciles = [
        {"mean_predicted": float(pred[part].mean()), "mean_actual": float(y[part].mean()), "n": len(part)}
        for part in np.array_split(order, min(10, len(order))) if len(part)
    ]
    return {
        "task": "regression",
        "n_rows": len(y),
        "residuals": {"actual": y[idx].tolist(), "predicted": pred[idx].tolist(), "residual": resid[idx].tolist()},
        "residual_histogram": {"counts": counts.tolist(), "edges": edges.tolist()},
        "residual_summary": {
            "mean": float(resid.mean()), "std": float(resid.std()),
            "quantiles": {str(q): float(np.quantile(resid, q)) for q in (0.05, 0.25, 0.5, 0.75, 0.95)},
        },
        "by_predicted_decile": deciles,
    }
