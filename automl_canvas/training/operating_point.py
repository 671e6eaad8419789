"""The operating point of a binary model: the probability above which it says "yes".

Why this exists: a model with a good ranking (AUC) can still make useless
decisions at the implicit 0.5 cut-off; on an imbalanced table (16 % leavers) it
may flag almost nobody.  The analyst chooses, in plain words, what the
decisions should do, and one threshold is derived from that choice:

- ``balance``: "balance the two kinds of mistakes" -- the threshold with the
  best F1 for the 'yes' class (the default);
- ``recall``: "catch at least N in 100 of the 'yes' cases";
- ``top_share``: "flag the riskiest N %";
- ``cost``: "cost the least", from the project's false-alarm and miss costs.

The threshold is *chosen* on evidence no reported score comes from (out-of-fold
predictions of the train+validation rows, or the validation rows when the table
is too large to cross-validate) and *reported* on the untouched holdout.  Both
are kept as counts at a fixed grid of thresholds (the :class:`ThresholdCurve`),
so a new choice later is arithmetic on stored numbers: no refit, no data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "DEFAULT_MODE",
    "MODES",
    "ThresholdCurve",
    "choose_operating_point",
    "decision_metrics",
    "describe_choice",
    "detail_at",
    "stats_at",
]

#: mode -> (plain label, what the value means or None)
MODES: dict[str, tuple[str, str | None]] = {
    "balance": ("Balance the two kinds of mistakes", None),
    "recall": ("Catch at least N in 100 of the '{pos}' cases", "N in 100 of the real '{pos}' cases to catch"),
    "top_share": ("Flag the riskiest N % of rows", "N % of rows to flag"),
    "cost": ("Cost the least (uses the project's costs of a false alarm and of a miss)", None),
}
DEFAULT_MODE = "balance"
#: Most thresholds kept on the grid (quantiles of the selection scores).
GRID_POINTS = 256


@dataclass
class ThresholdCurve:
    """Counts of predicted-'yes' rows at each grid threshold, for the selection rows and the holdout.

    ``thresholds`` are increasing; a row is flagged when its probability is >= the threshold.
    """

    thresholds: list[float]
    selection_tp: list[int]
    selection_fp: list[int]
    selection_pos: int
    selection_neg: int
    holdout_tp: list[int]
    holdout_fp: list[int]
    holdout_pos: int
    holdout_neg: int
    selection_source: str

    @classmethod
    def build(cls, sel_y: np.ndarray, sel_p: np.ndarray, ho_y: np.ndarray, ho_p: np.ndarray, source: str) -> ThresholdCurve:
        sel_y, ho_y = np.asarray(sel_y).astype(int), np.asarray(ho_y).astype(int)
        sel_p, ho_p = np.asarray(sel_p, dtype="float64"), np.asarray(ho_p, dtype="float64")
        qs = np.quantile(sel_p, np.linspace(0, 1, GRID_POINTS)) if len(sel_p) else np.array([])
        grid = np.unique(np.round(np.concatenate([qs, [0.5]]), 6))
        grid = grid[(grid > 0) & (grid <= 1)]
        if not len(grid):
            grid = np.array([0.5])

        def counts(y: np.ndarray, p: np.ndarray) -> tuple[list[int], list[int]]:
            pos, neg = np.sort(p[y == 1]), np.sort(p[y == 0])
            tp = len(pos) - np.searchsorted(pos, grid, side="left")
            fp = len(neg) - np.searchsorted(neg, grid, side="left")
            return tp.astype(int).tolist(), fp.astype(int).tolist()

        stp, sfp = counts(sel_y, sel_p)
        htp, hfp = counts(ho_y, ho_p)
        return cls(grid.tolist(), stp, sfp, int(sel_y.sum()), int((sel_y == 0).sum()), htp, hfp, int(ho_y.sum()),
                   int((ho_y == 0).sum()), source)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ThresholdCurve:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__})


def stats_at(tp: int, fp: int, pos: int, neg: int) -> dict[str, Any]:
    """Precision, recall, share flagged and the confusion counts for one threshold."""
    fn, tn = pos - tp, neg - fp
    n = pos + neg
    flagged = tp + fp
    return {
        "tp": int(tp), "fp": int(fp), "fn": int(fn), "tn": int(tn),
        "precision": tp / flagged if flagged else 0.0,
        "recall": tp / pos if pos else 0.0,
        "flagged_share": flagged / n if n else 0.0,
        "accuracy": (tp + tn) / n if n else 0.0,
        "f1": 2 * tp / (2 * tp + fp + fn) if (2 * tp + fp + fn) else 0.0,
        "prevalence": pos / n if n else 0.0,
    }


def decision_metrics(stats: dict[str, Any]) -> dict[str, float]:
    """The threshold-dependent holdout metrics (the names ``training.metrics.evaluate`` uses)."""
    return {"accuracy": float(stats["accuracy"]), "f1": float(stats["f1"])}


def _index(curve: ThresholdCurve, mode: str, value: float | None, cost_fp: float | None, cost_fn: float | None) -> int:
    tp = np.asarray(curve.selection_tp, dtype=float)
    fp = np.asarray(curve.selection_fp, dtype=float)
    pos, neg = curve.selection_pos, curve.selection_neg
    if mode == "balance":
        f1 = np.divide(2 * tp, 2 * tp + fp + (pos - tp), out=np.zeros_like(tp), where=(2 * tp + fp + (pos - tp)) > 0)
        return int(np.flatnonzero(f1 == f1.max())[-1])  # the highest threshold with the best F1 (fewest flags)
    if mode == "recall":
        recall = tp / pos if pos else np.zeros_like(tp)
        ok = np.flatnonzero(recall >= float(value) / 100 - 1e-12)
        return int(ok[-1]) if len(ok) else 0  # the highest threshold that still catches enough
    if mode == "top_share":
        share = (tp + fp) / (pos + neg) if pos + neg else np.zeros_like(tp)
        return int(np.argmin(np.abs(share - float(value) / 100)))
    if mode == "cost":
        cost = float(cost_fp) * fp + float(cost_fn) * (pos - tp)
        return int(np.flatnonzero(cost == cost.min())[-1])
    raise ValueError(mode)


def choose_operating_point(curve: ThresholdCurve, mode: str = DEFAULT_MODE, value: float | None = None, *,
                           cost_fp: float | None = None, cost_fn: float | None = None,
                           positive_class: str = "yes", chosen_by: str | None = None) -> dict[str, Any]:
    """The operating point for a choice: threshold plus its numbers on the selection rows and the holdout.

    Raises ``ValueError`` with a plain message for a choice that cannot be applied (the caller turns it
    into its domain error).
    """
    if mode not in MODES:
        raise ValueError(f"'{mode}' is not a way to choose the cut-off; use one of {', '.join(MODES)}.")
    if mode in ("recall", "top_share"):
        if value is None or not isinstance(value, (int, float)) or not math.isfinite(value) or not 0 < value <= 100:
            raise ValueError("Give a number between 1 and 100 for this choice.")
    else:
        value = None
    if mode == "cost" and (cost_fp is None or cost_fn is None or cost_fp < 0 or cost_fn < 0 or (cost_fp == 0 and cost_fn == 0)):
        raise ValueError("'Cost the least' needs the project's cost of a false alarm and of a miss "
                         "(set them in the project's business inputs).")
    i = _index(curve, mode, value, cost_fp, cost_fn)
    selection = stats_at(curve.selection_tp[i], curve.selection_fp[i], curve.selection_pos, curve.selection_neg)
    holdout = stats_at(curve.holdout_tp[i], curve.holdout_fp[i], curve.holdout_pos, curve.holdout_neg)
    point = {
        "mode": mode,
        "value": value,
        "threshold": float(curve.thresholds[i]),
        "chosen_on": curve.selection_source,
        "selection": selection,
        "holdout": holdout,
        "positive_class": positive_class,
        "costs": {"false_alarm": cost_fp, "miss": cost_fn} if mode == "cost" else None,
        "chosen_by": chosen_by,
    }
    point["sentence"] = describe_choice(point)
    return point


def describe_choice(point: dict[str, Any]) -> str:
    """What the chosen cut-off does, in one sentence, from the holdout numbers (the ones shown beside it)."""
    pos = point.get("positive_class", "yes")
    h = point["holdout"]
    label = MODES[point["mode"]][0].replace("N in 100", f"{point['value']:g} in 100" if point.get("value") else "N in 100")
    label = label.replace("N %", f"{point['value']:g} %" if point.get("value") else "N %").format(pos=pos)
    return (f"{label}: it says '{pos}' when the chance is at least {round(100 * point['threshold'])} in 100. "
            f"On the test rows that flags {round(100 * h['flagged_share'])} in 100 rows, catches "
            f"{round(100 * h['recall'])} in 100 of the real '{pos}' cases, and {round(100 * h['precision'])} in 100 "
            "of the flagged rows really are.")


def detail_at(detail: dict[str, Any] | None, point: dict[str, Any] | None) -> dict[str, Any] | None:
    """A binary performance detail whose confusion matrix and per-class numbers are those at ``point``.

    The evidence job computes the matrix at the cut-off in force when it ran; an analyst may choose
    another before sharing, and every screen must then show the decisions the model makes *now*.
    The counts come from the same train-only fit on the same holdout, so nothing else changes.
    """
    h = (point or {}).get("holdout")
    if not detail or not h or len((detail.get("confusion_matrix") or {}).get("labels") or []) != 2:
        return detail
    tn, fp, fn, tp = h["tn"], h["fp"], h["fn"], h["tp"]
    out = {**detail, "confusion_matrix": {**detail["confusion_matrix"], "matrix": [[tn, fp], [fn, tp]]},
           "operating_point": {k: point[k] for k in ("mode", "value", "threshold") if k in point}}
    neg_p = tn / (tn + fn) if tn + fn else 0.0
    neg_r = tn / (tn + fp) if tn + fp else 0.0
    pos_p, pos_r = h["precision"], h["recall"]
    names = detail["confusion_matrix"]["labels"]
    out["per_class"] = [
        {"class": names[0], "precision": neg_p, "recall": neg_r, "f1": 2 * neg_p * neg_r / (neg_p + neg_r) if neg_p + neg_r else 0.0,
         "support": int(tn + fp)},
        {"class": names[1], "precision": pos_p, "recall": pos_r, "f1": h["f1"], "support": int(tp + fn)},
    ]
    return out
