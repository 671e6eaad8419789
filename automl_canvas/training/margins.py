"""Raw model outputs ("margins") of the fitted learners, and their links to probabilities.

A weighted ensemble adds its members' raw scores, not their probabilities:
log-odds for binary problems, one score per class before the softmax for
multiclass, the prediction itself for regression.  Summing raw scores keeps the
ensemble's explanation exact (its SHAP values are the weighted sum of the
members' SHAP values in that same space), which averaging probabilities would
not.  So only learners with a raw score can be members of a classification
ensemble: the boosted trees (LightGBM, XGBoost, CatBoost, HistGradientBoosting)
and the logistic regression.  Random forests and extra trees average
probabilities and have no raw score.  They join regression ensembles as they
are, and *binary* ensembles through Platt scaling: the member's raw score is
``a + b * p``, a straight line of its positive-class probability ``p`` fitted to
the out-of-fold labels by logistic regression (Platt, 1999; the usual way to
give a probability-averaging model a log-odds).  Being linear in ``p``, it keeps
the explanation exact: the member's SHAP values in log-odds are ``b`` times its
exact TreeSHAP values in probability.  The pair ``(a, b)`` is recorded in the
ensemble's recipe (``"platt"``), so a refit reproduces the same ensemble.
Multiclass ensembles leave forests out (one line per class would not share a
softmax as simply).

This module is the one place that knows how each learner gives its raw score;
explain/library.py reads the same outputs for SHAP.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["MARGIN_LEARNERS", "SCALED_LEARNERS", "as_columns", "can_join", "has_margin", "hgb_raw_scores", "link",
           "margin_of", "needs_scale", "output_of", "platt_scale", "scaled"]

#: Learners with a raw score (classification ensemble members); ``hist_gradient_boosting_default`` included.
MARGIN_LEARNERS = frozenset({"lgbm", "xgboost", "xgb_limitdepth", "catboost", "lrl1", "lrl2", "hist_gradient_boosting_default"})
#: Probability-averaging learners that join a binary ensemble through Platt scaling (exact TreeSHAP in probability).
SCALED_LEARNERS = frozenset({"rf", "extra_tree"})


def hgb_raw_scores(est: Any, X_encoded: pd.DataFrame) -> np.ndarray:
    """A HistGradientBoosting model's own raw scores, (n_rows, n_trees_per_iteration), on one thread.

    One thread on purpose: these are small batches (often one what-if row), and
    scikit-learn's default team of OpenMP threads was measured at over a second
    per single-row call on a busy 2-core machine, against milliseconds alone.
    """
    return np.asarray(est._raw_predict(X_encoded, n_threads=1), dtype="float64")


def has_margin(task: str, learner: str) -> bool:
    """Whether ``learner`` can join an ensemble for ``task`` (regression: every learner)."""
    return task == "regression" or learner in MARGIN_LEARNERS


def needs_scale(task: str, learner: str) -> bool:
    """Whether ``learner`` joins a ``task`` ensemble only through a recorded Platt line (binary forests)."""
    return task == "binary" and learner in SCALED_LEARNERS


def can_join(task: str, learner: str) -> bool:
    """Whether ``learner`` can be a member of a cross-validated ensemble for ``task`` (with a Platt line if needed)."""
    return has_margin(task, learner) or needs_scale(task, learner)


def platt_scale(p: np.ndarray, y: np.ndarray, iterations: int = 100) -> tuple[float, float]:
    """The line ``a + b * p`` whose sigmoid fits the labels ``y`` (0/1) best: Platt's logistic fit.

    Platt's own smoothed targets ((positives + 1) / (positives + 2) for a
    positive, 1 / (negatives + 2) for a negative) keep the fit finite when the
    out-of-fold probabilities happen to separate the classes; Newton's method
    on two parameters converges in a handful of steps and needs no library.
    """
    p = np.asarray(p, dtype="float64").reshape(-1)
    y = np.asarray(y).reshape(-1)
    pos = float((y == 1).sum())
    neg = float(len(y) - pos)
    t = np.where(y == 1, (pos + 1.0) / (pos + 2.0), 1.0 / (neg + 2.0))
    X = np.column_stack([np.ones_like(p), p])
    w = np.array([np.log((pos + 1.0) / (neg + 1.0)), 0.0])
    for _ in range(iterations):
        q = 1.0 / (1.0 + np.exp(-np.clip(X @ w, -700, 700)))
        grad = X.T @ (q - t)
        hess = X.T @ (X * (q * (1.0 - q))[:, None]) + 1e-9 * np.eye(2)
        step = np.linalg.solve(hess, grad)
        w = w - step
        if float(np.abs(step).max()) < 1e-10:
            break
    return float(w[0]), float(w[1])


def scaled(p: np.ndarray, scale: tuple[float, float]) -> np.ndarray:
    """A Platt line applied to positive-class probabilities: the member's raw score (log-odds)."""
    a, b = scale
    return float(a) + float(b) * np.asarray(p, dtype="float64")


def as_columns(raw: np.ndarray, task: str) -> np.ndarray:
    """(n,) for binary and regression, (n, k) for multiclass."""
    raw = np.asarray(raw, dtype="float64")
    if task == "multiclass":
        return raw if raw.ndim == 2 else raw.reshape(len(raw), -1)
    return raw.reshape(len(raw), -1)[:, -1] if raw.ndim == 2 else raw


def margin_of(task: str, learner: str, estimator: Any, X: pd.DataFrame,
              scale: tuple[float, float] | None = None) -> np.ndarray:
    """The raw score of a fitted single learner on encoded rows: (n,) or (n, k) for multiclass.

    ``scale``: the recorded Platt line of a binary forest member (required for one, ignored otherwise).
    """
    if task == "regression":
        return np.asarray(estimator.predict(X), dtype="float64")
    if needs_scale(task, learner):
        if scale is None:
            raise ValueError(f"learner '{learner}' joins a binary ensemble only with its recorded Platt line")
        return scaled(np.asarray(estimator.predict_proba(X), dtype="float64")[:, -1], scale)
    if learner == "hist_gradient_boosting_default":
        return as_columns(hgb_raw_scores(estimator, X), task)
    if learner not in MARGIN_LEARNERS:
        raise ValueError(f"learner '{learner}' has no raw score (it averages probabilities)")
    lib, M = estimator.model, estimator.preprocess(X)
    if learner == "lgbm":
        raw = lib.predict(M, raw_score=True)
    elif learner in ("xgboost", "xgb_limitdepth"):
        raw = lib.predict(M, output_margin=True)
    elif learner == "catboost":
        raw = lib.predict(M, prediction_type="RawFormulaVal")
    else:  # logistic regression
        raw = lib.decision_function(M)
    return as_columns(raw, task)


def link(task: str, margin: np.ndarray) -> np.ndarray:
    """Raw scores to what the model answers: (n, 2) or (n, k) probabilities, or the regression value."""
    margin = np.asarray(margin, dtype="float64")
    if task == "regression":
        return margin
    if task == "binary":
        p = 1.0 / (1.0 + np.exp(-np.clip(margin, -700, 700)))
        return np.column_stack([1.0 - p, p])
    z = margin - margin.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def output_of(task: str, learner: str, estimator: Any, X: pd.DataFrame) -> np.ndarray:
    """What out-of-fold evidence keeps of a candidate: its raw score where it has one, else its probabilities.

    For a learner without a raw score, the positive class probability (binary)
    or the probability matrix (multiclass) is kept; such a candidate can be the
    delivered single model but not an ensemble member.
    """
    if has_margin(task, learner):
        return margin_of(task, learner, estimator, X)
    proba = np.asarray(estimator.predict_proba(X), dtype="float64")
    return proba[:, -1] if task == "binary" else proba
