"""Raw model outputs ("margins") of the fitted learners, and their links to probabilities.

A weighted ensemble adds its members' raw scores, not their probabilities:
log-odds for binary problems, one score per class before the softmax for
multiclass, the prediction itself for regression.  Summing raw scores keeps the
ensemble's explanation exact (its SHAP values are the weighted sum of the
members' SHAP values in that same space), which averaging probabilities would
not.  So only learners with a raw score can be members of a classification
ensemble: the boosted trees (LightGBM, XGBoost, CatBoost, HistGradientBoosting)
and the logistic regression.  Random forests and extra trees average
probabilities and have no raw score; they join regression ensembles only.

This module is the one place that knows how each learner gives its raw score;
explain/library.py reads the same outputs for SHAP.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["MARGIN_LEARNERS", "as_columns", "has_margin", "hgb_raw_scores", "link", "margin_of", "output_of"]

#: Learners with a raw score (classification ensemble members); ``hist_gradient_boosting_default`` included.
MARGIN_LEARNERS = frozenset({"lgbm", "xgboost", "xgb_limitdepth", "catboost", "lrl1", "lrl2", "hist_gradient_boosting_default"})


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


def as_columns(raw: np.ndarray, task: str) -> np.ndarray:
    """(n,) for binary and regression, (n, k) for multiclass."""
    raw = np.asarray(raw, dtype="float64")
    if task == "multiclass":
        return raw if raw.ndim == 2 else raw.reshape(len(raw), -1)
    return raw.reshape(len(raw), -1)[:, -1] if raw.ndim == 2 else raw


def margin_of(task: str, learner: str, estimator: Any, X: pd.DataFrame) -> np.ndarray:
    """The raw score of a fitted single learner on encoded rows: (n,) or (n, k) for multiclass."""
    if task == "regression":
        return np.asarray(estimator.predict(X), dtype="float64")
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
