"""One real world shared by the API tests (training is the expensive part, so it happens once):

users of every role with API tokens, the churn sample ingested, three tiny LightGBM versions
trained by a real worker (A: approved with evidence; B: trained for the release flow; C: left draft).
On ``--db postgresql`` the world gets its own database, so other tests' truncation cannot touch it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from automl_canvas.datasets.service import ingest_file
from automl_canvas.db import init_db, make_engine, session_scope
from automl_canvas.evidence.service import submit_evidence
from automl_canvas.models import ProjectCreate
from automl_canvas.projects import create_project
from automl_canvas.review import approve, claim, share
from automl_canvas.services.training import submit_training
from automl_canvas.training.spec import TrainingRequest
from tests.conftest import SAMPLE_DATA, make_settings, temporary_pg_database
from tests.helpers import job, run_queued_jobs, users_with_tokens

ROLES = {"ana": ("analyst",), "sam": ("scientist",), "sky": ("scientist",), "dee": ("deployer",), "root": ("admin",)}
#: one user per role for the authorisation matrix
BY_ROLE = {"analyst": "ana", "scientist": "sam", "deployer": "dee", "admin": "root"}


@dataclass
class World:
    settings: object
    engine: object
    users: dict
    tokens: dict
    project_id: int
    dataset_id: int
    approved_id: int
    release_id: int
    draft_id: int
    extra: dict = field(default_factory=dict)

    def headers(self, username: str | None) -> dict:
        return {"Authorization": f"Bearer {self.tokens[username]}"} if username else {}


def _train(engine, settings, actor, dataset_id, seed: int) -> int:
    request = TrainingRequest(target="churned", budget=2, learners=["lgbm"], sensitive_columns=["senior_citizen"],
                              excluded_columns=["customer_id"], seed=seed)
    return submit_training(engine, settings, actor, dataset_id, request).id


@pytest.fixture(scope="session")
def world(tmp_path_factory, db_backend):
    # One OpenMP thread per job process: on a shared 2-core machine, spinning thread pools make
    # the default model's fits crawl (the worker's children inherit this).
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    databases = temporary_pg_database() if db_backend == "postgresql" else None
    url = next(databases) if databases else None
    root = tmp_path_factory.mktemp("api")
    sample = root / "churn.csv"  # 800 real rows of the sample: enough for a model, light on the CPU
    pd.read_csv(SAMPLE_DATA / "churn.csv", nrows=800).to_csv(sample, index=False)
    settings = make_settings(root / "home", url, evidence_after_training=False, cv_max_rows=100, refit_full=False, ensemble=False,
                             fairness_bootstrap=20, shap_max_rows=200, webhook_backoff_seconds=0.3,
                             webhook_poll_seconds=0.2, webhook_timeout_seconds=3,
                             # the webhook tests' receivers listen on 127.0.0.1, which the default settings refuse
                             webhook_allowed_networks=["127.0.0.0/8"])
    engine = make_engine(settings)
    init_db(engine)
    with session_scope(engine) as s:
        users, tokens = users_with_tokens(s, settings, ROLES, "api tests")
        project = create_project(s, users["ana"], ProjectCreate(name="Churn", question="Who will cancel next month?",
                                                                decision="Who gets a retention call"))
    ds = ingest_file(engine, settings, users["ana"], project.id, sample)
    job_ids = [_train(engine, settings, users["ana"], ds.id, seed) for seed in (7, 8, 9)]
    run_queued_jobs(settings, engine)
    version_ids = []
    for jid in job_ids:
        j = job(engine, jid)
        assert j.status == "succeeded", j.error
        version_ids.append(j.result["version_id"])
    a, b, c = version_ids
    ev = submit_evidence(engine, settings, users["ana"], a)
    run_queued_jobs(settings, engine)
    assert job(engine, ev.id).status == "succeeded", job(engine, ev.id).error
    with session_scope(engine) as s:
        share(s, settings, users["ana"], a, "please review")
        claim(s, users["sam"], a)
        approve(s, settings, users["sam"], a, "fine for a pilot", override_justification="pilot with monitoring")
    yield World(settings, engine, users, tokens, project.id, ds.id, a, b, c)
    engine.dispose()
    if databases is not None:
        next(databases, None)


@pytest.fixture(scope="session")
def app(world):
    from apps.api import create_app

    return create_app(world.settings, engine=world.engine)


@pytest.fixture(scope="session")
def client(app):
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
