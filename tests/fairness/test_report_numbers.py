"""Fairness numbers against a hand-computed 10-row case, fairlearn itself, and the vectorised counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import demographic_parity_difference, demographic_parity_ratio, equalized_odds_difference
from numpy.testing import assert_allclose

from automl_canvas.fairness import fairness_report
from automl_canvas.fairness.bootstrap import cell_keys, metrics_from_table, point_table

# 10 applicants. women: TP TP FN FP TN -> 3 predicted yes of 5; men: TP FN TN TN TN -> 1 of 5.
GENDER = ["woman"] * 5 + ["man"] * 5
Y_TRUE = ["yes", "yes", "yes", "no", "no", "yes", "yes", "no", "no", "no"]
Y_PRED = ["yes", "yes", "no", "yes", "no", "yes", "no", "no", "no", "no"]


@pytest.fixture(scope="module")
def ten_rows():
    return fairness_report("binary", Y_TRUE, Y_PRED, pd.DataFrame({"gender": GENDER}), min_group_size=1, n_bootstrap=50)


def test_per_group_metrics_match_hand_computation(ten_rows):
    expected = {  # count, selection rate, accuracy, TPR, FPR, precision, base rate
        "woman": (5, 3 / 5, 3 / 5, 2 / 3, 1 / 2, 2 / 3, 3 / 5),
        "man": (5, 1 / 5, 4 / 5, 1 / 2, 0 / 3, 1 / 1, 2 / 5),
    }
    names = ("count", "selection_rate", "accuracy", "tpr", "fpr", "precision", "base_rate")
    for group, values in expected.items():
        got = [ten_rows.metric("gender", group, m).value for m in names]
        assert_allclose(got, values, rtol=0, atol=1e-12, err_msg=group)
    overall = {m.metric: m.value for m in ten_rows.overall}
    assert_allclose([overall["selection_rate"], overall["accuracy"], overall["tpr"], overall["fpr"]], [0.4, 0.7, 3 / 5, 1 / 5])


def test_disparities_match_hand_computation_and_fairlearn(ten_rows):
    d = {x.measure: x for x in ten_rows.disparities}
    # DP: 3/5 - 1/5; ratio 1/3; EO: max(TPR gap 2/3-1/2, FPR gap 1/2-0) = 1/2
    assert_allclose(d["demographic_parity_difference"].value, 0.4, atol=1e-12)
    assert_allclose(d["demographic_parity_ratio"].value, 1 / 3, atol=1e-12)
    assert_allclose(d["tpr_difference"].value, 1 / 6, atol=1e-12)
    assert_allclose(d["fpr_difference"].value, 1 / 2, atol=1e-12)
    assert_allclose(d["equalized_odds_difference"].value, 1 / 2, atol=1e-12)
    assert_allclose(d["base_rate_ratio"].value, 2 / 3, atol=1e-12)
    # the reference implementation agrees
    yt = np.array(Y_TRUE) == "yes"
    yp = np.array(Y_PRED) == "yes"
    assert_allclose(d["demographic_parity_difference"].value, demographic_parity_difference(yt, yp, sensitive_features=GENDER))
    assert_allclose(d["demographic_parity_ratio"].value, demographic_parity_ratio(yt, yp, sensitive_features=GENDER))
    assert_allclose(d["equalized_odds_difference"].value, equalized_odds_difference(yt, yp, sensitive_features=GENDER))
    # the four-fifths rule flag and the groups at each extreme
    ratio = d["demographic_parity_ratio"]
    assert ratio.flagged and ratio.threshold == 0.8
    assert (ratio.low_group, ratio.high_group) == ("man", "woman")
    eo = d["equalized_odds_difference"]  # driven by the FPR gap: woman 1/2, man 0
    assert eo.flagged and (eo.low_group, eo.high_group) == ("man", "woman")
    assert_allclose([eo.low_value, eo.high_value], [0.0, 0.5])


def test_findings_say_it_in_words(ten_rows):
    text = " ".join(f.message for f in ten_rows.findings)
    assert "Rate of predicted 'yes' for gender = man is 0.33× that of gender = woman (0.20 vs 0.60" in text
    assert "four-fifths rule fails" in text
    assert "False-positive rate" in text and "equalized-odds gap of 0.50" in text
    parity = next(f for f in ten_rows.findings if f.measure == "demographic_parity_ratio")
    assert parity.severity in ("warning", "high") and parity.numbers["low_group"] == "man"
    assert_allclose(parity.numbers["ratio"], 1 / 3)


def test_positive_label_and_classes_are_respected():
    r = fairness_report("binary", Y_TRUE, Y_PRED, pd.DataFrame({"gender": GENDER}), positive_label="no",
                        min_group_size=1, n_bootstrap=0)
    assert r.positive_label == "no"
    assert_allclose(r.metric("gender", "woman", "selection_rate").value, 2 / 5)
    assert np.isnan(r.metric("gender", "woman", "selection_rate").ci_low)  # no bootstrap, no interval


def test_undefined_rates_are_nan_not_zero():
    # group 'c' has no actual positives: its TPR is undefined (fairlearn says 0), so it cannot drive a disparity
    r = fairness_report("binary", [1, 0, 1, 0, 0, 0], [1, 0, 0, 0, 1, 0], pd.DataFrame({"g": list("aabccc")}),
                        min_group_size=1, n_bootstrap=0)
    assert np.isnan(r.metric("g", "c", "tpr").value)
    assert_allclose(r.metric("g", "c", "fpr").value, 1 / 3)
    assert_allclose(r.metric("g", "a", "precision").value, 1.0)
    assert_allclose(r.disparity("g", "tpr_difference").value, 1.0)  # a: 1, b: 0; c left out


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_vectorised_counts_agree_with_metricframe(task):
    """The bootstrap's count arithmetic must reproduce fairlearn's point estimates exactly."""
    rng = np.random.default_rng(3)
    n = 700
    groups = pd.DataFrame({"g": rng.choice(["p", "q", "r", None], n), "h": rng.choice(["u", "v"], n)})
    if task == "regression":
        yt = rng.normal(size=n)
        yp = yt + rng.normal(size=n)
    else:
        labels = ["x", "y"] if task == "binary" else ["x", "y", "z"]
        yt = rng.choice(labels, n)
        yp = np.where(rng.random(n) < 0.6, yt, rng.choice(labels, n))
    r = fairness_report(task, yt, yp, groups, n_bootstrap=0, min_group_size=1)
    from automl_canvas.fairness.groups import encode_sensitive

    for feature in encode_sensitive(groups):
        if task == "regression":
            codes_yt, codes_yp, k = None, None, 1
            table = point_table(feature.codes, feature.n_groups, 1, np.column_stack([np.abs(yp - yt), (yp - yt) ** 2, yp, yt]))
        else:
            classes = sorted(set(yt) | set(yp))
            codes_yt = pd.Index(classes).get_indexer(yt)
            codes_yp = pd.Index(classes).get_indexer(yp)
            k = len(classes)
            if task == "binary":
                codes_yt, codes_yp = (codes_yt == 1).astype(int), (codes_yp == 1).astype(int)
            keys, cells = cell_keys(task, feature.codes, codes_yt, codes_yp, k)
            table = point_table(keys, feature.n_groups, cells, None)
        counted = metrics_from_table(task, table, k)
        for metric, values in counted.items():
            for g, label in enumerate(feature.labels):
                if values.ndim == 2:
                    got = [r.metric(feature.name, label, metric, str(c)).value for c in classes]
                    assert_allclose(got, values[g], rtol=1e-12, atol=1e-12, err_msg=f"{feature.name}={label} {metric}")
                else:
                    assert_allclose(r.metric(feature.name, label, metric).value, values[g], rtol=1e-12, atol=1e-12,
                                    err_msg=f"{feature.name}={label} {metric}")


def test_regression_report():
    rng = np.random.default_rng(5)
    n = 600
    g = rng.choice(["a", "b"], n)
    yt = rng.normal(100, 10, n)
    yp = yt + rng.normal(0, 1, n) * np.where(g == "a", 3, 1)
    r = fairness_report("regression", yt, yp, pd.DataFrame({"g": g}), n_bootstrap=100)
    a, b = (g == "a"), (g == "b")
    assert_allclose(r.metric("g", "a", "mae").value, np.mean(np.abs(yp - yt)[a]))
    assert_allclose(r.metric("g", "b", "rmse").value, np.sqrt(np.mean(((yp - yt) ** 2)[b])))
    assert_allclose(r.metric("g", "a", "mean_prediction").value, yp[a].mean())
    assert_allclose(r.metric("g", "b", "mean_actual").value, yt[b].mean())
    gap = r.disparity("g", "mae_ratio")
    assert gap.flagged and gap.high_group == "a" and 2.5 < gap.value < 3.5 and gap.ci_low <= gap.value <= gap.ci_high
    assert any("Mean absolute error for g = a" in f.message for f in r.findings)


def test_multiclass_metrics_are_one_vs_rest():
    yt = ["x", "y", "z", "x", "y", "z", "x", "x"]
    yp = ["x", "y", "x", "x", "z", "z", "y", "x"]
    g = ["a", "a", "a", "a", "b", "b", "b", "b"]
    r = fairness_report("multiclass", yt, yp, pd.DataFrame({"g": g}), min_group_size=1, n_bootstrap=0)
    # group a: predicted x 3 of 4; actual x rows 0,3 both predicted x -> TPR 1; FPR for x: row 2 (z->x) of 2 non-x
    assert_allclose(r.metric("g", "a", "selection_rate", "x").value, 3 / 4)
    assert_allclose(r.metric("g", "a", "tpr", "x").value, 1.0)
    assert_allclose(r.metric("g", "a", "fpr", "x").value, 1 / 2)
    assert_allclose(r.metric("g", "b", "accuracy").value, 2 / 4)
    assert {d.label for d in r.disparities} == {"x", "y", "z"}
    assert_allclose(r.disparity("g", "demographic_parity_difference", "x").value, 3 / 4 - 1 / 4)
