"""Every plot is a Figure drawn from stored data, without pyplot."""

from __future__ import annotations

import io
import json
import sys

import pandas as pd
import pytest
from matplotlib.figure import Figure

from automl_canvas.explain import Explanation, explain, plots


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=60)
    return buf.getvalue()


@pytest.fixture(scope="module")
def explanations(model_cache):
    out = {}
    for task, learner in (("binary", "lgbm"), ("multiclass", "rf"), ("regression", "xgboost")):
        df, model = model_cache(task, learner)
        out[task] = explain(model, df, max_rows=40)
    return out


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_every_plot_returns_a_drawable_figure(explanations, task):
    expl = explanations[task]
    figures = [
        plots.importance_bar(expl),
        plots.importance_bar(expl, output=0),
        plots.beeswarm(expl),
        plots.dependence(expl, "age"),  # numbers with missing values
        plots.dependence(expl, "city"),  # categories with missing values
        plots.dependence(expl, "signup"),  # dates
        plots.waterfall(expl, 0),
        plots.waterfall(expl, 1, max_display=3),
    ]
    for fig in figures:
        assert isinstance(fig, Figure)
        assert _png(fig).startswith(b"\x89PNG")


def test_plots_of_one_class_by_name(explanations):
    expl = explanations["multiclass"]
    fig = plots.beeswarm(expl, output="high")
    assert "class high" in fig.axes[0].get_title()
    fig = plots.waterfall(expl, 2, output="mid")
    assert "class mid" in fig.axes[0].get_title()


def test_plots_from_a_loaded_explanation(explanations, tmp_path):
    values, data, meta = explanations["binary"].to_frames()
    values.to_parquet(tmp_path / "v.parquet")
    data.to_parquet(tmp_path / "d.parquet")
    back = Explanation.from_frames(pd.read_parquet(tmp_path / "v.parquet"), pd.read_parquet(tmp_path / "d.parquet"),
                                   json.loads(json.dumps(meta)))
    assert _png(plots.beeswarm(back)).startswith(b"\x89PNG")
    assert _png(plots.dependence(back, "signup")).startswith(b"\x89PNG")


def test_waterfall_ends_at_the_rows_output(explanations):
    expl = explanations["regression"]
    fig = plots.waterfall(expl, 0, max_display=3)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(labels) == 3 and labels[0] == f"{len(expl.columns) - 2} other columns"


def test_plotting_never_uses_pyplot(explanations):
    plots.importance_bar(explanations["binary"])
    pyplot = sys.modules.get("matplotlib.pyplot")
    assert pyplot is None or pyplot.get_fignums() == []
