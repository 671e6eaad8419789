"""One real deployed model for the monitoring tests: the Pima diabetes table, a tiny FLAML search by a real
worker, shared, approved and deployed through the review workflow, behind the real approval API.

Module-scoped per test module that asks for it; PostgreSQL runs get a database of their own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from automl_canvas.auth.tokens import create_token
from automl_canvas.auth.users import ensure_user
from automl_canvas.datasets.service import ingest_file
from automl_canvas.db import init_db, make_engine, session_scope
from automl_canvas.models import ProjectCreate
from automl_canvas.projects import create_project
from automl_canvas.review import approve, claim, record_deployment, share
from automl_canvas.training.service import submit_training
from automl_canvas.training.spec import TrainingRequest
from tests.conftest import SHARED_DATASETS, make_settings, temporary_pg_database
from tests.helpers import job, run_queued_jobs

PIMA = SHARED_DATASETS / "pima_diabetes.csv"
TARGET = "class"
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

    def run_jobs(self) -> None:
        run_queued_jobs(self.settings, self.engine)


def _train(engine, settings, actor, dataset_id, seed):
    return submit_training(engine, settings, actor, dataset_id,
                           TrainingRequest(target=TARGET, budget=2, learners=["lgbm"], seed=seed)).id


@pytest.fixture(scope="module")
def flywheel(tmp_path_factory, db_backend):
    if not PIMA.exists():
        pytest.skip(f"needs the shared dataset {PIMA} (not present on this machine)")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    databases = temporary_pg_database() if db_backend == "postgresql" else None
    url = next(databases) if databases else None
    home = tmp_path_factory.mktemp("monitoring") / "home"
    settings = make_settings(home, url, evidence_after_training=False, cv_max_rows=100, refit_full=False,
                             monitoring_min_rows=100, monitoring_min_labelled_rows=30, monitoring_log_flush_seconds=0.2,
                             job_time_limit_grace_seconds=1200)
    engine = make_engine(settings)
    init_db(engine)
    users, tokens = {}, {}
    with session_scope(engine) as s:
        for name, roles in USERS.items():
            users[name] = ensure_user(s, name, roles, name.title())
            tokens[name] = create_token(s, settings, users[name], name="monitoring tests")[1]
        project = create_project(s, users["ana"], ProjectCreate(name="Diabetes", question="Who will test positive?"))
    dataset = ingest_file(engine, settings, users["ana"], project.id, PIMA)
    job_ids = [_train(engine, settings, users["ana"], dataset.id, seed) for seed in (1, 2)]
    run_queued_jobs(settings, engine)
    deployed_id, draft_id = (job(engine, j).result["version_id"] for j in job_ids)
    with session_scope(engine) as s:
        share(s, settings, users["ana"], deployed_id, "Screening model")
        claim(s, users["sam"], deployed_id)
        approve(s, settings, users["sam"], deployed_id, "Fine for a pilot", override_justification="pilot with monitoring")
        record_deployment(s, users["dee"], deployed_id, "production", "release-1")
    from apps.api import create_app

    with TestClient(create_app(settings, engine=engine), raise_server_exceptions=False) as client:
        yield Flywheel(settings, engine, client, users, tokens, project.id, deployed_id, draft_id, pd.read_csv(PIMA))
    engine.dispose()
    if databases is not None:
        next(databases, None)
