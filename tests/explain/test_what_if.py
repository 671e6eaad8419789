"""What-if: one row typed in by a person, checked field by field, explained fast."""

from __future__ import annotations

import pandas as pd
import pytest
from numpy.testing import assert_allclose

from automl_canvas.errors import ValidationError
from automl_canvas.explain import ModelExplainer, clear_cache, explain, explain_row, model_output, shap_values
from automl_canvas.training.trainer import DEFAULT_LEARNER

from .builders import PERMUTATION_LEARNER

ROW = {"age": 37, "income": "52000", "city": "paris", "plan": "pro", "signup": "2022-03-14"}


def test_a_complete_row_is_explained_and_adds_up(model_cache):
    _, model = model_cache("binary", "lgbm")
    expl = explain_row(model, ROW)
    assert expl.n_rows == 1 and expl.row_index == [0]
    assert_allclose(expl.output_values(), model_output(model, pd.DataFrame([ROW])), atol=1e-4)
    assert expl.data.iloc[0]["city"] == "paris"


def test_missing_fields_are_named(model_cache):
    _, model = model_cache("binary", "lgbm")
    row = {k: v for k, v in ROW.items() if k not in ("plan", "signup")}
    with pytest.raises(ValidationError, match="missing 2 field") as err:
        explain_row(model, row)
    assert "'plan'" in err.value.message and "'signup'" in err.value.message
    assert err.value.details["missing_fields"] == ["plan", "signup"]


def test_unknown_fields_are_named(model_cache):
    _, model = model_cache("binary", "lgbm")
    with pytest.raises(ValidationError, match="'favourite_colour'") as err:
        explain_row(model, {**ROW, "favourite_colour": "blue", "target": "yes"})
    assert err.value.details["unknown_fields"] == ["favourite_colour", "target"]
    assert err.value.details["missing_fields"] == []


def test_missing_and_unknown_fields_in_one_message(model_cache):
    _, model = model_cache("binary", "lgbm")
    row = {k: v for k, v in ROW.items() if k != "age"} | {"agee": 37}
    with pytest.raises(ValidationError) as err:
        explain_row(model, row)
    assert "'age'" in err.value.message and "'agee'" in err.value.message


def test_unreadable_numbers_and_dates_are_named(model_cache):
    _, model = model_cache("binary", "lgbm")
    with pytest.raises(ValidationError, match="'income'.*not a number") as err:
        explain_row(model, {**ROW, "income": "lots"})
    assert err.value.details["invalid_fields"] == ["income"]
    with pytest.raises(ValidationError, match="'signup'.*not a date"):
        explain_row(model, {**ROW, "signup": "someday"})


def test_empty_fields_and_unseen_categories_are_allowed(model_cache):
    _, model = model_cache("binary", "lgbm")
    row = {**ROW, "age": None, "income": "", "city": "marseille"}
    expl = explain_row(model, row)
    assert_allclose(expl.output_values(), model_output(model, pd.DataFrame([row])), atol=1e-4)


def test_only_one_row_at_a_time(model_cache):
    df, model = model_cache("binary", "lgbm")
    with pytest.raises(ValidationError, match="exactly one row"):
        explain_row(model, df.iloc[:2][model.input_columns])
    with pytest.raises(ValidationError, match="mapping"):
        explain_row(model, [37, 52000])


def test_a_one_row_frame_keeps_its_label(model_cache):
    df, model = model_cache("regression", "xgboost")
    expl = explain_row(model, df.loc[[1005], model.input_columns])
    assert expl.row_index == [1005]
    assert_allclose(expl.values, explain(model, df.loc[[1005]]).values)


def test_the_prepared_explainer_is_reused(model_cache):
    _, model = model_cache("multiclass", "lgbm")
    clear_cache()
    explain_row(model, ROW)
    (first,) = shap_values._cache.values()
    explain_row(model, {**ROW, "age": 60})
    assert list(shap_values._cache.values()) == [first]
    clear_cache()
    assert not shap_values._cache


def test_explainers_needing_background_say_so(model_cache):
    df, model = model_cache("binary", "lrl1")
    with pytest.raises(ValueError, match="background"):
        explain_row(model, ROW)
    expl = explain_row(model, ROW, df)
    assert expl.explainer == "linear" and expl.meta["background_rows"] == len(df)
    assert_allclose(expl.output_values(), model_output(model, pd.DataFrame([ROW])), atol=1e-4)


def test_what_if_on_the_default_model_with_categories(model_cache):
    _, model = model_cache("multiclass", DEFAULT_LEARNER)
    expl = explain_row(model, ROW)
    assert expl.explainer == "tree" and expl.meta["tree_copy"] == "lightgbm"
    assert_allclose(expl.output_values(), model_output(model, pd.DataFrame([ROW])), atol=1e-4)


def test_what_if_by_permutation_uses_the_background(model_cache):
    df, model = model_cache("binary", PERMUTATION_LEARNER)
    explainer = ModelExplainer(model, df, seed=0)
    expl = explainer.explain_row(ROW)
    assert expl.explainer == "permutation" and expl.meta["background_rows"] == 100
    assert_allclose(expl.output_values(), model_output(model, pd.DataFrame([ROW])), atol=1e-4)
