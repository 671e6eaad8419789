"""How applicable ML is, measured: lift over the naive baseline with a bootstrap
interval, the best simple rule, and a learning curve.

All three are judged on the same untouched holdout rows and in one common unit,
the *normalised lift*: the share of the gap between the naive baseline and a
perfect score that a model closes (AUC 0.5 -> 1, or an error down to 0).  That
unit reads the same for every metric, so one set of thresholds serves binary,
multiclass and regression problems.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from ..training.metrics import MetricInfo, score
from ..training.preprocess import OTHER

__all__ = ["bootstrap_lift", "learning_curve", "normalised_lift", "outputs", "simple_rule"]

Outputs = tuple[np.ndarray | None, np.ndarray]  # (probabilities or None, encoded predictions)


def normalised_lift(metric: MetricInfo, value: float, baseline: float) -> float:
    """Share of the baseline-to-perfect gap closed: 0 = no better than the baseline, 1 = perfect."""
    if not (np.isfinite(value) and np.isfinite(baseline)):
        return float("nan")
    if metric.higher_is_better:  # every such metric here is at most 1 (AUC, accuracy, F1, R²)
        gap = 1.0 - baseline
        return float((value - baseline) / gap) if gap > 1e-12 else 0.0
    return float((baseline - value) / baseline) if baseline > 1e-12 else 0.0


def outputs(task: str, estimator, X: pd.DataFrame) -> Outputs:
    if task == "regression":
        return None, np.asarray(estimator.predict(X), dtype="float64")
    proba = np.asarray(estimator.predict_proba(X), dtype="float64")
    return proba, proba.argmax(axis=1)


def _score(task: str, metric: MetricInfo, y: np.ndarray, out: Outputs) -> float:
    return score(task, metric.name, y, out[0], out[1])


def _take(out: Outputs, idx: np.ndarray) -> Outputs:
    return (None if out[0] is None else out[0][idx], out[1][idx])


def _weighted_auc(groups: np.ndarray, positive: np.ndarray, weights: np.ndarray, n_groups: int) -> float:
    """ROC AUC of scores already reduced to tie groups (ascending), rows weighted by how often a resample drew them."""
    pos = np.bincount(groups, weights=weights * positive, minlength=n_groups)
    neg = np.bincount(groups, weights=weights * (1 - positive), minlength=n_groups)
    below = np.cumsum(neg) - neg
    total = pos.sum() * neg.sum()
    return float((pos * (below + 0.5 * neg)).sum() / total) if total else float("nan")


def _auc_resampler(y: np.ndarray, proba: np.ndarray) -> Callable[[np.ndarray], float]:
    """Fast ROC AUC of a resample (a bootstrap of 1,000 resamples in well under a second)."""
    _, groups = np.unique(proba[:, 1], return_inverse=True)
    n_groups = int(groups.max()) + 1
    positive = (y == 1).astype("float64")
    return lambda idx: _weighted_auc(groups, positive, np.bincount(idx, minlength=len(y)).astype("float64"), n_groups)


def bootstrap_lift(task: str, metric: MetricInfo, y: np.ndarray, model: Outputs, baseline: Outputs, *,
                   n_bootstrap: int, seed: int, level: float = 0.95) -> dict[str, Any]:
    """Model vs baseline on the holdout, with a paired percentile bootstrap over its rows.

    Paired: both are scored on the same resampled rows each time, so the
    interval is about the *difference*, which is what "does ML help" asks.
    """
    m, b = _score(task, metric, y, model), _score(task, metric, y, baseline)
    sign = 1.0 if metric.higher_is_better else -1.0
    rng = np.random.default_rng(seed)
    raw, norm = [], []
    n = len(y)
    fast = metric.name == "roc_auc" and task == "binary"
    if fast:
        auc_model, auc_baseline = _auc_resampler(y, model[0]), _auc_resampler(y, baseline[0])
    for _ in range(n_bootstrap):
        idx = rng.integers(0, n, n)
        yb = y[idx]
        if task != "regression" and len(np.unique(yb)) < 2:
            continue
        try:
            if fast:
                mb, bb = auc_model(idx), auc_baseline(idx)
            else:
                mb, bb = _score(task, metric, yb, _take(model, idx)), _score(task, metric, yb, _take(baseline, idx))
        except ValueError:  # a metric undefined on this resample (a class absent)
            continue
        raw.append(sign * (mb - bb))
        norm.append(normalised_lift(metric, mb, bb))
    alpha = (1 - level) / 2
    out: dict[str, Any] = {
        "metric": metric.name, "metric_label": metric.label, "higher_is_better": metric.higher_is_better,
        "model": m, "baseline": b, "lift": sign * (m - b), "normalised": normalised_lift(metric, m, b),
        "level": level, "n_holdout": int(n), "n_bootstrap": len(norm),
        "ci_low": None, "ci_high": None, "normalised_ci_low": None, "normalised_ci_high": None,
    }
    if len(norm) >= max(20, n_bootstrap // 4):
        out["ci_low"], out["ci_high"] = (float(q) for q in np.nanquantile(raw, [alpha, 1 - alpha]))
        out["normalised_ci_low"], out["normalised_ci_high"] = (float(q) for q in np.nanquantile(norm, [alpha, 1 - alpha]))
    return out


def _order_categories(X: pd.DataFrame, y: np.ndarray, task: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """Categories replaced by their average outcome on the fit rows, so one threshold is a subset split."""
    target = y.astype("float64") if task != "multiclass" else (y == np.bincount(y).argmax()).astype("float64")
    maps: dict[str, pd.Series] = {}
    for col in X.columns:
        if isinstance(X[col].dtype, pd.CategoricalDtype):
            maps[col] = pd.Series(target).groupby(np.asarray(X[col].astype(str))).mean()

    def encode(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        for col, means in maps.items():
            fallback = means.get(OTHER, float(target.mean()))
            out[col] = frame[col].astype(str).map(means).astype("float64").fillna(fallback).to_numpy()
        return out

    encode.maps = maps  # type: ignore[attr-defined]
    return encode


def _describe(tree, columns: list[str], maps: dict[str, pd.Series], depth: int) -> str:
    t = tree.tree_
    if t.node_count <= 1:
        return "one answer for every row (no useful split)"
    used = [columns[f] for f in dict.fromkeys(int(f) for f in t.feature if f >= 0)]
    if depth == 1:
        col, thr = columns[int(t.feature[0])], float(t.threshold[0])
        if col in maps:
            left = [str(k) for k, v in maps[col].items() if v <= thr]
            shown = ", ".join(left[:5]) + (f" and {len(left) - 5} more" if len(left) > 5 else "")
            return f"split `{col}` into {{{shown}}} versus the other values"
        return f"`{col}` at or below {thr:.4g} versus above"
    return "a two-level decision tree on " + ", ".join(f"`{c}`" for c in used)


def simple_rule(task: str, metric: MetricInfo, X_fit: pd.DataFrame, y_fit: np.ndarray, X_ho: pd.DataFrame,
                y_ho: np.ndarray, *, baseline_score: float, seed: int) -> dict[str, Any]:
    """The best single-feature threshold (a one-split tree) and a depth-2 tree, scored on the holdout."""
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    encode = _order_categories(X_fit, y_fit, task)
    A_fit, A_ho = encode(X_fit), encode(X_ho)
    leaf = max(5, len(y_fit) // 200)
    prior = None if task == "regression" else np.bincount(y_fit, minlength=int(y_fit.max()) + 1) / len(y_fit)
    candidates = []
    for depth, kind in ((1, "best single-feature threshold"), (2, "depth-2 decision tree")):
        cls = DecisionTreeRegressor if task == "regression" else DecisionTreeClassifier
        tree = cls(max_depth=depth, min_samples_leaf=leaf, random_state=seed).fit(A_fit, y_fit)
        proba, pred = outputs(task, tree, A_ho)
        if proba is not None:  # a pure leaf would make log loss infinite: shrink towards the class shares
            proba = 0.99 * proba + 0.01 * prior
            pred = proba.argmax(axis=1)
        value = _score(task, metric, y_ho, (proba, pred))
        candidates.append({"kind": kind, "depth": depth, "score": value,
                           "normalised": normalised_lift(metric, value, baseline_score),
                           "description": _describe(tree, list(A_fit.columns), encode.maps, depth)})  # type: ignore[attr-defined]
    best = max(candidates, key=lambda c: -np.inf if not np.isfinite(c["normalised"]) else c["normalised"])
    return {**best, "candidates": candidates}


def learning_curve(task: str, metric: MetricInfo, fit: Callable[[pd.DataFrame, np.ndarray], Any], X_fit: pd.DataFrame,
                   y_fit: np.ndarray, X_ho: pd.DataFrame, y_ho: np.ndarray, *, baseline_score: float,
                   full_score: float, fractions: tuple[float, ...], seed: int,
                   progress: Callable[..., None] = lambda **_: None) -> list[dict[str, Any]]:
    """The chosen configuration refit on growing (stratified, nested-by-seed) shares of the fit rows."""
    points = []
    n = len(y_fit)
    for frac in fractions:
        if frac >= 1:
            value = full_score
            size = n
        else:
            size = round(frac * n)
            if size < 20:
                continue
            strat = None if task == "regression" else y_fit
            try:
                sub, _ = train_test_split(np.arange(n), train_size=size, random_state=seed, stratify=strat)
            except ValueError:  # a class too rare to appear in so few rows
                continue
            if task != "regression" and len(np.unique(y_fit[sub])) < len(np.unique(y_fit)):
                continue
            progress(stage=f"learning curve: {round(100 * frac)}% of the rows")
            est = fit(X_fit.iloc[sub], y_fit[sub])
            try:
                value = _score(task, metric, y_ho, outputs(task, est, X_ho))
            except ValueError:
                continue
        points.append({"fraction": float(frac), "rows": int(size), "score": float(value),
                       "normalised": normalised_lift(metric, value, baseline_score)})
    return points
