"""Fairness verdicts on hand-computed cases whose right answer is known (issue 15, point 4).

* a mitigation that widens its gap (0.060 -> 0.084, AUC 0.82 -> 0.74) is "worse — not recommended";
* the four-fifths rule on approval rates 0.985 vs 0.925 passes where the deny rates (0.015 vs 0.075) fail;
* a model that flags almost nobody (selection 3 % vs 0.6 %, TPR 0.19 vs 0.04) fails the degenerate-decision gate;
* a regression model over-predicting one group by +1.45 and under-predicting another by -0.73 gets a warning.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from automl_canvas.errors import TrainingConfigError, ValidationError
from automl_canvas.fairness import (
    WORSE,
    FairnessReport,
    compare,
    describe_change,
    fairness_report,
    four_fifths,
    mitigation_verdict,
    selection_health,
    with_favourable,
)


def _binary(groups: dict[str, tuple[int, int, int, int]], yes: str = "yes", no: str = "no"):
    """Rows per group from (n, actual positives, true positives, false positives): exact rates by construction."""
    g, yt, yp = [], [], []
    for name, (n, pos, tp, fp) in groups.items():
        truth = [yes] * pos + [no] * (n - pos)
        pred = [yes] * tp + [no] * (pos - tp) + [yes] * fp + [no] * (n - pos - fp)
        g += [name] * n
        yt += truth
        yp += pred
    return np.array(yt, dtype=object), np.array(yp, dtype=object), pd.DataFrame({"group": g})


def _report(groups, **kw) -> FairnessReport:
    yt, yp, sens = _binary(groups)
    return fairness_report("binary", yt, yp, sens, classes=["no", "yes"], n_bootstrap=50, **kw)


# ----------------------------------------------------------------------------------------- mitigation verdicts
#: 250 rows per group, half of them actual 'yes'. before: a selects 50 (0.20), b 35 (0.14): DP difference 0.060;
#: widened: b selects 29 (0.116): 0.084; narrowed: b selects 45 (0.18): 0.020.
BEFORE = {"a": (250, 125, 40, 10), "b": (250, 125, 30, 5)}
WIDENED = {"a": (250, 125, 40, 10), "b": (250, 125, 25, 4)}
NARROWED = {"a": (250, 125, 40, 10), "b": (250, 125, 38, 7)}


@pytest.fixture(scope="module")
def widening():
    before, after = _report(BEFORE), _report(WIDENED)
    return compare(before, after, {"roc_auc": 0.82, "log_loss": 0.40}, {"roc_auc": 0.74, "log_loss": 3.60})


def test_a_widening_mitigation_is_described_as_widened_never_as_removed(widening):
    dp = next(r for r in widening["fairness"] if r["feature"] == "group" and r["measure"] == "demographic_parity_difference")
    assert_allclose([dp["parent"], dp["mitigated"]], [0.060, 0.084], atol=1e-12)
    assert dp["direction"] == "widened" and dp["in_words"] == "**widened** from 0.060 to 0.084"
    assert "demographic parity difference on group **widened** from 0.060 to 0.084" in widening["summary"]
    assert "removed" not in widening["summary"] and "%" not in widening["summary"]


@pytest.mark.parametrize("metric, higher_is_better", [("roc_auc", True), ("log_loss", False)])
def test_a_widening_mitigation_is_worse_not_recommended(widening, metric, higher_is_better):
    v = mitigation_verdict(widening, feature="group", constraint="demographic_parity", metric=metric,
                           higher_is_better=higher_is_better, max_metric_loss=0.02)
    assert v.worse and v.label == WORSE == "worse — not recommended"
    assert v.direction == "widened" and len(v.reasons) == 2
    assert v.reasons[0] == "the demographic parity difference on 'group' **widened** from 0.060 to 0.084"
    assert_allclose(v.metric_loss, 0.08 if metric == "roc_auc" else 3.2, atol=1e-9)
    assert v.message.startswith(f"Mitigated candidate: {WORSE}: ")


def test_a_narrowing_mitigation_within_the_metric_limit_is_not_worse_and_one_beyond_it_is():
    before, after = _report(BEFORE), _report(NARROWED)
    cheap = compare(before, after, {"roc_auc": 0.82}, {"roc_auc": 0.81})
    v = mitigation_verdict(cheap, feature="group", constraint="demographic_parity", metric="roc_auc",
                           higher_is_better=True, max_metric_loss=0.02)
    assert not v.worse and v.direction == "narrowed" and "narrowed from 0.060 to 0.020" in v.message
    costly = compare(before, after, {"roc_auc": 0.82}, {"roc_auc": 0.79})
    v = mitigation_verdict(costly, feature="group", constraint="demographic_parity", metric="roc_auc",
                           higher_is_better=True, max_metric_loss=0.02)
    assert v.worse and v.reasons == ["the holdout roc_auc fell from 0.820 to 0.790, a loss of 0.030 (limit 0.020)"]
    unknown = mitigation_verdict(cheap, feature="group", constraint="demographic_parity", metric="f1",
                                 higher_is_better=True, max_metric_loss=0.02)
    assert unknown.worse and unknown.reasons == ["the holdout f1 could not be compared"]


def test_describe_change_moves_ratios_towards_one_and_differences_towards_zero():
    assert describe_change("demographic_parity_ratio", 0.70, 0.90) == ("narrowed", "narrowed from 0.700 to 0.900")
    assert describe_change("demographic_parity_ratio", 0.90, 0.70) == ("widened", "**widened** from 0.900 to 0.700")
    assert describe_change("mae_ratio", 1.50, 1.20)[0] == "narrowed"
    assert describe_change("equalized_odds_difference", 0.10, 0.1002) == ("unchanged", "unchanged at 0.100")
    assert describe_change("demographic_parity_difference", float("nan"), 0.1)[0] == "unknown"


# ---------------------------------------------------------------------------------- four-fifths on favourable
#: 200 applicants per group; 'deny' is the positive (modelled) label. a: 3 denied (deny 0.015, approve 0.985);
#: b: 15 denied (deny 0.075, approve 0.925). Deny ratio 0.015 / 0.075 = 0.2 fails; approve ratio 0.925 / 0.985 passes.
def _credit(**kw) -> FairnessReport:
    yt, yp, sens = _binary({"a": (200, 3, 3, 0), "b": (200, 15, 15, 0)}, yes="deny", no="approve")
    return fairness_report("binary", yt, yp, sens, classes=["approve", "deny"], n_bootstrap=50, **kw)


def test_four_fifths_uses_approval_rates_once_approve_is_declared_favourable():
    r = _credit(favourable_label="approve")
    ff = four_fifths(r, "group")
    assert ff.declared and ff.outcome == "approve" and ff.passed
    assert ff.ratio.measure == "other_parity_ratio"
    assert_allclose(ff.ratio.value, 0.925 / 0.985, atol=1e-12)
    assert_allclose([ff.ratio.low_value, ff.ratio.high_value], [0.925, 0.985], atol=1e-12)
    assert_allclose(ff.other.value, 0.015 / 0.075, atol=1e-12) and ff.other.flagged  # the deny rates would fail
    parity = next(f for f in r.findings if f.measure == "other_parity_ratio")
    assert parity.severity == "info"
    assert parity.message.startswith("Rate of predicted 'approve' (the favourable outcome) is similar across group groups: "
                                     "ratio 0.94 (four-fifths rule passes)")
    assert not any("four-fifths rule fails" in f.message for f in r.findings if f.feature == "group")


def test_undeclared_shows_both_directions_and_judges_on_the_stricter():
    r = _credit()
    ff = four_fifths(r, "group")
    assert not ff.declared and ff.outcome == "deny" and not ff.passed
    parity = next(f for f in r.findings if f.measure == "demographic_parity_ratio")
    assert "Rate of predicted 'deny' for group = a is 0.20× that of group = b (0.01 vs 0.07" in parity.message
    assert "on 'approve' the ratio is 0.94 (0.93 vs 0.98)" in parity.message
    assert "the rule was judged on 'deny', the stricter of the two" in parity.message
    assert parity.numbers["favourable_declared"] is False and parity.numbers["outcome"] == "deny"
    # declaring it on the stored report gives the same verdict as declaring it up front
    again = with_favourable(FairnessReport.from_dict(r.to_dict()), "approve")
    assert four_fifths(again, "group").passed and again.favourable_label == "approve"
    assert [f.message for f in again.findings] == [f.message for f in _credit(favourable_label="approve").findings]


def test_declaring_the_unfavourable_label_keeps_the_deny_rates_and_an_unknown_label_is_refused():
    assert not four_fifths(_credit(favourable_label="deny"), "group").passed
    with pytest.raises(ValidationError, match="favourable outcome 'maybe' is not one of the labels"):
        _credit(favourable_label="maybe")


def test_the_favourable_outcome_is_declared_with_the_training_request():
    from automl_canvas.datasets.profiling import profile_frame
    from automl_canvas.training.spec import TrainingRequest, resolve_spec

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=60), "gender": rng.choice(["f", "m"], 60),
                       "decision": rng.choice(["approved", "declined"], 60)})
    profile = profile_frame(df).to_dict()

    def resolve(**kw):
        return resolve_spec(TrainingRequest(target="decision", sensitive_columns=["gender"], **kw), profile, lambda c: df[c],
                            max_classes=100, default_seed=0)

    assert resolve(favourable_outcome="approved").to_dict()["favourable_outcome"] == "approved"
    assert resolve().to_dict()["favourable_outcome"] is None
    with pytest.raises(TrainingConfigError, match=r"favourable outcome 'yes' is not a value of the target 'decision'; "
                                                  r"choose one of 'approved', 'declined'"):
        resolve(favourable_outcome="yes")


# -------------------------------------------------------------------------------------- degenerate decisions
#: 1000 rows per group. a: 160 actual 'yes', 30 flagged, all right: selection 0.030, TPR 0.1875;
#: b: 150 actual 'yes', 6 flagged: selection 0.006, TPR 0.04. The DP difference, 0.024, would pass a 0.10 limit.
FLAGS_NOBODY = {"a": (1000, 160, 30, 0), "b": (1000, 150, 6, 0)}


def test_a_model_that_flags_almost_nobody_fails_the_degenerate_decision_gate():
    r = _report(FLAGS_NOBODY)
    assert_allclose(r.disparity("group", "demographic_parity_difference").value, 0.024, atol=1e-12)
    assert not r.disparity("group", "demographic_parity_difference").flagged  # the parity check alone would pass
    h = selection_health(r, "group")
    assert not h.passed
    assert h.problems == [{"group": "b", "metric": "selection_rate", "value": pytest.approx(0.006), "floor": 0.01},
                          {"group": "b", "metric": "tpr", "value": pytest.approx(0.04), "floor": 0.10}]
    assert "group = b: predicted 'yes' for 0.6%" in h.message and "finds 4.0% of its actual 'yes'" in h.message
    finding = next(f for f in r.findings if f.measure == "selection_health")
    assert finding.severity == "high" and finding.message == h.message
    stricter = selection_health(r, "group", min_tpr=0.2)  # a's 0.1875 now fails too
    assert {p["group"] for p in stricter.problems if p["metric"] == "tpr"} == {"a", "b"}


def test_healthy_decisions_pass_the_gate_and_flagging_everybody_does_not():
    assert selection_health(_report(BEFORE), "group").passed
    everybody = _report({"a": (200, 100, 100, 99), "b": (200, 100, 100, 100)})  # selection 0.995 and 1.0
    h = selection_health(everybody, "group")
    assert not h.passed and {p["group"] for p in h.problems} == {"a", "b"}


# -------------------------------------------------------------------------------------------- regression bias
def _wage_errors(n: int, n_plus: int) -> np.ndarray:
    return np.array([2.0] * n_plus + [-2.0] * (n - n_plus))


def test_a_regression_bias_gap_is_a_warning_even_when_the_errors_are_equally_large():
    # errors of ±2 everywhere (MAE 2 in both groups: ratio 1.0), but a: 345 of 400 are +2 -> bias +1.45;
    # b: 127 of 400 are +2 -> bias -0.73. Gap 2.18 > 0.2 × overall MAE (0.4).
    rng = np.random.default_rng(0)
    yt = rng.normal(20, 5, 800)
    yp = yt + np.concatenate([_wage_errors(400, 345), _wage_errors(400, 127)])
    r = fairness_report("regression", yt, yp, pd.DataFrame({"group": ["a"] * 400 + ["b"] * 400}), n_bootstrap=100)
    a, b = r.metric("group", "a", "bias"), r.metric("group", "b", "bias")
    assert_allclose([a.value, b.value], [1.45, -0.73], atol=1e-9)
    assert a.ci_low <= a.value <= a.ci_high and b.ci_low <= b.value <= b.ci_high and a.ci_low > 0 > b.ci_high
    assert_allclose(r.disparity("group", "mae_ratio").value, 1.0, atol=1e-9)
    gap = r.disparity("group", "bias_difference")
    assert_allclose([gap.value, gap.threshold], [2.18, 0.4], atol=1e-9)
    assert gap.flagged and (gap.high_group, gap.low_group) == ("a", "b") and gap.ci_low > 0.4
    finding = next(f for f in r.findings if f.measure == "bias_difference")
    assert finding.severity == "warning"
    assert "group = a: too high by +1.45 on average" in finding.message
    assert "group = b: too low by -0.73 on average" in finding.message and "a bias gap of 2.18" in finding.message
    assert next(f for f in r.findings if f.measure == "mae_ratio").severity == "info"


def test_an_unbiased_regression_model_gets_no_bias_warning():
    rng = np.random.default_rng(1)
    yt = rng.normal(20, 5, 800)
    yp = yt + np.concatenate([_wage_errors(400, 200), _wage_errors(400, 200)])
    r = fairness_report("regression", yt, yp, pd.DataFrame({"group": ["a"] * 400 + ["b"] * 400}), n_bootstrap=50)
    gap = r.disparity("group", "bias_difference")
    assert_allclose(gap.value, 0.0, atol=1e-9) and not gap.flagged
    assert next(f for f in r.findings if f.measure == "bias_difference").severity == "info"
