"""The L1 logistic regression reads standardised columns (training/flaml_learners.py: CanvasLRL1).

FLAML hands scikit-learn's saga solver the columns as they are; on kc1 (counts in the thousands beside
ratios) it stopped at its iteration cap with a model that ranked the test rows backwards (ROC AUC 0.20).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from automl_canvas.training.flaml_learners import CanvasLRL1
from automl_canvas.training.margins import margin_of
from automl_canvas.training.single_model import fit_single_estimator

from ..conftest import shared_dataset


def test_the_linear_learner_ranks_kc1_as_a_standardised_logistic_regression_does():
    df = pd.read_csv(shared_dataset("kc1.csv"))
    y = df.pop("Class").astype(str).str.lower().eq("true").to_numpy("int64")
    order = np.random.default_rng(0).permutation(len(y))
    X, y = df.iloc[order].reset_index(drop=True), y[order]
    est = fit_single_estimator("binary", "lrl1", {"C": 1.0}, 0, 1, X.iloc[:1400], y[:1400])
    assert isinstance(est, CanvasLRL1)
    auc = roc_auc_score(y[1400:], margin_of("binary", "lrl1", est, X.iloc[1400:]))
    assert auc > 0.75, auc  # 0.20 on the raw columns
    # what the solver and the explainers read: every column standardised on the training rows
    M = est.preprocess(X.iloc[:1400])
    assert list(M.columns) == list(X.columns)
    np.testing.assert_allclose(M.mean(axis=0), 0, atol=1e-9)
    np.testing.assert_allclose(M.std(axis=0, ddof=0), 1, atol=1e-9)


def test_a_constant_column_does_not_break_the_standardising():
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"signal": rng.normal(0, 500, 300), "constant": np.full(300, 7.0)})
    y = (X["signal"] > 0).astype("int64").to_numpy()
    est = fit_single_estimator("binary", "lrl1", {"C": 1.0}, 0, 1, X, y)
    assert np.isfinite(est.preprocess(X).to_numpy()).all()
    assert roc_auc_score(y, est.predict_proba(X)[:, 1]) > 0.99
