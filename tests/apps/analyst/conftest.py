"""A real world for the analyst app's AppTests: a migrated database, ana, a project with the churn sample and
one tiny trained model with its evidence, built once per test session (training is the slow part)."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st

from automl_canvas.auth.users import ensure_user
from automl_canvas.config import get_settings
from automl_canvas.datasets.service import ingest_file
from automl_canvas.db import init_db, make_engine, session_scope
from automl_canvas.jobs.service import get_job_for
from automl_canvas.models import ProjectCreate
from automl_canvas.projects import create_project
from automl_canvas.registry.service import list_versions
from automl_canvas.services.training import submit_training
from automl_canvas.training.spec import TrainingRequest

from ...conftest import SAMPLE_DATA, make_settings, truncate_all
from ...helpers import run_queued_jobs

APP = Path(__file__).resolve().parents[3] / "apps" / "analyst" / "app.py"


class World:
    def __init__(self, settings, engine, user, project, dataset, version):
        self.settings, self.engine, self.user, self.project, self.dataset, self.version = (
            settings, engine, user, project, dataset, version)


@pytest.fixture(scope="session")
def analyst_world(tmp_path_factory, pg_database_url):
    # A loaded 2-core CI box can take minutes to start FLAML's child process: no wall-clock kill here.
    settings = make_settings(tmp_path_factory.mktemp("analyst-app") / "home", pg_database_url,
                             job_time_limit_grace_seconds=900, shap_max_rows=300, fairness_bootstrap=20,
                             cv_max_rows=100, refit_full=False, ensemble=False)  # light: no CV, one model
    engine = make_engine(settings)
    if engine.dialect.name == "postgresql":
        truncate_all(engine)
    else:
        init_db(engine)
    with session_scope(engine) as s:
        user = ensure_user(s, "ana", ("analyst",), "Ana Analyst")
    with session_scope(engine) as s:
        project = create_project(s, user, ProjectCreate(name="Churn", question="Who will leave?",
                                                        decision="Who gets a call", success_criterion="Half of calls"))
    dataset = ingest_file(engine, settings, user, project.id, SAMPLE_DATA / "churn.csv")
    job = submit_training(engine, settings, user, dataset.id, TrainingRequest(target="churned", budget=2, learners=["lgbm"]))
    run_queued_jobs(settings, engine)  # the training job, then the evidence job it queues
    with session_scope(engine) as s:
        versions = list_versions(s, user, project.id)
        assert versions, f"the training job did not produce a model: {get_job_for(s, user, job.id).error}"
        version = versions[-1]
    yield World(settings, engine, user, project, dataset, version)
    engine.dispose()


@pytest.fixture
def app(analyst_world, monkeypatch):
    """An AppTest of the whole analyst app, signed in as ana with the churn project picked."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("AUTOML_CANVAS_HOME", str(analyst_world.settings.home))
    monkeypatch.setenv("AUTOML_CANVAS_DATABASE_URL", analyst_world.settings.database_url)
    get_settings.cache_clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["canvas_user_id"] = analyst_world.user.id
    at.session_state["project_id"] = analyst_world.project.id
    yield at
    get_settings.cache_clear()
    st.cache_resource.clear()


def open_page(at, page: str):
    at.run()
    at.switch_page(f"pages/{page}.py")
    return at.run()
