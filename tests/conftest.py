"""Fixtures that build a whole, real world per test: settings on a temp dir, a
migrated database (SQLite file, or the local PostgreSQL with ``--db postgresql``),
a user and a project.  Nothing here is a mock.

It also sorts the suite into tiers (see ``docs/development.md``):

- ``fast``: every test that is neither ``slow`` nor ``e2e`` (given here, not written on each test);
- ``slow``: trains a model, or drives real worker or server processes; a test that uses a world that trains
  (:data:`TRAINED_WORLDS`) is marked here, so a new test of such a world cannot forget it;
- ``e2e``: a real browser against running app servers;
- ``db``: exercises the data layer; the only tests the PostgreSQL pass (``--db postgresql``) runs.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from automl_canvas.config import Settings
from automl_canvas.db import init_db, make_engine, session_scope

REPO = Path(__file__).resolve().parents[1]
#: Real public tables shared beside the repository (``../shared/datasets``); AUTOML_CANVAS_TEST_DATASETS moves it.
SHARED_DATASETS = Path(os.environ.get("AUTOML_CANVAS_TEST_DATASETS") or REPO.parent / "shared" / "datasets")
SAMPLE_DATA = REPO / "sample_data"
PG_ADMIN_URL = os.environ.get("AUTOML_CANVAS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")

#: Fixtures that build a world by training models.  A test that uses one is ``slow``; under pytest-xdist every
#: test of one session-scoped world runs on the same worker process, so each world is built once per run.
TRAINED_WORLDS = frozenset({"world", "review_world", "analyst_world", "flywheel", "flywheel_snapshot",
                            "governance_snapshot"})


def pytest_addoption(parser):
    parser.addoption(
        "--db",
        choices=("sqlite", "postgresql"),
        default=os.environ.get("AUTOML_CANVAS_TEST_DB", "sqlite"),
        help="database backend the suite runs against (postgresql: only the tests marked db)",
    )


#: Where the workers of a pytest-xdist run write each test's group for the controller's scheduler (below).
_GROUPS_FILE = "AUTOML_CANVAS_TEST_GROUPS_FILE"


def pytest_configure(config):
    if not hasattr(config, "workerinput") and config.pluginmanager.hasplugin("xdist"):  # the controller
        folder = tempfile.mkdtemp(prefix="canvas-xdist-")
        atexit.register(shutil.rmtree, folder, True)
        os.environ[_GROUPS_FILE] = str(Path(folder) / "groups.json")  # the workers it starts inherit it


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadgroup`` by this suite's groups (see :func:`_group`): each trained world is built once per run.

    The workers collect; each writes {test id: group} to the file named in ``AUTOML_CANVAS_TEST_GROUPS_FILE``
    before it reports its collection, and the controller reads it when it splits the work.  (pytest-xdist's own
    loadgroup marks test ids with ``@group``, which pytest 9.2 no longer lets a plugin do.)  Groups are sent in
    collection order, which puts the slow ones first (``loadscope`` would reorder them by size).
    """
    if config.getoption("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SuiteGroups(LoadScopeScheduling):
        groups: dict[str, str] | None = None

        def _split_scope(self, nodeid: str) -> str:
            if self.groups is None:
                try:
                    self.groups = json.loads(Path(os.environ[_GROUPS_FILE]).read_text())
                except (KeyError, OSError, ValueError):
                    return nodeid.split("::", 1)[0]  # no map (yet): the module
            return self.groups.get(nodeid) or nodeid.split("::", 1)[0]

    config.option.loadscopereorder = False
    return SuiteGroups(config, log)


def _scope_of(item, name: str) -> str | None:
    defs = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {}).get(name)
    return defs[-1].scope if defs else None


def _group(item) -> str:
    """The xdist group of a test: its ``xdist_group`` mark, else the session-scoped world it reads, else its module
    (so module fixtures are built once).  The modules that start their own worker or server processes share the
    group ``processes``: on two cores, two of them at once starve each other's timed steps."""
    mark = item.get_closest_marker("xdist_group")
    if mark is not None:
        return str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
    for name in sorted(TRAINED_WORLDS & set(item.fixturenames)):
        if _scope_of(item, name) == "session":
            defs = item._fixtureinfo.name2fixturedefs[name]
            return f"{name}:{defs[-1].baseid or 'tests'}"
    return item.nodeid.split("::", 1)[0]


@pytest.hookimpl(tryfirst=True)  # before ``-m`` selects by the markers given here
def pytest_collection_modifyitems(config, items):
    """Give every test its tier and its xdist group, run the slow groups first, and on PostgreSQL keep only ``db``.

    The PostgreSQL pass exists to test the production database path (claims with SKIP LOCKED, leases and fencing,
    upserts, migrations, the audit chain, JSON and timezone-aware columns); the tests that exercise it are marked
    ``db`` (a ``postgres`` test is one), and everything else already ran on SQLite.
    """
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(pytest.mark.db)
        if TRAINED_WORLDS & set(item.fixturenames) and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)
        if not (item.get_closest_marker("slow") or item.get_closest_marker("e2e")):
            item.add_marker(pytest.mark.fast)
        # a browser test builds and reviews a model through the apps: more than the default 300 s under load
        if item.get_closest_marker("e2e") and not item.get_closest_marker("timeout") and config.pluginmanager.hasplugin("timeout"):
            item.add_marker(pytest.mark.timeout(900))
    groups = {item.nodeid: _group(item) for item in items}
    heavy = {groups[i.nodeid] for i in items if i.get_closest_marker("slow") or i.get_closest_marker("e2e")}
    # Slow groups start first so that two xdist workers finish together; the sort is stable, so tests keep their
    # order inside a group (some modules read what an earlier one left in a shared world).
    items.sort(key=lambda i: groups[i.nodeid] not in heavy)
    if hasattr(config, "workerinput") and os.environ.get(_GROUPS_FILE):  # an xdist worker: tell the scheduler
        target = Path(os.environ[_GROUPS_FILE])
        partial = target.with_name(f"{target.name}.{config.workerinput['workerid']}")
        partial.write_text(json.dumps(groups))
        os.replace(partial, target)
    if config.getoption("--db") == "postgresql":
        keep = [i for i in items if i.get_closest_marker("db")]
        drop = [i for i in items if not i.get_closest_marker("db")]
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep


@pytest.fixture(scope="session")
def db_backend(request) -> str:
    return request.config.getoption("--db")


def shared_dataset(name: str | Path) -> Path:
    """The path of a shared dataset (a file name under :data:`SHARED_DATASETS`, or a full path).

    Missing, it skips the test with the reason on a developer's machine, and fails it in CI (``CI=true``), where
    the shared data is part of the test environment: a CI run must not go green by skipping the real-data tests.
    """
    path = Path(name) if Path(name).is_absolute() else SHARED_DATASETS / name
    if not path.exists():
        message = f"shared dataset {path.name} is not available at {path.parent}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}: CI needs the shared datasets (set AUTOML_CANVAS_TEST_DATASETS to their folder)",
                        pytrace=False)
        pytest.skip(message)
    return path


def temporary_pg_database(template: str | None = None, migrate: bool = True):
    """Generator: create a throwaway PostgreSQL database, yield its URL, drop it afterwards.

    New databases are migrated (unless ``migrate`` is false); with ``template`` (the URL of another such database, with no open connection) the
    new one is a copy of it, made by PostgreSQL (``CREATE DATABASE … TEMPLATE``), which is how a built world is
    handed to several test modules without building it again.
    """
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"canvas_test_{uuid.uuid4().hex[:10]}"
    source = f' TEMPLATE "{sa.engine.make_url(template).database}"' if template else ""
    try:
        with admin.connect() as c:
            c.execute(sa.text(f'CREATE DATABASE "{name}"{source}'))
    except sa.exc.OperationalError as exc:  # pragma: no cover - environment problem
        pytest.exit(f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {exc}", returncode=3)
    url = sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    if template is None and migrate:
        migrated = make_engine(Settings(home=Path("/tmp"), database_url_override=url))
        init_db(migrated)
        migrated.dispose()
    try:
        yield url
    finally:
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
    values = {
        "home": home,
        "database_url_override": database_url,
        "n_jobs": 1,
        "job_heartbeat_seconds": 0.5,
        "job_lease_seconds": 10,
        "job_poll_seconds": 0.1,
        "cv_folds": 3,
        # a job asked to wrap up at its hard limit gets this long before it is killed (tests that need a
        # training job to finish after the request set more)
        "job_wrap_up_grace_seconds": 2,
    }
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


_SCHEMA_TEMPLATE: list[Path] = []


def sqlite_schema_template() -> Path:
    """A SQLite file migrated to the newest schema, made once per test process (Alembic runs once, not per test)."""
    if not _SCHEMA_TEMPLATE:
        folder = Path(tempfile.mkdtemp(prefix="canvas-schema-"))
        atexit.register(shutil.rmtree, folder, True)
        path = folder / "canvas.db"
        eng = make_engine(Settings(home=folder, database_url_override=f"sqlite:///{path}"))
        init_db(eng)
        with eng.connect() as c:  # everything in the main file, so one file is the whole database
            c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        eng.dispose()
        _SCHEMA_TEMPLATE.append(path)
    return _SCHEMA_TEMPLATE[0]


def migrated_engine(settings: Settings) -> sa.engine.Engine:
    """An engine on an empty database at the newest schema: on SQLite a copy of :func:`sqlite_schema_template`
    (when the file does not exist yet), on PostgreSQL the session's database with every table emptied."""
    url = sa.engine.make_url(settings.database_url)
    copied = False
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:" and not Path(url.database).exists():
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(sqlite_schema_template(), url.database)
        copied = True
    eng = make_engine(settings)
    if eng.dialect.name == "postgresql":
        truncate_all(eng)
    elif not copied:
        init_db(eng)
    return eng


@pytest.fixture
def engine(settings):
    eng = migrated_engine(settings)
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


# Worlds built with the product: a deployed Pima diabetes model behind the approval API, built once per session
# and copied for each test module that asks for it (tests/monitoring_world.py); a trained, explained, shared model
# world built once per session (tests/review_world.py).
from .monitoring_world import flywheel, flywheel_snapshot  # noqa: E402, F401
from .review_world import review_world  # noqa: E402, F401
