"""The dashboard's "Job queue" page: the whole queue in plain words for an admin, a clear refusal for a scientist.

A small world of its own (no trained model): a project, a running job claimed by a short-lane worker, two waiting
jobs (one of no project), the real app through Streamlit's AppTest, signed in as the sign-in form would.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from automl_canvas.auth.users import ensure_user
from automl_canvas.db import session_scope
from automl_canvas.jobs import queue
from tests.helpers import app_environment, open_app_test

from .conftest import texts

APP = Path(__file__).resolve().parents[3] / "apps" / "scientist" / "app.py"
PAGE = "pages/jobs.py"


@pytest.fixture
def queue_world(settings, engine, analyst, project):
    with session_scope(engine) as s:
        users = {"root": ensure_user(s, "root", ("admin",), "Root Admin"),
                 "sam": ensure_user(s, "sam", ("scientist",), "Sam Scientist")}

    def enqueue(kind, created_by, project_id=None, time_limit=600.0, **payload):
        with session_scope(engine) as s:
            return queue.enqueue(s, kind=kind, payload=payload, created_by_id=created_by.id, project_id=project_id,
                                 time_limit_seconds=time_limit).id

    # the running job is planned for its limit (300 s), the training job for its budget (120 s)
    ids = {"evidence": enqueue("evidence", analyst, project.id, time_limit=300.0, version_id=1),
           "train": enqueue("train", analyst, project.id, request={"budget": 120}),
           "diagnostic": enqueue("diagnostic", users["root"], seconds=30)}
    assert queue.claim_next(engine, "box:4242:short-1a2b3c", 60, ["evidence"]).id == ids["evidence"]
    with app_environment({"AUTOML_CANVAS_HOME": str(settings.home), "AUTOML_CANVAS_DATABASE_URL": settings.database_url}):
        yield users, ids


def test_the_admin_sees_every_running_and_waiting_job_in_plain_words(queue_world):
    users, ids = queue_world
    at = open_app_test(APP, users["root"].id, PAGE)
    assert not at.exception, at.exception
    assert at.title[0].value == "Job queue"
    assert {m.label: m.value for m in at.metric} == {"Running": "1", "Waiting": "2", "Busy workers": "1"}
    table = at.dataframe[0].value
    rows = {r["job"]: r for r in table.to_dict("records")}
    assert list(rows) == [f"#{ids['evidence']}", f"#{ids['train']}", f"#{ids['diagnostic']}"]  # running, then claim order
    run = rows[f"#{ids['evidence']}"]
    assert (run["kind"], run["project"], run["asked by"], run["worker"], run["lane"], run["attempt"]) == (
        "explanations and fairness", "Churn", "ana", "box:4242:short-1a2b3c", "short lane", "1 of 3")
    assert run["state"].startswith("running") and run["age"].startswith("running for ")
    assert run["position / estimate"].startswith("running now, about ")
    train = rows[f"#{ids['train']}"]
    assert (train["kind"], train["state"], train["worker"], train["lane"], train["attempt"]) == (
        "training", "waiting", "none yet", "a general worker", "1 of 3")
    assert train["age"].startswith("waiting for ")
    assert train["position / estimate"] == "#1: Yours is next, in about 5 minutes."
    diag = rows[f"#{ids['diagnostic']}"]
    assert (diag["project"], diag["asked by"]) == ("no project", "root")
    assert diag["position / estimate"] == "#2: 1 job ahead of yours, about 7 minutes."  # ~300 s left + 120 s
    shown = table.to_string() + texts(at)
    assert "None" not in shown and "nan" not in shown


def test_a_scientist_is_told_the_queue_is_for_admins(queue_world):
    users, _ = queue_world
    at = open_app_test(APP, users["sam"].id, PAGE)
    assert not at.exception, at.exception
    assert at.title[0].value == "Job queue"
    assert any("The job queue is for administrators" in w.value for w in at.warning), [w.value for w in at.warning]
    assert not at.dataframe and not at.metric
