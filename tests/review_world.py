"""One real review world per test session: a model trained on the loans sample, explained, shared, mitigated,
reproduced, and a mitigated candidate approved and deployed.  Built with the core's service functions and a
real worker (no mocks); read by the core's review-detail tests and the scientist dashboard's AppTests.

Building it trains once and runs a handful of small jobs, so it is session-scoped; tests that change it
(claims, decisions) use the versions meant for that and say so.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from automl_canvas.config import Settings
from automl_canvas.db import session_scope
from automl_canvas.models import UserPublic

#: Same password as the browser tests' demo users.
DEMO_PASSWORD = "demo-password-for-tests"
LOANS = Path(__file__).resolve().parents[1] / "sample_data" / "loans.csv"

__all__ = ["DEMO_PASSWORD", "ReviewWorld", "build_review_world", "review_world", "worker_settings"]


@dataclass
class ReviewWorld:
    settings: Settings
    engine: object
    users: dict[str, UserPublic]
    project_id: int
    dataset_id: int
    #: v1: gender used as a feature, shared by ana, pending review (the app tests claim and decide on it).
    shared_id: int
    #: mitigated candidate of v1 (by sky), approved with an override by sam and deployed to "production" by dee.
    deployed_id: int
    #: a second mitigated candidate, approved and not deployed (the revoke test revokes it).
    approved_id: int
    #: a third one, made by sky, shared by sky and claimed by sam: in review (sky may never approve it).
    in_review_id: int
    extra: dict = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        return {"AUTOML_CANVAS_HOME": str(self.settings.home), "AUTOML_CANVAS_DATABASE_URL": self.settings.database_url}


def worker_settings(settings: Settings, **overrides) -> Settings:
    """Settings to queue and run jobs in tests: small evidence, and a generous hard limit on a busy 2-core machine."""
    values = {"fairness_bootstrap": 50, "shap_max_rows": 300, "job_time_limit_grace_seconds": 2400}
    values.update(overrides)
    return settings.model_copy(update=values)


def build_review_world(home: Path, database_url: str | None, rows: int = 400) -> ReviewWorld:
    from automl_canvas import review
    from automl_canvas.auth.bootstrap import seed_demo_users
    from automl_canvas.auth.users import get_user
    from automl_canvas.datasets.service import ingest_file
    from automl_canvas.evidence.mitigation import submit_mitigation
    from automl_canvas.models import ProjectCreate
    from automl_canvas.projects import create_project
    from automl_canvas.registry.service import list_versions
    from automl_canvas.services.training import submit_training
    from automl_canvas.training.spec import TrainingRequest

    from .conftest import make_settings, migrated_engine
    from .helpers import job as get_job
    from .helpers import run_queued_jobs

    # One OpenMP thread per job process: on a shared 2-core machine spinning threads slow the jobs tenfold.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    # Job time limits are fixed when a job is queued, so the generous limit is in the settings used to submit too.
    # A small sample keeps the session quick; groups of 10 rows still count in its 20 % holdout.
    settings = worker_settings(make_settings(home, database_url, demo_password=DEMO_PASSWORD, fairness_min_group_size=10))
    engine = migrated_engine(settings)
    worker = settings
    with session_scope(engine) as s:
        seed_demo_users(s, settings)
        users = {u: get_user(s, u) for u in ("ana", "sam", "sky", "dee")}
        project = create_project(s, users["ana"], ProjectCreate(name="Loans", question="Will this loan be approved?"))
        # The project's own rule: no gap at all in selection rates by gender (so v1 fails a check for sure).
        review.set_project_policy(s, users["sky"], project.id, {"max_disparity_by_column": {"gender": 0.0}})
    sample = home / "loans-sample.csv"
    pd.read_csv(LOANS).head(rows).to_csv(sample, index=False)
    dataset = ingest_file(engine, settings, users["ana"], project.id, sample, "loans.csv")
    submit_training(engine, settings, users["ana"], dataset.id, TrainingRequest(
        target="approved", budget=3, sensitive_columns=["gender"], use_sensitive_as_features=True))
    run_queued_jobs(worker, engine)
    with session_scope(engine) as s:
        v1 = list_versions(s, users["ana"], project_id=project.id)[0].id
        review.share(s, settings, users["ana"], v1, "Loan approvals, first try. Gender is a feature; is that acceptable?")
    mitigated = []
    for constraint in ("demographic_parity", "equalized_odds", "demographic_parity"):
        job = submit_mitigation(engine, settings, users["sky"], v1, "gender", constraint)
        run_queued_jobs(worker_settings(settings, evidence_after_training=False), engine)
        mitigated.append(get_job(engine, job.id).result["version_id"])
    review.submit_review_reproduce(engine, settings, users["sky"], v1)
    run_queued_jobs(worker, engine)
    for vid in mitigated:
        with session_scope(engine) as s:
            review.share(s, settings, users["sky"], vid, "Thresholds per gender group.")
            review.claim(s, users["sam"], vid)
            if vid == mitigated[2]:
                continue
            review.approve(s, settings, users["sam"], vid, "Disparity removed at a small cost.",
                           override_justification="Evidence for the mitigated candidate is the comparison with its parent.")
    with session_scope(engine) as s:
        review.record_deployment(s, users["dee"], mitigated[0], "production", "release-1")
    return ReviewWorld(settings, engine, users, project.id, dataset.id, v1, *mitigated)


@pytest.fixture(scope="session")
def review_world(tmp_path_factory, db_backend):
    if db_backend == "postgresql":
        from .conftest import temporary_pg_database

        databases = temporary_pg_database()
        url = next(databases)
    else:
        databases, url = None, None
    world = build_review_world(tmp_path_factory.mktemp("review-world") / "home", url)
    yield world
    world.engine.dispose()
    if databases is not None:
        next(databases, None)
