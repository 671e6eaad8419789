"""Backpressure: per-user concurrent-job limit and the largest budget per job."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from automl_canvas.auth.users import ensure_user
from automl_canvas.datasets.service import ingest_file
from automl_canvas.db import session_scope
from automl_canvas.errors import QuotaExceededError
from automl_canvas.jobs import queue
from automl_canvas.models import Job
from automl_canvas.projects import add_member
from automl_canvas.runner.worker import Worker
from automl_canvas.services.training import submit_training
from automl_canvas.training.spec import TrainingRequest

from .conftest import SAMPLE_DATA, make_settings
from .helpers import job

pytestmark = pytest.mark.db


@pytest.fixture
def limited(tmp_path, pg_database_url, engine):
    return make_settings(tmp_path / "home", pg_database_url, max_concurrent_jobs_per_user=2, max_budget_seconds=30)


@pytest.fixture
def dataset(limited, engine, analyst, project):
    return ingest_file(engine, limited, analyst, project.id, SAMPLE_DATA / "churn.csv")


def _count_jobs(engine) -> int:
    with session_scope(engine) as s:
        return s.execute(sa.select(sa.func.count()).select_from(Job)).scalar_one()


def _busy(engine, user, n):
    with session_scope(engine) as s:
        return [queue.enqueue(s, kind="diagnostic", payload={}, created_by_id=user.id, time_limit_seconds=60).id
                for _ in range(n)]


def test_budget_above_the_limit_is_refused_and_nothing_is_queued(limited, engine, analyst, dataset):
    with pytest.raises(QuotaExceededError) as err:
        submit_training(engine, limited, analyst, dataset.id, TrainingRequest(target="churned", budget="standard"))
    assert "300 s is more than the 30 s one job may use" in err.value.message
    assert "AUTOML_CANVAS_MAX_BUDGET_SECONDS" in err.value.message
    assert err.value.details == {"limit": 30, "requested": 300}
    assert _count_jobs(engine) == 0
    assert submit_training(engine, limited, analyst, dataset.id, TrainingRequest(target="churned", budget=30)).id


def test_concurrent_jobs_per_user_are_limited_and_any_job_kind_counts(limited, engine, analyst, dataset):
    _busy(engine, analyst, 1)  # a job of another kind counts too
    first = submit_training(engine, limited, analyst, dataset.id, TrainingRequest(target="churned", budget=5))
    with pytest.raises(QuotaExceededError) as err:
        submit_training(engine, limited, analyst, dataset.id, TrainingRequest(target="churned", budget=5))
    msg = err.value.message
    assert "ana already has 2 jobs queued or running; the limit is 2 per user" in msg
    assert "cancel one" in msg and err.value.code == "quota_exceeded"
    assert err.value.details == {"limit": 2, "current": 2}
    # Other users are not held back by ana's jobs.
    with session_scope(engine) as s:
        bob = ensure_user(s, "bob", ("analyst",), "Bob")
        add_member(s, analyst, dataset.project_id, "bob", "editor")  # the project is private: bob joins it first
    assert submit_training(engine, limited, bob, dataset.id, TrainingRequest(target="churned", budget=5)).id
    # A finished (here: cancelled) job frees its place.
    with session_scope(engine) as s:
        queue.request_cancel(s, first.id)
    assert submit_training(engine, limited, analyst, dataset.id, TrainingRequest(target="churned", budget=5)).id


def test_simultaneous_submissions_never_slip_past_the_limit(limited, engine, analyst, dataset):
    outcomes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(4)

    def submit():
        start.wait()
        try:
            submit_training(engine, limited, analyst, dataset.id, TrainingRequest(target="churned", budget=5))
            result = "queued"
        except QuotaExceededError:
            result = "refused"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["queued", "queued", "refused", "refused"]
    assert _count_jobs(engine) == 2


@pytest.mark.slow
def test_evidence_queued_by_a_training_job_is_not_refused(tmp_path, pg_database_url, engine, analyst, project):
    one = make_settings(tmp_path / "home", pg_database_url, max_concurrent_jobs_per_user=1, job_time_limit_grace_seconds=600,
                        cv_max_rows=100, refit_full=False, ensemble=False)  # a light training job: the point is what it queues
    ds = ingest_file(engine, one, analyst, project.id, SAMPLE_DATA / "churn.csv")
    queued = submit_training(engine, one, analyst, ds.id, TrainingRequest(target="churned", budget=3))
    Worker(one, engine=engine).run(once=True)  # the training job only
    done = job(engine, queued.id)
    assert done.status == "succeeded", done.error
    assert job(engine, done.result["evidence_job_id"]).status == "queued"
    # ...and while it waits, the user is at the limit.
    with pytest.raises(QuotaExceededError):
        submit_training(engine, one, analyst, ds.id, TrainingRequest(target="churned", budget=3))
