"""Fixtures that build a whole, real world per test: settings on a temp dir, a
migrated database (SQLite file, or the local PostgreSQL with ``--db postgresql``),
a user and a project.  Nothing here is a mock.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from automl_canvas.config import Settings
from automl_canvas.db import init_db, make_engine, session_scope

REPO = Path(__file__).resolve().parents[1]
SHARED_DATASETS = REPO.parent / "shared" / "datasets"
SAMPLE_DATA = REPO / "sample_data"
PG_ADMIN_URL = os.environ.get("AUTOML_CANVAS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def pytest_addoption(parser):
    parser.addoption(
        "--db",
        choices=("sqlite", "postgresql"),
        default=os.environ.get("AUTOML_CANVAS_TEST_DB", "sqlite"),
        help="database backend the suite runs against",
    )


#: Fixtures through which a test reaches the database: every world builder asks for one of them.
_DB_FIXTURES = frozenset({"pg_database_url", "db_backend"})


def pytest_collection_modifyitems(config, items):
    """On ``--db postgresql``, run only the tests that reach the database.

    The PostgreSQL pass exists to test the production database path (queries, locking, concurrency);
    a test that builds no database (pure rules, parsing, plots, the rule tables) gains nothing from a
    second run, so it is deselected here, found from the fixtures it uses rather than from markers a
    new test could forget.
    """
    if config.getoption("--db") != "postgresql":
        return
    keep, drop = [], []
    for item in items:
        (keep if _DB_FIXTURES & set(getattr(item, "fixturenames", ())) or item.get_closest_marker("postgres") else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session")
def db_backend(request) -> str:
    return request.config.getoption("--db")


def temporary_pg_database():
    """Generator: create a throwaway, migrated PostgreSQL database, yield its URL, drop it afterwards."""
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"canvas_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as c:
            c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:  # pragma: no cover - environment problem
        pytest.exit(f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {exc}", returncode=3)
    url = sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    migrated = make_engine(Settings(home=Path("/tmp"), database_url_override=url))
    init_db(migrated)
    migrated.dispose()
    yield url
    with admin.connect() as c:
        c.execute(sa.text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture(scope="session")
def pg_database_url(db_backend):
    """A throwaway PostgreSQL database for this test session (dropped at the end)."""
    if db_backend != "postgresql":
        yield None
        return
    yield from temporary_pg_database()


def make_settings(home: Path, database_url: str | None, **overrides) -> Settings:
    values = dict(
        home=home,
        database_url_override=database_url,
        n_jobs=1,
        job_heartbeat_seconds=0.5,
        job_lease_seconds=10,
        job_poll_seconds=0.1,
        cv_folds=3,
        # a job asked to wrap up at its hard limit gets this long before it is killed (tests that need a
        # training job to finish after the request set more)
        job_wrap_up_grace_seconds=2,
    )
    values.update(overrides)
    s = Settings(**values)
    s.ensure_dirs()
    return s


@pytest.fixture
def settings(tmp_path, pg_database_url) -> Settings:
    return make_settings(tmp_path / "home", pg_database_url)


def truncate_all(target: sa.engine.Engine | str) -> None:
    """Empty every table of the session's PostgreSQL database (the schema stays migrated)."""
    eng = sa.create_engine(target) if isinstance(target, str) else target
    with eng.begin() as c:
        tables = c.execute(
            sa.text("SELECT tablename FROM pg_tables WHERE schemaname='public' AND tablename <> 'alembic_version'")
        ).scalars().all()
        if tables:
            c.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    if isinstance(target, str):
        eng.dispose()


@pytest.fixture
def engine(settings):
    eng = make_engine(settings)
    if eng.dialect.name == "postgresql":
        truncate_all(eng)
    else:
        init_db(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def analyst(engine):
    from automl_canvas.auth.users import ensure_user

    with session_scope(engine) as s:
        return ensure_user(s, "ana", ("analyst",), "Ana Analyst")


@pytest.fixture
def project(engine, analyst):
    from automl_canvas.models import ProjectCreate
    from automl_canvas.projects import create_project

    with session_scope(engine) as s:
        return create_project(s, analyst, ProjectCreate(name="Churn", question="Will this customer churn?"))


@pytest.fixture(autouse=True)
def _runner_main_module():
    """Give ``__main__`` back to the test runner after AppTests (see tests/helpers.restore_main_module)."""
    from .helpers import restore_main_module

    restore_main_module()
    yield
    restore_main_module()


def shared_dataset(name: str) -> Path:
    path = SHARED_DATASETS / name
    if not path.exists():
        pytest.skip(f"shared dataset {name} is not available at {SHARED_DATASETS}")
    return path


# Worlds built with the product: a deployed Pima diabetes model behind the approval API, one per test module
# (tests/monitoring_world.py); a trained, explained, shared model world built once per session (tests/review_world.py).
from .monitoring_world import flywheel  # noqa: F401
from .review_world import review_world  # noqa: F401
