"""Project feasibility: "is ML the right hammer for this nail?" (docs/feasibility.md).

A feasibility job measures data readiness, ML lift over the naive baseline (with
a bootstrap interval) from a trial-bounded quick search, a simple-rule check, a
simple rule per column (every column, leaks included), an operating curve (for
the value of a yes/no decision at its cheapest threshold) and a learning curve;
a pure scoring step adds the project's business inputs and returns a 0-100
score, a verdict (verdict.py, one function) and reasons.  The portfolio ranks
projects by their latest assessment.
"""

from .inputs import DELIVERY, FRESHNESS, BusinessInputs, missing_inputs, parse_inputs
from .rules import COMPONENTS, ScoringRules, Thresholds, Weights
from .scoring import VERDICTS, Component, Reason, Scorecard, score_assessment
from .service import (
    BusinessInputsPublic,
    FeasibilityRequest,
    PortfolioEntry,
    get_assessment,
    get_inputs,
    latest_assessment,
    list_assessments,
    portfolio,
    run_feasibility_job,
    set_inputs,
    submit_feasibility,
)

__all__ = [
    "COMPONENTS", "DELIVERY", "FRESHNESS", "VERDICTS", "BusinessInputs", "BusinessInputsPublic", "Component",
    "FeasibilityRequest", "PortfolioEntry", "Reason", "Scorecard", "ScoringRules", "Thresholds", "Weights",
    "get_assessment", "get_inputs", "latest_assessment", "list_assessments", "missing_inputs", "parse_inputs",
    "portfolio", "run_feasibility_job", "score_assessment", "set_inputs", "submit_feasibility",
]
