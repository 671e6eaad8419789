"""The Alembic migrations and the SQLModel tables describe the same schema,
and an existing database upgrades in place with its rows kept."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import automl_canvas.models  # noqa: F401 - registers every table on the metadata
from automl_canvas.config import Settings
from automl_canvas.db import _alembic_config, init_db, make_engine, schema_status, session_scope
from automl_canvas.models import ModelVersion

from .conftest import temporary_pg_database

pytestmark = pytest.mark.db


def test_migrated_schema_matches_the_models(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []
    current, head = schema_status(engine)
    assert current == head and head


def test_upgrade_from_the_first_schema_keeps_rows(tmp_path, db_backend):
    """On the backend under test: an empty PostgreSQL database of its own, or a SQLite file."""
    databases = temporary_pg_database(migrate=False) if db_backend == "postgresql" else None
    eng = make_engine(Settings(home=tmp_path, database_url_override=next(databases) if databases else None))
    command.upgrade(_alembic_config(eng), "0001")
    with eng.begin() as c:
        c.exec_driver_sql("INSERT INTO users (username, display_name, roles, is_active, created_at) "
                          "VALUES ('ana', 'Ana', 'analyst', TRUE, '2026-01-01 00:00:00')")
    assert schema_status(eng)[0] == "0001"
    assert init_db(eng) == schema_status(eng)[1]
    with eng.connect() as c:
        assert c.exec_driver_sql("SELECT username FROM users").scalar_one() == "ana"
    with session_scope(eng) as s:
        assert s.query(ModelVersion).count() == 0
    eng.dispose()
    if databases is not None:
        next(databases, None)
