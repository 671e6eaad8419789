"""The drift measures on numbers we can reason about (no model, no database)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from automl_canvas.monitoring.drift import categorical_drift, numeric_drift, psi, to_numeric
from automl_canvas.monitoring.quality import live_quality


def test_psi_by_hand():
    assert psi([50, 50], [50, 50]) == 0.0
    # (0.7 - 0.5) ln(0.7/0.5) + (0.3 - 0.5) ln(0.3/0.5)
    assert psi([50, 50], [70, 30]) == pytest.approx(0.2 * np.log(1.4) - 0.2 * np.log(0.6))
    assert psi([1, 1], [2, 2]) == 0.0  # shares, not counts


def test_same_distribution_is_not_drift_even_with_many_rows():
    rng = np.random.default_rng(0)
    res = numeric_drift(rng.normal(size=20_000), rng.normal(size=100_000)).judge(0.2, 0.01)
    assert res.psi < 0.01 and not res.drifted
    assert res.test == "kolmogorov_smirnov" and len(res.bins) == 11  # ten quantile bins + missing


def test_a_shift_is_drift_and_a_tiny_one_is_not_flagged():
    rng = np.random.default_rng(1)
    ref = rng.normal(size=20_000)
    big = numeric_drift(ref, rng.normal(1.0, 1.0, size=5000)).judge(0.2, 0.01)
    assert big.drifted and big.psi > 0.5 and big.p_value < 1e-10
    # 0.05 sd with 100k rows: the test rejects, but PSI says the move is negligible -> not flagged.
    tiny = numeric_drift(ref, rng.normal(0.05, 1.0, size=100_000)).judge(0.2, 0.01)
    assert tiny.p_value < 0.01 and tiny.psi < 0.05 and not tiny.drifted


def test_a_column_that_arrives_empty_drifts():
    rng = np.random.default_rng(2)
    live = rng.normal(size=1000)
    live[:500] = np.nan
    res = numeric_drift(rng.normal(size=5000), live).judge(0.2, 0.01)
    assert res.drifted and res.bins[-1] == {"bin": "(missing)", "reference": 0.0, "live": 0.5}


def test_categories_new_values_and_missing():
    ref = pd.Series(["a"] * 600 + ["b"] * 400)
    same = categorical_drift(ref, pd.Series(["a"] * 300 + ["b"] * 200)).judge(0.2, 0.01)
    assert same.psi == pytest.approx(0.0) and not same.drifted and same.test == "chi_square"
    moved = categorical_drift(ref, pd.Series(["a"] * 100 + ["b"] * 100 + ["zzz"] * 300)).judge(0.2, 0.01)
    assert moved.drifted
    shares = {b["bin"]: b["live"] for b in moved.bins}
    assert shares["(other)"] == 0.6 and shares["(missing)"] == 0.0


def test_dates_compare_as_times():
    values = to_numeric(pd.Series(["2024-01-01", None, "2024-01-02T00:00:00Z"]), "datetime")
    assert np.isnan(values[1]) and values[2] - values[0] == 86_400


def test_live_quality_flags_a_drop_whichever_way_the_metric_points():
    classes = ["no", "yes"]
    preds = ["yes", "no", "yes", "no"]
    probs = [[0.2, 0.8], [0.9, 0.1], [0.3, 0.7], [0.6, 0.4]]
    good = live_quality("binary", "roc_auc", True, {"roc_auc": 0.9}, classes, preds, probs, ["yes", "no", "yes", "no"], 0.1)
    assert good["live"] == 1.0 and not good["degraded"]
    bad = live_quality("binary", "roc_auc", True, {"roc_auc": 0.9}, classes, preds, probs, ["no", "yes", "no", "yes"], 0.1)
    assert bad["live"] == 0.0 and bad["degraded"] and bad["worse_by_fraction"] == pytest.approx(1.0)
    rmse = live_quality("regression", "rmse", False, {"rmse": 1.0}, [], [1.0, 2.0], [None, None], [1.0, 4.0], 0.1)
    assert rmse["live"] == pytest.approx(np.sqrt(2)) and rmse["degraded"]
    # AUC needs probabilities: pushed records without them are judged on accuracy, against the holdout accuracy.
    no_probs = live_quality("binary", "roc_auc", True, {"roc_auc": 0.9, "accuracy": 0.8}, classes, preds,
                            [None] * 4, ["yes", "no", "yes", "no"], 0.1)
    assert (no_probs["metric"], no_probs["live"], no_probs["holdout"]) == ("accuracy", 1.0, 0.8)
