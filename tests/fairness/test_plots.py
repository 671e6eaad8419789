"""Plots are drawn from the stored report data and come back as matplotlib Figures."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from automl_canvas.fairness import FairnessReport, fairness_report, plot_disparities, plot_group_metric, with_favourable


@pytest.fixture(scope="module")
def report():
    rng = np.random.default_rng(0)
    n = 600
    sens = pd.DataFrame({"gender": rng.choice(["female", "male", "x"], n, p=[0.48, 0.48, 0.04]), "age": rng.integers(20, 70, n)})
    yt = rng.choice(["no", "yes"], n)
    yp = np.where(rng.random(n) < 0.7, yt, "no")
    return FairnessReport.from_dict(fairness_report("binary", yt, yp, sens, n_bootstrap=50).to_dict())


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def test_group_metric_bars_with_intervals(report):
    fig = plot_group_metric(report, "selection_rate")
    assert isinstance(fig, Figure) and len(fig.axes) == len(report.features)
    assert _png(fig).startswith(b"\x89PNG")
    one = plot_group_metric(report, "fpr", features=["gender"])
    labels = [t.get_text() for t in one.axes[0].get_yticklabels()]
    assert any(lab.startswith("x (n=") for lab in labels)
    with pytest.raises(KeyError, match="no metric 'auc'"):
        plot_group_metric(report, "auc")


def test_disparity_summary(report):
    # rule changed (issue 15): with no favourable outcome declared, the four-fifths panel is drawn for both answers
    fig = plot_disparities(report)
    assert isinstance(fig, Figure) and len(fig.axes) == 4
    assert [ax.get_title() for ax in fig.axes][2:] == ["Rate ratio of 'yes' (four-fifths rule)", "Rate ratio of 'no' (four-fifths rule)"]
    assert _png(fig).startswith(b"\x89PNG")
    declared = plot_disparities(with_favourable(report, "no"))
    assert [ax.get_title() for ax in declared.axes][2:] == ["Rate ratio of 'no' (four-fifths rule)"]


def test_regression_disparity_summary():
    rng = np.random.default_rng(1)
    yt = rng.normal(size=300)
    r = fairness_report("regression", yt, yt + rng.normal(size=300), pd.DataFrame({"g": rng.choice(["a", "b"], 300)}), n_bootstrap=20)
    assert len(plot_disparities(r).axes) == 3  # MAE ratio, bias gap (issue 15), mean prediction gap
    assert isinstance(plot_group_metric(r, "bias"), Figure)
    assert isinstance(plot_group_metric(r, "mae"), Figure)
