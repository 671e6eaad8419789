"""The default model's categorical trees, copied into LightGBM, give the true TreeSHAP values.

The reference is a brute-force computation from the definition on
scikit-learn's own trees (``reference.py``), so this checks the copy's
structure, categorical bitsets, unknown-category routing, covers and baseline
independently of the copy, of LightGBM and of shap.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

from automl_canvas.explain import ModelExplainer, explain, model_output
from automl_canvas.explain.hgb_trees import HGBAsLightGBM
from automl_canvas.training.pipeline import CanvasModel
from automl_canvas.training.trainer import DEFAULT_LEARNER

from .builders import fit_model, make_frame
from .reference import hgb_tree_shap


def _small_default_model(task: str, seed: int = 0):
    """The default model's estimator with few, shallow trees (the reference is exponential)."""
    df = make_frame(task, n=200, seed=seed)
    base = fit_model(df, task, "lgbm")  # only for its fitted preprocessor and classes
    X = base.preprocessor.transform(df)
    y = df["target"].to_numpy(dtype="float64") if task == "regression" else df["target"].map(
        {c: i for i, c in enumerate(base.classes)}).to_numpy()
    cls = HistGradientBoostingRegressor if task == "regression" else HistGradientBoostingClassifier
    est = cls(max_iter=6, max_leaf_nodes=6, categorical_features="from_dtype", random_state=seed).fit(X, y)
    model = CanvasModel(task=task, target="target", learner=DEFAULT_LEARNER, preprocessor=base.preprocessor,
                        estimator=est, classes=base.classes)
    return df, model


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_values_match_a_brute_force_reference(task):
    df, model = _small_default_model(task)
    rows = df.iloc[:3].copy()
    rows.loc[rows.index[0], "city"] = "marseille"  # unseen: __other__, unknown to the trees
    rows.loc[rows.index[1], ["city", "age"]] = [None, np.nan]
    expl = explain(model, rows)
    assert expl.explainer == "tree" and expl.meta["tree_copy"] == "lightgbm"

    X = model.transform(rows)
    phi, base = hgb_tree_shap(model.estimator, X)
    # scikit-learn's matrix lists the categorical columns first: map its columns to original ones
    pre = model.preprocessor
    cats = [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]
    order = cats + [c for c in X.columns if c not in cats]
    expected = np.zeros_like(expl.values)
    for j, col in enumerate(expl.columns):
        for e, name in enumerate(order):
            if pre.source[name] == col:
                expected[:, j, :] += phi[:, e, :] if task == "multiclass" else phi[:, e, :1]
    assert np.abs(expected).sum() > 0
    assert_allclose(expl.values, expected, atol=1e-9)
    assert_allclose(expl.base_values, base if task == "multiclass" else base[:1], atol=1e-9)


def test_the_copy_predicts_exactly_like_the_model_on_new_categories():
    df, model = _small_default_model("multiclass", seed=1)
    rows = df.assign(city=np.where(np.arange(len(df)) % 3 == 0, "marseille", df["city"]))
    X = model.transform(rows)
    copy = HGBAsLightGBM(model.estimator, list(X.columns))
    ours = copy.raw_output(copy.matrix(X))
    assert np.array_equal(ours, model.estimator.decision_function(X))


def test_a_copy_that_does_not_match_falls_back_to_permutation(model_cache):
    # Stand in for a future scikit-learn whose internals the copy misreads: give the
    # explainer the copy of a *different* real model; the per-row check must catch it.
    df, model = model_cache("binary", DEFAULT_LEARNER)
    other = fit_model(make_frame("binary", seed=7), "binary", DEFAULT_LEARNER)
    explainer = ModelExplainer(model, df.iloc[::8])
    explainer._hgb = HGBAsLightGBM(other.estimator, list(other.preprocessor.output_columns))
    expl = explainer.explain(df.iloc[:6])
    assert expl.explainer == "permutation"
    assert "differs from the model" in expl.meta["reason"]
    assert_allclose(expl.output_values(), model_output(model, df.iloc[:6]), atol=1e-4)


def test_without_background_a_mismatch_is_an_error_not_a_wrong_answer(model_cache):
    df, model = model_cache("regression", DEFAULT_LEARNER)
    other = fit_model(make_frame("regression", seed=7), "regression", DEFAULT_LEARNER)
    explainer = ModelExplainer(model)
    explainer._hgb = HGBAsLightGBM(other.estimator, list(other.preprocessor.output_columns))
    with pytest.raises(ValueError, match="background"):
        explainer.explain(df.iloc[:3])
