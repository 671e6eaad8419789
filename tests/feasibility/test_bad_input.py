"""Requests that cannot be assessed are refused before anything is queued, with a clear message."""

from __future__ import annotations

import pandas as pd
import pytest

from automl_canvas.auth.users import ensure_user
from automl_canvas.datasets.service import ingest_file
from automl_canvas.db import session_scope
from automl_canvas.errors import NotFoundError, PermissionDeniedError, TrainingConfigError, ValidationError
from automl_canvas.feasibility import FeasibilityRequest, submit_feasibility
from automl_canvas.jobs.queue import list_jobs

from ..conftest import SAMPLE_DATA
from .helpers import new_project


@pytest.fixture
def churn(settings, engine, analyst, project):
    return ingest_file(engine, settings, analyst, project.id, SAMPLE_DATA / "churn.csv")


@pytest.mark.parametrize(
    ("request_fields", "error", "message"),
    [
        ({"target": "churn_flag"}, TrainingConfigError, "The target column 'churn_flag' does not exist"),
        ({"target": "churned", "budget": "forever"}, TrainingConfigError, "time budget 'forever' is not understood"),
        ({"target": "churned", "task": "regression"}, TrainingConfigError, "cannot be predicted as a number"),
        ({"target": "churned", "max_rows": 10}, ValidationError, "too small to judge"),
        ({"target": "churned", "excluded_columns": ["nope"]}, TrainingConfigError, "excluded column 'nope' does not exist"),
    ],
)
def test_bad_requests_are_refused_and_nothing_is_queued(settings, engine, analyst, project, churn, request_fields, error, message):
    with pytest.raises(error, match=message):
        submit_feasibility(engine, settings, analyst, project.id, FeasibilityRequest(dataset_id=churn.id, **request_fields))
    with session_scope(engine) as s:
        assert list_jobs(s) == []


def test_a_single_valued_target_and_another_projects_dataset(settings, engine, analyst, project, churn, tmp_path):
    path = tmp_path / "flat.csv"
    pd.DataFrame({"x": range(30), "y": ["same"] * 30}).to_csv(path, index=False)
    flat = ingest_file(engine, settings, analyst, project.id, path)
    with pytest.raises(TrainingConfigError, match="single value"):
        submit_feasibility(engine, settings, analyst, project.id, FeasibilityRequest(dataset_id=flat.id, target="y"))
    other = new_project(engine, analyst, "Other")
    with pytest.raises(ValidationError, match=f"Dataset {churn.id} belongs to another project"):
        submit_feasibility(engine, settings, analyst, other, FeasibilityRequest(dataset_id=churn.id, target="churned"))
    with pytest.raises(NotFoundError, match="Dataset 404 does not exist"):
        submit_feasibility(engine, settings, analyst, project.id, FeasibilityRequest(dataset_id=404, target="churned"))
    with pytest.raises(NotFoundError, match="Project 77 does not exist"):
        submit_feasibility(engine, settings, analyst, 77, FeasibilityRequest(dataset_id=churn.id, target="churned"))


def test_only_analysts_and_scientists_run_assessments(settings, engine, project, churn):
    with session_scope(engine) as s:
        admin = ensure_user(s, "root", ("admin",))
    with pytest.raises(PermissionDeniedError, match="feasibility.run"):
        submit_feasibility(engine, settings, admin, project.id, FeasibilityRequest(dataset_id=churn.id, target="churned"))
