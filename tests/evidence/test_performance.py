"""Performance detail: numbers checked against scikit-learn on small known cases."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from automl_canvas.evidence.performance import MAX_CURVE_POINTS, MAX_RESIDUAL_POINTS, performance_detail


def test_binary_confusion_curves_and_calibration():
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1, 0, 1])
    p1 = np.array([0.1, 0.2, 0.6, 0.3, 0.8, 0.4, 0.9, 0.7, 0.2, 0.95])
    proba = np.column_stack([1 - p1, p1])
    out = performance_detail("binary", y, proba, (p1 >= 0.5).astype(int), ["no", "yes"])
    # actual rows x predicted columns: 4 true negatives, 1 false positive, 1 false negative, 4 true positives
    assert out["confusion_matrix"]["matrix"] == [[4, 1], [1, 4]]
    assert out["positive_class"] == "yes"
    assert_allclose(out["roc"]["auc"], 0.96)
    assert out["roc"]["fpr"][0] == 0 and out["roc"]["tpr"][-1] == 1
    yes = next(r for r in out["per_class"] if r["class"] == "yes")
    assert_allclose([yes["precision"], yes["recall"]], [0.8, 0.8])
    assert len(out["calibration"]["mean_predicted"]) >= 2


def test_curves_are_thinned_but_keep_their_ends():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 20_000)
    p1 = np.clip(y * 0.3 + rng.random(20_000) * 0.7, 0, 1)
    out = performance_detail("binary", y, np.column_stack([1 - p1, p1]), (p1 > 0.5).astype(int), [0, 1])
    assert len(out["roc"]["fpr"]) <= MAX_CURVE_POINTS
    assert out["roc"]["fpr"][0] == 0 and out["roc"]["fpr"][-1] == 1


def test_multiclass_one_vs_rest_and_regression_residuals():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 300)
    proba = rng.dirichlet([1, 1, 1], 300)
    proba[np.arange(300), y] += 1
    proba /= proba.sum(axis=1, keepdims=True)
    out = performance_detail("multiclass", y, proba, proba.argmax(axis=1), ["a", "b", "c"])
    assert set(out["one_vs_rest"]) == {"a", "b", "c"}
    assert np.asarray(out["confusion_matrix"]["matrix"]).sum() == 300

    actual = rng.normal(100, 10, 5000)
    pred = actual + rng.normal(0, 2, 5000)
    reg = performance_detail("regression", actual, None, pred, [])
    assert len(reg["residuals"]["residual"]) == MAX_RESIDUAL_POINTS
    assert_allclose(reg["residual_summary"]["mean"], (actual - pred).mean())
    assert sum(d["n"] for d in reg["by_predicted_decile"]) == 5000


def test_plots_are_figures_drawn_from_stored_detail():
    from matplotlib.figure import Figure

    from automl_canvas.errors import ValidationError
    from automl_canvas.evidence import plots

    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 400)
    p1 = np.clip(0.35 * y + rng.random(400) * 0.65, 0, 1)
    binary = performance_detail("binary", y, np.column_stack([1 - p1, p1]), (p1 > 0.5).astype(int), ["no", "yes"])
    for fn in (plots.roc_curve, plots.precision_recall_curve, plots.calibration_curve, plots.confusion_matrix):
        fig = fn(binary)
        assert isinstance(fig, Figure) and fig.axes
    lines = plots.roc_curve(binary).axes[0].get_lines()
    assert list(lines[0].get_xdata()) == binary["roc"]["fpr"]
    reg = performance_detail("regression", rng.normal(size=100), None, rng.normal(size=100), [])
    assert isinstance(plots.residuals(reg), Figure)
    with pytest.raises(ValidationError, match="no residuals"):
        plots.residuals(binary)
