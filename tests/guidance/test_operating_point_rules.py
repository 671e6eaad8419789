"""The operating-point and grade rules on constructed numbers where the right answer is known (no training)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from automl_canvas.registry.grade import TOO_GOOD, grade_version
from automl_canvas.registry.plain_language import mistakes_in_words, product_decisions_in_words
from automl_canvas.training.operating_point import ThresholdCurve, choose_operating_point, stats_at


def _scores(n: int, rate: float, seed: int, separation: float = 1.5):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < rate).astype(int)
    logit = separation * (2 * y - 1) + rng.normal(0, 1.5, n) - 1.5
    return y, 1 / (1 + np.exp(-logit))


@pytest.fixture(scope="module")
def curve():
    sel_y, sel_p = _scores(4000, 0.16, 1)
    ho_y, ho_p = _scores(4000, 0.16, 2)
    return ThresholdCurve.build(sel_y, sel_p, ho_y, ho_p, "out-of-fold predictions")


def test_counts_match_a_direct_count(curve):
    ho_y, ho_p = _scores(4000, 0.16, 2)
    for i in (0, 40, 128, len(curve.thresholds) - 1):
        t = curve.thresholds[i]
        assert curve.holdout_tp[i] == int(((ho_p >= t) & (ho_y == 1)).sum())
        assert curve.holdout_fp[i] == int(((ho_p >= t) & (ho_y == 0)).sum())


def test_catch_at_least_n_in_100_is_the_highest_cut_off_that_does(curve):
    p = choose_operating_point(curve, "recall", 60, positive_class="Yes")
    assert p["selection"]["recall"] >= 0.60
    i = curve.thresholds.index(p["threshold"])
    # one step higher would catch fewer than 60 in 100
    assert i == len(curve.thresholds) - 1 or curve.selection_tp[i + 1] / curve.selection_pos < 0.60
    # the holdout (never used to choose) lands near the target: the same population, so within
    # three standard errors of the difference of two independent recall estimates
    se = (2 * 0.6 * 0.4 / curve.holdout_pos) ** 0.5
    assert abs(p["holdout"]["recall"] - p["selection"]["recall"]) < 3 * se
    assert "catches" in p["sentence"] and "'Yes'" in p["sentence"] and "60 in 100" in p["sentence"]


def test_flag_the_riskiest_share(curve):
    p = choose_operating_point(curve, "top_share", 10)
    assert abs(p["selection"]["flagged_share"] - 0.10) < 0.01


def test_balance_maximises_f1_and_beats_one_half_on_imbalanced_data(curve):
    p = choose_operating_point(curve)
    f1 = [stats_at(tp, fp, curve.selection_pos, curve.selection_neg)["f1"]
          for tp, fp in zip(curve.selection_tp, curve.selection_fp)]
    assert p["selection"]["f1"] == pytest.approx(max(f1))
    at_half = curve.thresholds.index(0.5)
    assert p["selection"]["recall"] > curve.selection_tp[at_half] / curve.selection_pos


def test_cost_choice_follows_the_costs(curve):
    cheap_misses = choose_operating_point(curve, "cost", cost_fp=10, cost_fn=1)
    dear_misses = choose_operating_point(curve, "cost", cost_fp=1, cost_fn=10)
    assert dear_misses["threshold"] < cheap_misses["threshold"]
    assert dear_misses["holdout"]["recall"] > cheap_misses["holdout"]["recall"]


@pytest.mark.parametrize("mode, value, kw, message", [
    ("recall", None, {}, "between 1 and 100"),
    ("recall", 140, {}, "between 1 and 100"),
    ("top_share", 0, {}, "between 1 and 100"),
    ("cost", None, {}, "business inputs"),
    ("magic", None, {}, "not a way to choose"),
])
def test_bad_choices_are_named(curve, mode, value, kw, message):
    with pytest.raises(ValueError, match=message):
        choose_operating_point(curve, mode, value, **kw)


def test_curve_round_trips_through_json(curve):
    import json

    again = ThresholdCurve.from_dict(json.loads(json.dumps(curve.to_dict())))
    assert choose_operating_point(again, "recall", 70)["threshold"] == choose_operating_point(curve, "recall", 70)["threshold"]


def _binary_version(auc: float, recall: float, precision: float, prevalence: float = 0.16, n: int = 1000):
    pos = round(prevalence * n)
    tp = round(recall * pos)
    fp = round(tp / precision) - tp if precision else 0
    holdout = stats_at(tp, fp, pos, n - pos)
    return SimpleNamespace(task="binary", holdout_score=auc, baseline_score=0.5, higher_is_better=True,
                           metrics={"model": {"roc_auc": auc}}, notes=[], target="left",
                           operating_point={"holdout": holdout, "positive_class": "Yes", "threshold": 0.4})


def test_good_ranking_that_misses_most_positives_is_not_excellent():
    # the attrition case: AUC 0.81 (lift 0.62 = "Excellent" by ranking alone), catching 5 of 47 leavers
    g = grade_version(_binary_version(auc=0.81, recall=5 / 47, precision=0.5))
    assert g.grade == "Fair"
    assert "catches 11 in 100 of the real 'Yes' cases" in g.reason and "misses most" in g.reason


def test_flags_no_better_than_random_are_poor():
    assert grade_version(_binary_version(auc=0.81, recall=0.6, precision=0.16)).grade == "Poor"


def test_good_ranking_and_good_decisions_stay_excellent_and_say_why():
    g = grade_version(_binary_version(auc=0.85, recall=0.7, precision=0.5))
    assert g.grade == "Excellent" and "catches 70 in 100" in g.reason


def test_recall_between_a_third_and_a_half_caps_at_good():
    assert grade_version(_binary_version(auc=0.85, recall=0.4, precision=0.5)).grade == "Good"


def test_near_perfect_auc_is_too_good_to_be_true():
    g = grade_version(_binary_version(auc=0.999, recall=0.99, precision=0.99))
    assert g.grade == TOO_GOOD and "leak" in g.reason


def test_regression_and_models_without_a_cut_off_keep_the_lift_rule():
    reg = SimpleNamespace(task="regression", holdout_score=2.0, baseline_score=10.0, higher_is_better=False, metrics={},
                          operating_point=None)
    assert grade_version(reg).grade == "Excellent"


def test_mistakes_are_counted_at_the_operating_point_not_the_stale_matrix():
    v = _binary_version(auc=0.8, recall=0.6, precision=0.4, n=1000)
    h = v.operating_point["holdout"]
    stale = {"confusion_matrix": {"labels": ["No", "Yes"], "matrix": [[800, 40], [150, 10]]}}
    words = " ".join(mistakes_in_words(v, stale))
    assert f"misses {h['fn']:,} of the {h['fn'] + h['tp']:,}" in words


def test_the_product_says_when_it_delivered_its_default_model():
    v = SimpleNamespace(notes=[{"severity": "info", "kind": "default_model_kept", "message": "..."}])
    assert "standard model was delivered" in product_decisions_in_words(v)[0]
    assert product_decisions_in_words(SimpleNamespace(notes=[])) == []
