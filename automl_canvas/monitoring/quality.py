"""How good the model is on the outcomes that came back, measured the way its holdout score was.

The live metric is the version's own metric (AUC, accuracy, RMSE...), computed
by the same function as the holdout score, so the two are comparable.  It is
flagged when it is worse than the holdout score by more than a fraction of it
(``monitoring_quality_drop``, 10 % by default): one rule whichever way the
metric points.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..training.metrics import score

__all__ = ["live_quality"]


def live_quality(task: str, metric: str, higher_is_better: bool, holdout_metrics: dict[str, float], classes: list[str],
                 predictions: list[Any], probabilities: list[list[float] | None], actuals: list[Any],
                 max_drop: float) -> dict[str, Any]:
    """{live, holdout, worse_by_fraction, degraded, n, note} for the labelled rows given.

    ``holdout_metrics``: the version's holdout metrics by name (``version.metrics['model']``).
    """
    holdout = holdout_metrics.get(metric)
    out: dict[str, Any] = {"metric": metric, "holdout": holdout, "n": len(actuals), "live": None,
                           "worse_by_fraction": None, "degraded": False, "note": ""}
    if not actuals:
        out["note"] = "No true outcomes yet."
        return out
    try:
        if task == "regression":
            y = np.asarray(actuals, dtype=float)
            pred = np.asarray(predictions, dtype=float)
            live = score(task, metric, y, None, pred)
        else:
            index = {c: i for i, c in enumerate(classes)}
            y = np.array([index[str(a)] for a in actuals])
            pred = np.array([index.get(str(p), -1) for p in predictions])
            proba = None
            if all(p is not None for p in probabilities):
                proba = np.asarray(probabilities, dtype=float)
            elif metric in ("roc_auc", "ap", "log_loss", "roc_auc_ovr"):
                out["note"] = f"{metric} needs class probabilities; some logged predictions have none (accuracy shown)."
                metric = out["metric"] = "accuracy"
                holdout = out["holdout"] = holdout_metrics.get("accuracy")
                higher_is_better = True
            live = score(task, metric, y, proba, pred)
    except (ValueError, KeyError, IndexError) as exc:
        out["note"] = f"The live {metric} cannot be computed on these outcomes yet ({str(exc)[:120]})."
        return out
    out["live"] = float(live)
    if holdout is not None and np.isfinite(holdout):
        worse = (holdout - live) if higher_is_better else (live - holdout)
        frac = worse / max(abs(holdout), 1e-9)
        out["worse_by_fraction"] = float(frac)
        out["degraded"] = bool(frac > max_drop)
    return out
