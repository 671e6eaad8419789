"""Issue 15's verdict rules and the expected value at the operating point, on numbers worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from automl_canvas.feasibility import BusinessInputs, ScoringRules, score_assessment
from automl_canvas.feasibility.scoring import VERDICTS
from automl_canvas.feasibility.value import GRID_BINS, operating_curve, operating_value

from .measurements import measurements

#: 10 positives at probability 0.30 and 90 negatives at 0.10: any threshold in (0.10, 0.30] separates them.
Y = np.array([1] * 10 + [0] * 90)
P1 = np.array([0.30] * 10 + [0.10] * 90)
CURVE = operating_curve(Y, np.column_stack([1 - P1, P1]), ["good", "bad"])
#: The data side of a project that clears the Go line (score >= 60, readiness 100).
STRONG = {"readiness__n_leakage": 0, "readiness__leakage": [], "readiness__n_labelled": 5000,
          "readiness__labelled_share": 1.0, "readiness__minority_share": 0.3, "readiness__duplicate_share": 0.0,
          "lift__normalised_ci_low": 0.45, "simple_rule__normalised": 0.1, "operating_curve": CURVE}


def _column(name: str, check: float, *, normalised: float | None = None, suspect: bool = False, copy: bool = False,
            used: bool = True) -> dict:
    return {"column": name, "kind": "two-level decision tree", "description": f"`{name}` up to 40.5 → 'no'",
            "check": check, "check_label": "ROC AUC", "score": check,
            "normalised": 2 * check - 1 if normalised is None else normalised,
            "leak_suspect": suspect, "copy_like": copy, "used_by_model": used}


def _rules(*columns: dict) -> dict:
    return {"checked": 5, "train_rows": 240, "validation_rows": 60, "metric": "roc_auc", "baseline": 0.5,
            "columns": list(columns)}


def test_the_stored_curve_is_the_held_out_rows_per_probability_bin():
    assert CURVE["positive_class"] == "bad" and CURVE["negative_class"] == "good"  # the rarer outcome is the positive
    assert sum(CURVE["positive_counts"]) == 10 and sum(CURVE["negative_counts"]) == 90
    assert CURVE["positive_counts"][round(0.30 * GRID_BINS)] == 10 and CURVE["negative_counts"][round(0.10 * GRID_BINS)] == 90


def test_value_at_the_cheapest_threshold_against_no_model_by_hand():
    op = operating_value(CURVE, decisions_per_month=1000, value_correct=0, cost_fp=10, cost_fn=100, status_quo_accuracy=None)
    # no model = always "good": every bad one is missed, 0.1 x 100 = 10 per decision; the model makes no mistake
    assert op["status_quo_value_per_decision"] == pytest.approx(-10) and op["model_value_per_decision"] == pytest.approx(0)
    assert op["value_per_month"] == pytest.approx(10_000)
    assert 0.10 < op["threshold"] <= 0.30 and op["recall"] == 1 and op["flagged_share"] == pytest.approx(0.10)
    assert (op["tp"], op["fp"], op["fn"], op["tn"]) == (10, 0, 0, 90)
    assert op["ci_low"] <= op["value_per_month"] <= op["ci_high"] and op["ci_low"] > 0 and op["n_bootstrap"] == 500


def test_value_against_the_stated_status_quo_and_with_a_value_per_correct_decision():
    # today 95% right, its 5% of mistakes on both outcomes alike: 0.05 x (0.1 x 100 + 0.9 x 10) = 0.95 per decision
    op = operating_value(CURVE, decisions_per_month=1000, value_correct=0, cost_fp=10, cost_fn=100, status_quo_accuracy=0.95)
    assert op["value_per_month"] == pytest.approx(950)
    # only a value of a correct decision: 1000 x (1.0 - 0.9) x 2
    plain = operating_value(CURVE, decisions_per_month=1000, value_correct=2, cost_fp=0, cost_fn=0, status_quo_accuracy=None)
    assert plain["value_per_month"] == pytest.approx(200)


def test_an_imbalanced_project_is_worth_its_avoided_costs_not_zero():
    """At 0.5 this model flags no one (as accurate as no model: the old "0 a month"); at its cheapest threshold it pays."""
    m = measurements(**STRONG)
    card = score_assessment(m, BusinessInputs(decisions_per_month=1000, cost_false_positive=10, cost_false_negative=100),
                            ScoringRules())
    assert card.expected_value_per_month == pytest.approx(10_000)
    ev = next(r for r in card.reasons if r.fact == "expected_value_per_month")
    assert "no model (always deciding 'good'" in ev.message and "catches 100% of the real 'bad' cases" in ev.message
    assert "95% interval" in ev.message
    assert card.verdict == "go", card.reasons[0].message


def test_go_needs_a_business_case_and_no_inputs_means_value_unknown():
    m = measurements(**STRONG)
    unknown = score_assessment(m, BusinessInputs(), ScoringRules())
    assert unknown.verdict == "value_unknown" and "value is unknown" in unknown.reasons[0].message
    volume = score_assessment(m, BusinessInputs(decisions_per_month=50_000), ScoringRules())
    assert volume.verdict == "value_unknown"  # volume alone is no value
    # worth about 7 a month: 35 decisions x (1.0 - 0.9) x 2
    tiny = score_assessment(m, BusinessInputs(decisions_per_month=35, value_per_decision=2), ScoringRules())
    assert tiny.expected_value_per_month == pytest.approx(7)
    assert tiny.score >= 60 and tiny.verdict == "low_value", tiny.reasons[0].message
    assert "about 7 a month, is below the 100 a month a Go needs" in tiny.reasons[0].message
    assert score_assessment(m, BusinessInputs(decisions_per_month=35, value_per_decision=2),
                            ScoringRules.from_overrides(thresholds={"go_min_value": 5})).verdict == "go"
    # a model that loses money is never Go, whatever the floor
    loss = score_assessment(m, BusinessInputs(decisions_per_month=1000, value_per_decision=1, status_quo_accuracy=1.0),
                            ScoringRules.from_overrides(thresholds={"go_min_value": 0}))
    assert loss.expected_value_per_month == 0 and loss.verdict == "low_value"


def test_a_column_that_is_a_near_perfect_rule_means_ml_not_needed_even_when_left_out():
    m = measurements(**STRONG, column_rules=_rules(_column("Age", 1.0, suspect=True, used=False), _column("income", 0.9)))
    card = score_assessment(m, BusinessInputs(decisions_per_month=10_000, value_per_decision=50), ScoringRules())
    assert card.verdict == "not_needed" and card.verdict_label == "ML not needed (a rule does it)"
    assert "`Age` alone predicts the target almost perfectly (ROC AUC 1.000" in card.reasons[0].message
    said = next(r for r in card.reasons if r.fact == "column_rule")
    assert "it was left out of the model" in said.message and said.severity == "critical"
    # the line is a setting: at 1.0 the same column is only most of the lift (share > 90%): still not needed
    loose = score_assessment(m, BusinessInputs(), ScoringRules.from_overrides(thresholds={"rule_near_perfect": 1.01}))
    assert loose.verdict == "not_needed" and "of the model's lift" in loose.reasons[0].message


def test_a_near_perfect_copy_of_the_target_means_the_data_leaks():
    m = measurements(**STRONG, column_rules=_rules(_column("retention_outcome", 0.995, suspect=True, copy=True, used=False)))
    card = score_assessment(m, BusinessInputs(decisions_per_month=10_000, value_per_decision=50), ScoringRules())
    assert card.verdict == "leaks" and "gives the answer away" in card.verdict_label
    assert "`retention_outcome` alone predicts" in card.reasons[0].message
    # the same column, not near-perfect: an ordinary leak, left out, and the honest model is judged
    weaker = measurements(**STRONG, column_rules=_rules(_column("retention_outcome", 0.95, normalised=0.9, suspect=True,
                                                                copy=True, used=False), _column("x", 0.6)))
    assert score_assessment(weaker, BusinessInputs(decisions_per_month=10_000, value_per_decision=50),
                            ScoringRules()).verdict == "go"


def test_no_signal_is_told_apart_from_not_ready():
    noise = {**STRONG, "lift__normalised_ci_low": -0.1, "lift__normalised_ci_high": 0.15, "lift__normalised": 0.02}
    card = score_assessment(measurements(**noise), BusinessInputs(), ScoringRules())
    assert card.verdict == "no_signal" and card.verdict_label == "ML won't help with this data (no signal was found)"
    # the same lift on data in poor shape (readiness 100 - 30 for 90 labelled rows - 30 for two leaks = 40): not ready
    poor = score_assessment(measurements(**{**noise, "readiness__n_leakage": 2, "readiness__n_labelled": 90}),
                            BusinessInputs(), ScoringRules())
    assert poor.verdict == "not_ready"
    # and with too few held-out rows to compute an interval
    few = score_assessment(measurements(**{**noise, "lift__normalised_ci_low": None, "lift__normalised_ci_high": None}),
                           BusinessInputs(), ScoringRules())
    assert few.verdict == "not_ready"


def test_a_search_cut_short_by_its_safety_cap_is_a_warning():
    cut = {"trials": 5, "max_trials": 24, "cap_seconds": 60, "wall_seconds": 60.4, "stopped_by": "time cap"}
    card = score_assessment(measurements(search=cut), BusinessInputs(), ScoringRules())
    warned = [r for r in card.reasons if r.fact == "search_trials"]
    assert warned and warned[0].severity == "warning" and "ran 5 of its 24 trials before its 60-second" in warned[0].message
    done = score_assessment(measurements(search={**cut, "trials": 24, "stopped_by": "trial limit"}), BusinessInputs(), ScoringRules())
    assert not [r for r in done.reasons if r.fact == "search_trials"]


def test_every_verdict_has_a_label():
    assert {"go", "value_unknown", "low_value", "promising", "no_signal", "not_ready", "not_needed", "leaks"} == set(VERDICTS)
