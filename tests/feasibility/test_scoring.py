"""The scorecard arithmetic against numbers worked out by hand (docs/feasibility.md's method)."""

from __future__ import annotations

import math

import pytest

from automl_canvas.errors import ValidationError
from automl_canvas.feasibility import BusinessInputs, ScoringRules, score_assessment

from .measurements import measurements

FULL_INPUTS = BusinessInputs(decisions_per_month=1000, value_per_decision=50, status_quo_accuracy=0.80,
                             cost_false_positive=100, cost_false_negative=500, delivery="api", freshness="daily")


def _points(card) -> dict:
    return {c.name: c.points for c in card.components}


def test_every_component_and_the_weighted_score_by_hand():
    card = score_assessment(measurements(), FULL_INPUTS, ScoringRules())
    p = _points(card)
    # readiness: 100 - 15 (400 labelled rows) - 5 (80% labelled) - 10 (5% minority) - 15 (one leak) - 5 (6% copies)
    assert p["readiness"] == 50
    # lift: lower end 0.20 of a full-credit 0.50
    assert p["lift"] == 40
    # advantage: the rule gets 0.30 / 0.40 = 75% of the way; (1 - 0.75) / 0.3 of the points
    assert p["advantage"] == pytest.approx(83.3, abs=0.05)
    # impact: 1000 decisions x (0.85 - 0.80) x 50 = 2,500 a month; log10(2500 / 1000) / log10(100) of the points
    assert card.expected_value_per_month == pytest.approx(2500)
    assert p["impact"] == pytest.approx(100 * math.log10(2.5) / 2, abs=0.05)
    # risk: 100 - 25 (API) - 5 (daily) - 15 (a false negative costs 5x a false positive)
    assert p["risk"] == 55
    expected = 0.25 * 50 + 0.30 * 40 + 0.10 * (250 / 3) + 0.20 * (100 * math.log10(2.5) / 2) + 0.15 * 55
    assert card.score == pytest.approx(round(expected, 1))
    assert card.score == pytest.approx(45.1)
    assert card.verdict == "promising" and card.judgeable
    assert card.missing_inputs == ["decision", "acted_on_by"]
    facts = {r.fact: r for r in card.reasons}
    assert facts["n_leakage"].severity == "critical" and facts["n_leakage"].points == -15
    assert "2,500 a month = 1,000 decisions × (model accuracy 0.850 − today's accuracy 0.800) × 50.00" in facts["expected_value_per_month"].message
    assert card.reasons[0].component == "verdict" and "Promising" in card.reasons[0].message


def test_missing_inputs_leave_their_components_out_and_the_weights_are_renormalised():
    card = score_assessment(measurements(), BusinessInputs(), ScoringRules())
    p = _points(card)
    assert p["impact"] is None and p["risk"] is None and card.impact_level == "unknown"
    assert card.score == pytest.approx(round((0.25 * 50 + 0.30 * 40 + 0.10 * (250 / 3)) / 0.65, 1))
    assert card.expected_value_per_month is None
    assert {"decisions_per_month", "value_per_decision", "status_quo_accuracy", "delivery"} <= set(card.missing_inputs)
    assert any("Impact is unknown" in r.message for r in card.reasons)


def test_impact_by_volume_alone_and_status_quo_defaulting_to_the_baseline():
    vol = score_assessment(measurements(), BusinessInputs(decisions_per_month=20_000), ScoringRules())
    assert vol.impact_level == "high" and _points(vol)["impact"] == 70 and vol.expected_value_per_month is None
    # no status quo: compared with always predicting the most common outcome (accuracy 0.75)
    ev = score_assessment(measurements(), BusinessInputs(decisions_per_month=100, value_per_decision=200), ScoringRules())
    assert ev.expected_value_per_month == pytest.approx(100 * (0.85 - 0.75) * 200)
    assert "status_quo_accuracy" in ev.missing_inputs
    # the average error cost stands in for the value of a correct decision
    costs = score_assessment(measurements(), BusinessInputs(decisions_per_month=100, cost_false_positive=100,
                                                            cost_false_negative=300), ScoringRules())
    assert costs.expected_value_per_month == pytest.approx(100 * 0.10 * 200)


def test_regression_impact_uses_the_error_in_target_units():
    m = measurements(task="regression", accuracy={"kind": "mae", "model": 6.0, "baseline": 9.0})
    card = score_assessment(m, BusinessInputs(decisions_per_month=100, cost_per_unit_error=2, status_quo_error=10), ScoringRules())
    assert card.expected_value_per_month == pytest.approx(100 * (10 - 6) * 2)
    assert _points(card)["impact"] == 0  # 800 a month is under the 1,000 floor
    worse = score_assessment(m, BusinessInputs(decisions_per_month=100, cost_per_unit_error=2, status_quo_error=5), ScoringRules())
    assert worse.expected_value_per_month < 0 and worse.impact_level == "none"
    assert any("would not beat today's decisions" in r.message for r in worse.reasons)


@pytest.mark.parametrize(
    ("changes", "verdict"),
    [
        ({"lift__normalised_ci_low": -0.05}, "not_ready"),
        ({"lift__normalised_ci_low": None, "lift__normalised_ci_high": None}, "not_ready"),
        ({"simple_rule__normalised": 0.37}, "not_needed"),  # 92.5% of the model's 0.40
        ({"lift__normalised_ci_low": 0.1, "lift__normalised_ci_high": 0.6}, "promising"),  # 0.5 wide
        ({"readiness__n_leakage": 0, "readiness__n_labelled": 5000, "readiness__labelled_share": 1.0,
          "readiness__minority_share": 0.3, "readiness__duplicate_share": 0.0, "lift__normalised_ci_low": 0.45},
         "value_unknown"),  # the data clears the Go line; without business inputs its value is unknown (issue 15)
    ],
)
def test_verdict_rules(changes, verdict):
    card = score_assessment(measurements(**changes), BusinessInputs(), ScoringRules())
    assert card.verdict == verdict, [r.message for r in card.reasons]
    if verdict == "value_unknown":
        assert card.score >= 60 and _points(card)["readiness"] >= 50
    if "lift__normalised_ci_high" in changes:
        assert not card.judgeable and any("too wide to judge" in r.message for r in card.reasons)


def test_weights_and_thresholds_are_configurable_and_checked():
    rules = ScoringRules.from_overrides({"advantage": 0, "lift": 0.5}, {"go_score": 40})
    card = score_assessment(measurements(), BusinessInputs(), rules)
    assert card.score == pytest.approx(round((0.25 * 50 + 0.5 * 40) / 0.75, 1))
    assert card.rules["weights"]["lift"] == 0.5 and card.rules["thresholds"]["go_score"] == 40
    with pytest.raises(ValidationError, match="'speed' is not a feasibility weight"):
        ScoringRules.from_overrides({"speed": 1})
    with pytest.raises(ValidationError, match="at least 0"):
        ScoringRules.from_overrides(thresholds={"go_score": -1})
    with pytest.raises(ValidationError, match="At least one"):
        ScoringRules.from_overrides(dict.fromkeys(("readiness", "lift", "advantage", "impact", "risk"), 0))


def test_settings_carry_the_overrides(settings):
    from automl_canvas.config import Settings

    s = Settings(home=settings.home, feasibility_weights={"impact": 0.5}, feasibility_thresholds={"too_wide": 0.3})
    rules = ScoringRules.from_settings(s)
    assert rules.weights.impact == 0.5 and rules.thresholds.too_wide == 0.3


def test_points_are_said_as_a_share_of_the_score_not_as_private_units():
    """A manager read "earns 40 lift points" and "83 advantage points" as units nobody had explained."""
    card = score_assessment(measurements(), FULL_INPUTS, ScoringRules())
    words = " ".join(r.message for r in card.reasons if r.component in ("lift", "advantage"))
    assert "Signal: 40 of 100 toward the score" in words
    assert "Need for a model beyond that rule: 83 of 100 toward the score" in words
    assert "lift points" not in words and "advantage points" not in words
