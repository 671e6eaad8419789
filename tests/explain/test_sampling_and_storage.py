"""The row cap, the views on an explanation, and its Parquet + JSON round trip."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from automl_canvas.errors import ValidationError
from automl_canvas.explain import Explanation, explain


def test_at_most_max_rows_are_explained_with_their_labels(model_cache):
    df, model = model_cache("binary", "lgbm")
    expl = explain(model, df, max_rows=30, seed=1)
    assert expl.n_rows == 30 and expl.n_rows_total == len(df)
    assert set(expl.row_index) <= set(df.index)
    assert expl.row_index == sorted(expl.row_index)  # kept in the frame's order
    assert expl.meta["row_cap"] == 30


def test_the_sample_is_seeded(model_cache):
    df, model = model_cache("binary", "lgbm")
    a = explain(model, df, max_rows=30, seed=1)
    b = explain(model, df, max_rows=30, seed=1)
    c = explain(model, df, max_rows=30, seed=2)
    assert a.row_index == b.row_index
    assert_allclose(a.values, b.values)
    assert a.row_index != c.row_index


def test_fewer_rows_than_the_cap_are_all_explained(model_cache):
    df, model = model_cache("regression", "lgbm")
    expl = explain(model, df.iloc[:12], max_rows=2000)
    assert expl.row_index == list(df.index[:12])


def test_global_importance_dependence_and_row(model_cache):
    df, model = model_cache("multiclass", "lgbm")
    expl = explain(model, df.iloc[:40])

    imp = expl.global_importance()
    assert list(imp.columns) == ["column", "mean_abs_shap"]
    assert sorted(imp["column"]) == sorted(expl.columns)
    assert imp["mean_abs_shap"].is_monotonic_decreasing
    j = expl.columns.index(imp["column"].iloc[0])
    assert imp["mean_abs_shap"].iloc[0] == pytest.approx(np.abs(expl.values[:, j, :]).mean())
    per_class = expl.global_importance("high")
    assert per_class["mean_abs_shap"].iloc[0] == pytest.approx(np.abs(expl.values[:, :, 0]).mean(axis=0).max())

    dep = expl.dependence("age", output="mid")
    assert list(dep.index) == expl.row_index
    assert_allclose(dep["shap_value"], expl.values[:, expl.columns.index("age"), 2])
    assert dep["feature_value"].isna().sum() == df.loc[expl.row_index, "age"].isna().sum()

    row = expl.row(3, output=1)
    assert list(row["column"]) == sorted(expl.columns, key=lambda c: -abs(expl.values[3, expl.columns.index(c), 1]))
    assert row.attrs["output_value"] == pytest.approx(row.attrs["base_value"] + row["contribution"].sum())
    assert row.attrs["row"] == expl.row_index[3] and row.attrs["output"] == "low"


def test_unknown_outputs_columns_and_rows_are_named(model_cache):
    df, model = model_cache("binary", "lgbm")
    expl = explain(model, df.iloc[:5])
    with pytest.raises(ValidationError, match="'maybe'"):
        expl.global_importance("maybe")
    with pytest.raises(ValidationError, match="'height'"):
        expl.dependence("height")
    with pytest.raises(ValidationError, match="out of range"):
        expl.row(5)


@pytest.mark.parametrize("task,learner", [("binary", "xgboost"), ("multiclass", "lrl1"), ("regression", "rf")])
def test_parquet_and_json_round_trip(model_cache, tmp_path, task, learner):
    df, model = model_cache(task, learner)
    expl = explain(model, df, max_rows=25, seed=3)
    values, data, meta = expl.to_frames()
    values.to_parquet(tmp_path / "values.parquet")
    data.to_parquet(tmp_path / "data.parquet")
    (tmp_path / "meta.json").write_text(json.dumps(meta))

    back = Explanation.from_frames(
        pd.read_parquet(tmp_path / "values.parquet"),
        pd.read_parquet(tmp_path / "data.parquet"),
        json.loads((tmp_path / "meta.json").read_text()),
    )
    assert back.columns == expl.columns and back.output_names == expl.output_names
    assert back.row_index == expl.row_index
    assert_allclose(back.values, expl.values, rtol=0, atol=0)
    assert_allclose(back.base_values, expl.base_values, rtol=0, atol=0)
    pd.testing.assert_frame_equal(back.data, expl.data, check_dtype=False, check_index_type=False)
    assert (back.explainer, back.output_space, back.learner, back.task, back.n_rows_total) == (
        expl.explainer, expl.output_space, expl.learner, expl.task, expl.n_rows_total)
    assert back.meta == json.loads(json.dumps(expl.meta))
    pd.testing.assert_frame_equal(back.global_importance(), expl.global_importance())


def test_a_stored_explanation_of_another_format_is_refused(model_cache):
    df, model = model_cache("binary", "lgbm")
    values, data, meta = explain(model, df.iloc[:3]).to_frames()
    with pytest.raises(ValidationError, match="format"):
        Explanation.from_frames(values, data, {**meta, "format_version": 99})
