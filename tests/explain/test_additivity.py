"""Base value + contributions == the model's own output, for every learner and task.

The output itself is checked against the model's predictions (sigmoid of the
log-odds, softmax of the margins, probabilities, values), so the explanation is
of the delivered model and not of some other function.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from automl_canvas.explain import explain, explainer_kind, model_output
from automl_canvas.explain.library import DEFAULT_LEARNER as LIBRARY_DEFAULT
from automl_canvas.training.trainer import DEFAULT_LEARNER

from .builders import LEARNERS, PERMUTATION_LEARNER, TASKS

KIND = {"lrl1": "linear", PERMUTATION_LEARNER: "permutation", "weighted_ensemble": "ensemble"}
PROBABILITY_LEARNERS = ("rf", "extra_tree", PERMUTATION_LEARNER)
SPACE = {
    ("binary", "margin"): "log_odds",
    ("multiclass", "margin"): "margin",
    ("binary", "probability"): "probability",
    ("multiclass", "probability"): "probability",
}


CASES = [  # the permutation explainer takes tens of seconds: those cases are slow
    pytest.param(t, lrn, id=f"{t}-{lrn}", marks=[pytest.mark.slow] if lrn == PERMUTATION_LEARNER else [])
    for t in TASKS
    for lrn in (*LEARNERS, PERMUTATION_LEARNER)
    if not (lrn == "lrl1" and t == "regression")
]


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _check_output_is_the_models(model, rows, out: np.ndarray, space: str) -> None:
    proba, pred = model.predict_encoded(model.transform(rows))
    if space == "raw":
        assert_allclose(out[:, 0], pred, atol=1e-6)
    elif space == "log_odds":
        assert_allclose(1 / (1 + np.exp(-out[:, 0])), proba[:, 1], atol=1e-6)
    elif space == "margin":
        assert_allclose(_softmax(out), proba, atol=1e-6)
    else:
        expected = proba[:, 1:] if model.task == "binary" else proba
        assert_allclose(out, expected, atol=1e-6)


@pytest.mark.parametrize("task,learner", CASES)
def test_values_add_up_to_the_model_output(model_cache, task, learner):
    df, model = model_cache(task, learner)
    rows = df.iloc[:24]
    expl = explain(model, rows, background=df.iloc[::8])

    n_outputs = 3 if task == "multiclass" else 1
    assert expl.values.shape == (24, len(model.input_columns), n_outputs)
    assert expl.explainer == KIND.get(learner, "tree") == explainer_kind(model)
    probability = learner in PROBABILITY_LEARNERS
    expected_space = "raw" if task == "regression" else SPACE[(task, "probability" if probability else "margin")]
    assert expl.output_space == expected_space

    out = model_output(model, rows.loc[expl.row_index])
    assert out.shape == (24, n_outputs)
    assert_allclose(expl.output_values(), out, atol=1e-4, rtol=0)
    _check_output_is_the_models(model, rows.loc[expl.row_index], out, expected_space)
    assert np.abs(expl.values).sum() > 0  # a real explanation, not zeros


@pytest.mark.parametrize("task", TASKS)
def test_default_model_on_numbers_only_uses_exact_tree_shap(model_cache, task):
    # shap reads HistGradientBoosting trees correctly when no split is categorical.
    df, model = model_cache(task, DEFAULT_LEARNER, numeric_only=True)
    expl = explain(model, df.iloc[:30])
    assert expl.explainer == "tree"
    assert_allclose(expl.output_values(), model_output(model, df.iloc[:30]), atol=1e-4, rtol=0)


def test_binary_outputs_explain_the_positive_class(model_cache):
    df, model = model_cache("binary", "rf")
    expl = explain(model, df.iloc[:10])
    assert expl.output_names == [model.classes[1]] == ["yes"]


def test_default_model_with_categories_is_explained_through_its_lightgbm_copy(model_cache):
    df, model = model_cache("binary", DEFAULT_LEARNER)
    expl = explain(model, df.iloc[:5])
    assert expl.explainer == "tree" and expl.meta["tree_copy"] == "lightgbm"
    assert "LightGBM copy" in expl.meta["reason"]


def test_default_learner_name_matches_training():
    assert LIBRARY_DEFAULT == DEFAULT_LEARNER
