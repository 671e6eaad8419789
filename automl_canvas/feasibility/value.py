"""What a binary model is worth: its expected value at the cost-minimising operating point.

Why not accuracy at 0.5: with 5 % "bad" loans a model that flags nobody is 95 %
accurate, as accurate as no model, so a project that catches most bad loans
would be "worth 0".  A decision is made at a threshold, and the right threshold
depends on what each mistake costs.

The job stores the *operating curve*: how many held-out positives and negatives
fall in each of :data:`GRID_BINS` probability bins.  That table is all the
arithmetic below needs (the confusion counts at every grid threshold, and a
bootstrap of them: resampling rows is resampling the table's cells), so a
change of costs or volumes re-scores a stored assessment without refitting.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["GRID_BINS", "OperatingValue", "operating_curve", "operating_value"]

#: Probability bins of the stored operating curve: thresholds 0, 0.005, ..., 1.
GRID_BINS = 200
#: Bootstrap resamples of the held-out rows for the interval of the expected value.
VALUE_BOOTSTRAP = 500


def operating_curve(y: np.ndarray, proba: np.ndarray, classes: list[Any]) -> dict[str, Any]:
    """The stored table: held-out positives and negatives per probability bin.

    The *positive* is the rarer outcome (the one a decision usually acts on:
    the bad loan, the leaver); ties go to the second class.
    """
    counts = np.bincount(y, minlength=2)
    pos_index = 0 if counts[0] < counts[1] else 1
    p = proba[:, pos_index]
    bins = np.clip(np.floor(p * GRID_BINS).astype(int), 0, GRID_BINS - 1)
    positive = y == pos_index
    return {
        "bins": GRID_BINS,
        "positive_index": int(pos_index),
        "positive_class": str(classes[pos_index]) if classes else str(pos_index),
        "negative_class": str(classes[1 - pos_index]) if classes else str(1 - pos_index),
        "positive_counts": np.bincount(bins[positive], minlength=GRID_BINS).tolist(),
        "negative_counts": np.bincount(bins[~positive], minlength=GRID_BINS).tolist(),
    }


class OperatingValue(dict):
    """Plain numbers (a dict, JSON-ready): the chosen threshold, its confusion counts and the value per month."""


def _from_top(counts: np.ndarray) -> np.ndarray:
    """counts[..., j:].sum() for j = 0..G (rows at or above threshold j / G); the last one is 0."""
    rev = np.cumsum(counts[..., ::-1], axis=-1)[..., ::-1]
    return np.concatenate([rev, np.zeros(counts.shape[:-1] + (1,))], axis=-1)


def _value_per_decision(tp, fp, fn, tn, n, value_correct: float, cost_fp: float, cost_fn: float):
    return (value_correct * (tp + tn) - cost_fp * fp - cost_fn * fn) / n


def operating_value(curve: dict[str, Any], *, decisions_per_month: float, value_correct: float, cost_fp: float,
                    cost_fn: float, status_quo_accuracy: float | None, n_bootstrap: int = VALUE_BOOTSTRAP,
                    seed: int = 0, level: float = 0.95) -> OperatingValue:
    """Expected value per month of deciding with the model at its best threshold, against the status quo.

    Per decision, a correct decision earns ``value_correct`` and a false
    positive / negative costs ``cost_fp`` / ``cost_fn``.  The threshold is the
    grid point with the highest value per decision.  The status quo is today's
    accuracy when given (its mistakes assumed to fall on both outcomes alike,
    the one assumption this needs), otherwise *no model*: always the most
    common decision.  The interval resamples the held-out rows (a multinomial
    draw of the table's cells) with the threshold held fixed.
    """
    pos = np.asarray(curve["positive_counts"], dtype="float64")
    neg = np.asarray(curve["negative_counts"], dtype="float64")
    n_pos, n_neg = pos.sum(), neg.sum()
    n = n_pos + n_neg

    def evaluate(pos_c: np.ndarray, neg_c: np.ndarray):
        tp, fp = _from_top(pos_c), _from_top(neg_c)
        npos, nneg = pos_c.sum(axis=-1, keepdims=True), neg_c.sum(axis=-1, keepdims=True)
        fn, tn = npos - tp, nneg - fp
        model = _value_per_decision(tp, fp, fn, tn, n, value_correct, cost_fp, cost_fn)
        if status_quo_accuracy is not None:
            a = status_quo_accuracy
            quo = value_correct * a - (1 - a) * (cost_fn * npos + cost_fp * nneg) / n
        else:  # always the majority decision: the positive is the rarer outcome, so "negative"
            quo = (value_correct * nneg - cost_fn * npos) / n
        return model, quo, (tp, fp, fn, tn)

    model, quo, (tp, fp, fn, tn) = evaluate(pos, neg)
    best = model == model.max()
    # among tied thresholds, the middle one (a plateau's edge is the least robust choice)
    tied = np.flatnonzero(best)
    j = int(tied[len(tied) // 2])
    gain = float(model[j] - quo[0]) if np.ndim(quo) else float(model[j] - quo)
    quo_value = float(np.ravel(quo)[0])
    out = OperatingValue(
        threshold=j / curve["bins"], threshold_index=j, positive_class=curve["positive_class"],
        negative_class=curve["negative_class"], n_holdout=int(n),
        tp=int(tp[j]), fp=int(fp[j]), fn=int(fn[j]), tn=int(tn[j]),
        flagged_share=float((tp[j] + fp[j]) / n) if n else 0.0,
        recall=float(tp[j] / n_pos) if n_pos else None,
        precision=float(tp[j] / (tp[j] + fp[j])) if tp[j] + fp[j] else None,
        model_value_per_decision=float(model[j]), status_quo_value_per_decision=quo_value,
        status_quo="today's accuracy" if status_quo_accuracy is not None else "no model",
        value_per_month=decisions_per_month * gain, ci_low=None, ci_high=None, level=level, n_bootstrap=0,
    )
    if n_bootstrap > 0 and n > 0:
        rng = np.random.default_rng(seed)
        cells = np.concatenate([pos, neg]) / n
        draws = rng.multinomial(int(n), cells, size=n_bootstrap).astype("float64")
        bpos, bneg = draws[:, : len(pos)], draws[:, len(pos):]
        bmodel, bquo, _ = evaluate(bpos, bneg)
        gains = decisions_per_month * (bmodel[:, j] - np.ravel(bquo))
        alpha = (1 - level) / 2
        out["ci_low"], out["ci_high"] = (float(q) for q in np.quantile(gains, [alpha, 1 - alpha]))
        out["n_bootstrap"] = int(n_bootstrap)
    return out
