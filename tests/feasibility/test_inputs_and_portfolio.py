"""Business inputs (validation, merging, re-scoring) and the portfolio's ranking, on a real database."""

from __future__ import annotations

import json

import pytest

from automl_canvas.auth.users import ensure_user
from automl_canvas.datasets.service import ingest_file
from automl_canvas.db import session_scope
from automl_canvas.errors import NotFoundError, PermissionDeniedError, ValidationError
from automl_canvas.feasibility import ScoringRules, get_inputs, latest_assessment, parse_inputs, portfolio, set_inputs
from automl_canvas.feasibility.service import _apply_scorecard
from automl_canvas.models import FeasibilityAssessment, Project

from ..conftest import SAMPLE_DATA
from .helpers import new_project
from .measurements import measurements

pytestmark = pytest.mark.db


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"status_quo_accuracy": 82}, "share between 0 and 1 (type 0.82 for 82%)"),
        ({"decisions_per_month": -5}, "decisions per month cannot be negative"),
        ({"delivery": "fax"}, "delivery mechanism must be one of: report, batch, api, embedded"),
        ({"freshness": "sometimes"}, "freshness must be one of"),
        ({"value_per_decision": "lots"}, "value of a correct decision must be a number"),
        ({"budget": 3}, "'budget' is not a business input"),
        ({"cost_false_positive": float("nan")}, "must be a finite number"),
    ],
)
def test_bad_inputs_are_refused_by_name(values, message):
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_inputs(values)


def test_inputs_merge_clear_and_replace(engine, analyst, project):
    with session_scope(engine) as s:
        empty = get_inputs(s, analyst, project.id)
        assert empty.updated_at is None and "decisions_per_month" in empty.missing
        set_inputs(s, analyst, project.id, {"decisions_per_month": 1200, "delivery": "batch", "decision": "  call or not "})
        out = set_inputs(s, analyst, project.id, {"value_per_decision": 15.5, "delivery": None})
    assert out.inputs.decisions_per_month == 1200 and out.inputs.value_per_decision == 15.5
    assert out.inputs.delivery is None and out.inputs.decision == "call or not"
    assert "delivery" in out.missing and "decisions_per_month" not in out.missing
    with session_scope(engine) as s:
        again = get_inputs(s, analyst, project.id)
        assert again.inputs == out.inputs and again.updated_at is not None
        replaced = set_inputs(s, analyst, project.id, {"freshness": "daily"}, replace=True)
    assert replaced.inputs.decisions_per_month is None and replaced.inputs.freshness == "daily"
    json.dumps(replaced.model_dump(mode="json"))


def test_the_project_decision_fills_in_the_decision_input(engine, analyst):
    from automl_canvas.models import ProjectCreate
    from automl_canvas.projects import create_project

    with session_scope(engine) as s:
        p = create_project(s, analyst, ProjectCreate(name="Offers", decision="send the offer or not"))
        assert get_inputs(s, analyst, p.id).inputs.decision == "send the offer or not"


def test_roles_and_unknown_projects(engine, analyst, project):
    with session_scope(engine) as s:
        deployer = ensure_user(s, "dora", ("deployer",))
        with pytest.raises(PermissionDeniedError, match="feasibility.inputs"):
            set_inputs(s, deployer, project.id, {"decisions_per_month": 1})
        with pytest.raises(PermissionDeniedError, match="portfolio.read"):
            portfolio(s, deployer)
        with pytest.raises(NotFoundError, match="Project 999 does not exist"):
            get_inputs(s, analyst, 999)
        with pytest.raises(NotFoundError, match="no feasibility assessment yet"):
            latest_assessment(s, analyst, project.id)


def _store(engine, analyst, project_id: int, dataset_id: int, m: dict, inputs: dict | None = None,
           rules: ScoringRules | None = None) -> int:
    """An assessment as the job stores it, scored by the real scorecard (no job: the numbers are given)."""
    with session_scope(engine) as s:
        if inputs:
            set_inputs(s, analyst, project_id, inputs)
        stored = get_inputs(s, analyst, project_id).inputs
        row = FeasibilityAssessment(project_id=project_id, dataset_id=dataset_id, created_by_id=analyst.id, target="y",
                                    task="binary", metric="roc_auc", verdict="not_ready", measurements=m)
        _apply_scorecard(row, stored, rules or ScoringRules())
        s.add(row)
        s.flush()
        return row.id


def test_portfolio_ranks_by_score_then_expected_value_and_follows_input_changes(settings, engine, analyst, project):
    ds = ingest_file(engine, settings, analyst, project.id, SAMPLE_DATA / "churn.csv")
    no_impact = ScoringRules.from_overrides({"impact": 0})  # equal scores, so expected value breaks the tie
    strong = measurements(readiness__n_leakage=0, lift__normalised_ci_low=0.45)
    ids = {}
    for name, m, inputs in [
        ("Small win", strong, {"decisions_per_month": 100, "value_per_decision": 10, "status_quo_accuracy": 0.8}),
        ("Big win", strong, {"decisions_per_month": 10_000, "value_per_decision": 10, "status_quo_accuracy": 0.8}),
        ("Weak", measurements(), None),
    ]:
        pid = new_project(engine, analyst, name)
        ids[name] = pid
        _store(engine, analyst, pid, ds.id, m, inputs, no_impact)
    new_project(engine, analyst, "Not yet")
    with session_scope(engine) as s:
        entries = portfolio(s, analyst)
    names = [e.project_name for e in entries]
    assert names == ["Big win", "Small win", "Weak", "Churn", "Not yet"]
    assert [e.rank for e in entries] == [1, 2, 3, 4, 5]
    big, small = entries[0], entries[1]
    assert big.score == small.score and big.expected_value_per_month == pytest.approx(10_000 * 0.05 * 10)
    assert big.verdict == "go" and big.components["impact"] is not None and entries[3].verdict == "not_assessed"
    json.dumps([e.model_dump(mode="json") for e in entries])

    # an input change re-scores the stored assessment: the portfolio moves without a new job
    with session_scope(engine) as s:
        set_inputs(s, analyst, ids["Small win"], {"decisions_per_month": 50_000})
        entries = portfolio(s, analyst)
        assert [e.project_name for e in entries][:2] == ["Small win", "Big win"]
        assert latest_assessment(s, analyst, ids["Small win"]).expected_value_per_month == pytest.approx(50_000 * 0.05 * 10)
        s.get(Project, ids["Weak"]).archived = True
    with session_scope(engine) as s:
        assert "Weak" not in [e.project_name for e in portfolio(s, analyst)]
        assert "Weak" in [e.project_name for e in portfolio(s, analyst, include_archived=True)]
