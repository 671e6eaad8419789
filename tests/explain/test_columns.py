"""Explanations are per original column: a date's parts and a category's code are one column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from automl_canvas.errors import ValidationError
from automl_canvas.explain import ModelExplainer, explain, model_output

from .builders import PERMUTATION_LEARNER


def test_each_original_column_appears_exactly_once(model_cache):
    df, model = model_cache("binary", "lgbm")
    pre = model.preprocessor
    date_parts = [c for c in pre.output_columns if pre.source[c] == "signup"]
    assert len(date_parts) >= 3  # the date really is several encoded columns

    expl = explain(model, df.iloc[:20])
    assert expl.columns == pre.input_columns
    assert expl.columns.count("signup") == 1 and expl.columns.count("city") == 1
    assert not set(date_parts) & set(expl.columns)
    assert list(expl.data.columns) == expl.columns


def test_date_value_is_the_sum_of_its_parts_as_lightgbm_computes_them(model_cache):
    # LightGBM's own TreeSHAP, per encoded column, is the independent reference.
    df, model = model_cache("binary", "lgbm")
    rows = df.iloc[:20]
    expl = explain(model, rows)
    pre = model.preprocessor
    M = model.estimator.preprocess(model.transform(rows))
    native = model.estimator.model.booster_.predict(M, pred_contrib=True)  # last column: expected value
    per_encoded = pd.DataFrame(native[:, :-1], columns=M.columns)
    for j, col in enumerate(expl.columns):
        parts = [c for c in M.columns if pre.source[c] == col]
        assert_allclose(expl.values[:, j, 0], per_encoded[parts].sum(axis=1), atol=1e-9)
    assert_allclose(expl.base_values[0], native[0, -1], atol=1e-9)


def test_data_holds_the_original_values_of_the_explained_rows(model_cache):
    df, model = model_cache("multiclass", "xgboost")
    expl = explain(model, df, max_rows=15)
    expected = df.loc[expl.row_index, model.input_columns]
    pd.testing.assert_frame_equal(expl.data, expected)
    assert expl.data["signup"].iloc[0] == df.loc[expl.row_index[0], "signup"]  # the date as the analyst wrote it


@pytest.mark.slow  # the permutation explainer takes tens of seconds
def test_permutation_players_are_original_columns(model_cache):
    # A row explained against itself as the only background row changes nothing:
    # every contribution is exactly zero (no date part is ever mixed with another row's).
    df, model = model_cache("regression", PERMUTATION_LEARNER)
    row = df.iloc[[3]]
    expl = explain(model, row, background=row)
    assert expl.explainer == "permutation"
    assert expl.columns.count("signup") == 1
    assert_allclose(expl.values, 0.0, atol=1e-12)
    assert_allclose(expl.base_values, model_output(model, row)[0], atol=1e-9)


def test_permutation_moves_a_date_as_one_column(model_cache):
    # Explained against a background row that differs only in its date, the date
    # is the only player that changes anything: it gets the whole difference and
    # every other column exactly zero.
    df, model = model_cache("regression", PERMUTATION_LEARNER)
    row = df.iloc[[3]]
    other = row.copy()
    other["signup"] = "2020-02-29"
    expl = explain(model, row, background=other)
    j = expl.columns.index("signup")
    assert_allclose(expl.values[0, j, 0], model_output(model, row)[0, 0] - model_output(model, other)[0, 0], atol=1e-9)
    assert_allclose(np.delete(expl.values[0, :, 0], j), 0.0, atol=1e-12)


@pytest.mark.slow  # the permutation explainer takes tens of seconds
def test_permutation_players_are_the_original_columns(model_cache):
    df, model = model_cache("multiclass", PERMUTATION_LEARNER)
    explainer = ModelExplainer(model, df.iloc[:10])
    raw, _ = explainer._permutation(model.transform(df.iloc[:2]))
    assert raw.shape == (2, len(model.input_columns), 3)  # 5 players, not the 8 encoded columns
    assert len(model.preprocessor.output_columns) == 8


def test_rows_missing_a_model_column_are_refused_by_name(model_cache):
    df, model = model_cache("binary", "rf")
    with pytest.raises(ValidationError, match="'plan'"):
        explain(model, df.drop(columns=["plan"]))


def test_extra_columns_in_rows_such_as_the_target_are_ignored(model_cache):
    df, model = model_cache("regression", "rf")
    with_extra = df.assign(notes="free text")
    a = explain(model, with_extra.iloc[:10])
    b = explain(model, df.iloc[:10])
    assert_allclose(a.values, b.values)
    assert "notes" not in a.columns and "target" not in a.columns


def test_empty_rows_are_refused(model_cache):
    df, model = model_cache("binary", "lgbm")
    with pytest.raises(ValidationError, match="no rows"):
        explain(model, df.iloc[:0])


@pytest.mark.parametrize("task", ["binary", "regression"])
def test_missing_values_in_explained_rows_are_fine(model_cache, task):
    df, model = model_cache(task, "xgb_limitdepth")
    rows = df.iloc[:5].copy()
    rows.loc[rows.index[0], ["age", "city", "signup"]] = [np.nan, None, None]
    expl = explain(model, rows)
    assert_allclose(expl.output_values(), model_output(model, rows), atol=1e-4)
