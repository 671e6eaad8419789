"""One real deployed model for the monitoring tests: the Pima diabetes table, a tiny FLAML search by a real
worker, shared, approved and deployed through the review workflow, behind the real approval API.

Built once per test session (:func:`flywheel_snapshot`: training is the slow part) and copied for each test
module that asks for :func:`flywheel` (``tests/monitoring`` and the Monitoring pages' AppTests in ``tests/apps``,
hence here rather than in one folder's conftest): a module may change its copy freely.  PostgreSQL runs get a
database of their own per copy.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from automl_canvas.datasets.service import ingest_file
from automl_canvas.db import make_engine, session_scope
from automl_canvas.models import ProjectCreate
from automl_canvas.projects import add_member, create_project
from automl_canvas.review import approve, claim, record_deployment, share
from automl_canvas.services.training import submit_training
from automl_canvas.training.spec import TrainingRequest

from .conftest import SHARED_DATASETS, make_settings, migrated_engine, shared_dataset, temporary_pg_database
from .helpers import WorldSnapshot, job, run_queued_jobs, users_with_tokens

__all__ = ["FEATURES", "PIMA", "TARGET", "USERS", "Flywheel", "flywheel", "flywheel_snapshot"]

PIMA = SHARED_DATASETS / "pima_diabetes.csv"
TARGET = "class"
FEATURES = ["preg", "plas", "pres", "skin", "insu", "mass", "pedi", "age"]
USERS = {"ana": ("analyst",), "sam": ("scientist",), "sky": ("scientist",), "dee": ("deployer",), "root": ("admin",)}


@dataclass
class Flywheel:
    settings: object
    engine: object
    client: TestClient
    users: dict
    tokens: dict
    project_id: int
    deployed_id: int
    draft_id: int
    data: pd.DataFrame
    extra: dict = field(default_factory=dict)

    def headers(self, username: str) -> dict:
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    def predict(self, rows: pd.DataFrame, request_id: str, user: str = "dee") -> dict:
        """Score ``rows`` through the approval API, logged under ``request_id`` by the API's batched writer (sending
        feedback writes the batch first; :meth:`flush_log` does it without)."""
        r = self.client.post(f"/api/v1/model-versions/{self.deployed_id}/predict", headers=self.headers(user),
                             json={"records": rows[FEATURES].to_dict(orient="records"), "request_id": request_id})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["request_id"] == request_id == r.headers["x-request-id"] and body["logged"] is True
        return body

    def flush_log(self) -> int:
        return self.client.app.state.canvas.prediction_log.flush()

    def feedback(self, request_id: str, labels: list, user: str = "ana") -> dict:
        """The true outcomes of the predictions logged under ``request_id``, in order, through the API."""
        items = [{"request_id": request_id, "row": i, "actual": y} for i, y in enumerate(labels)]
        r = self.client.post(f"/api/v1/model-versions/{self.deployed_id}/feedback", headers=self.headers(user),
                             json={"feedback": items})
        assert r.status_code == 200, r.text
        return r.json()

    def run_jobs(self) -> None:
        run_queued_jobs(self.settings, self.engine)

    def env(self) -> dict[str, str]:
        """What a Streamlit app needs in its environment to open this world (jobs it queues get the same
        generous time limit as the ones queued here: the test worker runs them on a busy 2-core machine)."""
        return {"AUTOML_CANVAS_HOME": str(self.settings.home), "AUTOML_CANVAS_DATABASE_URL": self.settings.database_url,
                "AUTOML_CANVAS_JOB_TIME_LIMIT_GRACE_SECONDS": str(self.settings.job_time_limit_grace_seconds)}


def _train(engine, settings, actor, dataset_id, seed):
    return submit_training(engine, settings, actor, dataset_id,
                           TrainingRequest(target=TARGET, budget=2, learners=["lgbm"], seed=seed)).id


def _settings(home, url):
    return make_settings(home, url, evidence_after_training=False, cv_max_rows=100, refit_full=False, ensemble=False,
                         monitoring_min_rows=100, monitoring_min_labelled_rows=30, monitoring_log_flush_seconds=0.2,
                         job_time_limit_grace_seconds=1200,
                         webhook_allowed_networks=["127.0.0.0/8"])  # its webhook receiver listens on 127.0.0.1


@dataclass(frozen=True)
class _Built:
    snapshot: WorldSnapshot
    users: dict
    tokens: dict
    project_id: int
    deployed_id: int
    draft_id: int


@pytest.fixture(scope="session")
def flywheel_snapshot(tmp_path_factory, db_backend):
    """The world built once: two tiny models trained on Pima, the first shared, approved and deployed."""
    shared_dataset(PIMA)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    databases = temporary_pg_database() if db_backend == "postgresql" else None
    url = next(databases) if databases else None
    home = tmp_path_factory.mktemp("monitoring-built") / "home"
    settings = _settings(home, url)
    engine = migrated_engine(settings)
    with session_scope(engine) as s:
        users, tokens = users_with_tokens(s, settings, USERS, "monitoring tests")
        project = create_project(s, users["ana"], ProjectCreate(name="Diabetes", question="Who will test positive?"))
        # sam monitors and retrains this project's models (a scientist outside it would only review shared ones)
        add_member(s, users["ana"], project.id, "sam", "editor")
    dataset = ingest_file(engine, settings, users["ana"], project.id, PIMA)
    job_ids = [_train(engine, settings, users["ana"], dataset.id, seed) for seed in (1, 2)]
    run_queued_jobs(settings, engine)
    deployed_id, draft_id = (job(engine, j).result["version_id"] for j in job_ids)
    with session_scope(engine) as s:
        share(s, settings, users["ana"], deployed_id, "Screening model")
        claim(s, users["sam"], deployed_id)
        approve(s, settings, users["sam"], deployed_id, "Fine for a pilot", override_justification="pilot with monitoring")
        record_deployment(s, users["dee"], deployed_id, "production", "release-1")
    engine.dispose()  # at rest from here on: copies are made from its files and database
    yield _Built(WorldSnapshot(home, url), users, tokens, project.id, deployed_id, draft_id)
    if databases is not None:
        next(databases, None)


@pytest.fixture(scope="module")
def flywheel(flywheel_snapshot, tmp_path_factory):
    """This module's own copy of the built world, served by the real approval API."""
    built = flywheel_snapshot
    home = tmp_path_factory.mktemp("monitoring") / "home"
    with built.snapshot.copy(home) as url:
        settings = _settings(home, url)
        engine = make_engine(settings)
        from apps.api import create_app

        with TestClient(create_app(settings, engine=engine), raise_server_exceptions=False) as client:
            yield Flywheel(settings, engine, client, built.users, built.tokens, built.project_id, built.deployed_id,
                           built.draft_id, pd.read_csv(PIMA))
        engine.dispose()
