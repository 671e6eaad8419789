"""One trained world per test session (training is the slow part), copied for each test module, which may
change its copy freely; each test gets fresh draft versions by registering the trained artifact again as a new
version (real rows, real digest-checked file)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest
from sqlmodel import select

from automl_canvas.auth.users import ensure_user
from automl_canvas.datasets.service import ingest_file
from automl_canvas.db import make_engine, session_scope
from automl_canvas.models import Evidence, ModelVersion, ProjectCreate
from automl_canvas.projects import create_project
from automl_canvas.registry.service import next_version_number
from automl_canvas.services.training import submit_training
from automl_canvas.training.spec import TrainingRequest

from ..conftest import SAMPLE_DATA, make_settings, migrated_engine, temporary_pg_database
from ..helpers import WorldSnapshot, job, run_queued_jobs


@dataclass
class World:
    settings: object
    engine: object
    analyst: object
    analyst2: object
    sam: object
    sky: object
    deployer: object
    admin: object
    project: object
    dataset_id: int
    trained_id: int  # loans, gender sensitive and used as a feature: fails the fairness check

    def fresh_version(self, *, created_by=None, template: int | None = None) -> int:
        """A new draft version with the trained artifact and a copy of its evidence."""
        with session_scope(self.engine) as s:
            src = s.get(ModelVersion, template or self.trained_id)
            data = src.model_dump(exclude={"id", "version", "status", "shared_by_id", "claimed_by_id", "claimed_at", "state_version",
                                           "status_changed_at", "created_at", "leakage_suspects", "responds_to_version_id"})
            if created_by is not None:
                data["created_by_id"], data["job_id"] = created_by.id, None
            row = ModelVersion(**data, version=next_version_number(s, src.project_id))
            s.add(row)
            s.flush()
            for ev in s.exec(select(Evidence).where(Evidence.version_id == src.id, Evidence.candidate == 0)).all():
                s.add(Evidence(version_id=row.id, kind=ev.kind, candidate=0, summary=ev.summary, files=ev.files))
            return row.id


def _settings(home, database_url):
    return make_settings(home, database_url, fairness_bootstrap=30, shap_max_rows=200, job_time_limit_grace_seconds=900)


def build_world(tmp_path_factory, pg_database_url, request_kwargs: dict) -> World:
    """Train the world on the loans sample (on PostgreSQL in the database at ``pg_database_url``, emptied first)."""
    home = tmp_path_factory.mktemp("governance")
    settings = _settings(home, pg_database_url)
    engine = migrated_engine(settings)
    with session_scope(engine) as s:
        users = {
            "analyst": ensure_user(s, "ana", ("analyst",), "Ana"),
            "analyst2": ensure_user(s, "bob", ("analyst",), "Bob"),
            "sam": ensure_user(s, "sam", ("scientist",), "Sam"),
            "sky": ensure_user(s, "sky", ("scientist",), "Sky"),
            "deployer": ensure_user(s, "dee", ("deployer",), "Dee"),
            "admin": ensure_user(s, "root", ("admin", "scientist"), "Root"),
        }
        project = create_project(s, users["analyst"], ProjectCreate(name="Loans", question="Will the loan be repaid?"))
    ds = ingest_file(engine, settings, users["analyst"], project.id, SAMPLE_DATA / "loans.csv")
    queued = submit_training(engine, settings, users["analyst"], ds.id, TrainingRequest(**request_kwargs))
    run_queued_jobs(settings, engine)
    done = job(engine, queued.id)
    assert done.status == "succeeded", done.error
    return World(settings, engine, project=project, dataset_id=ds.id, trained_id=done.result["version_id"], **users)


@pytest.fixture(scope="session")
def governance_snapshot(tmp_path_factory, db_backend):
    """The trained world, built once per session (in a PostgreSQL database of its own) and then left at rest."""
    databases = temporary_pg_database() if db_backend == "postgresql" else None
    url = next(databases) if databases else None
    w = build_world(tmp_path_factory, url, {"target": "approved", "budget": 2, "sensitive_columns": ["gender"],
                                            "use_sensitive_as_features": True, "learners": ["lgbm"]})
    w.engine.dispose()
    yield w, WorldSnapshot(w.settings.home, url)
    if databases is not None:
        next(databases, None)


@pytest.fixture(scope="module")
def world(governance_snapshot, tmp_path_factory):
    """This module's own copy of the trained world."""
    built, snapshot = governance_snapshot
    home = tmp_path_factory.mktemp("governance-copy") / "home"
    with snapshot.copy(home) as url:
        settings = _settings(home, url)
        engine = make_engine(settings)
        yield replace(built, settings=settings, engine=engine)
        engine.dispose()
