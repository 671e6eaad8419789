"""Engine factory, sessions and schema migrations.

No engine exists until :func:`make_engine` is called with a :class:`Settings`,
so tests build a whole world on a temporary directory.  The schema is owned by
Alembic (``automl_canvas/migrations``); :func:`init_db` upgrades to head.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from .config import Settings

__all__ = ["UTCDateTime", "dialect_name", "init_db", "make_engine", "session_scope", "settings_of", "utcnow"]

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """Stores UTC instants; always returns timezone-aware datetimes.

    SQLite drops tzinfo, PostgreSQL keeps it: normalising here is the one place
    that makes both behave the same for the rest of the code.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets the worker write progress while a UI reads; busy_timeout makes
    # concurrent writers wait instead of failing with "database is locked".
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


#: The settings each engine was made with: code that has only a session (the audit log's key and checkpoint
#: sink) reads them from its bind instead of from the environment, so a test's world stays on its temp dir.
_ENGINE_SETTINGS: weakref.WeakKeyDictionary[Engine, Settings] = weakref.WeakKeyDictionary()


def make_engine(settings: Settings) -> Engine:
    url = settings.database_url
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = sa.create_engine(
            url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_pre_ping=True,
        )
    _ENGINE_SETTINGS[engine] = settings
    return engine


def settings_of(bind) -> Settings | None:
    """The settings ``bind`` (an engine or a connection) was made with by :func:`make_engine`, if it was."""
    engine = getattr(bind, "engine", bind)
    try:
        return _ENGINE_SETTINGS.get(engine)
    except TypeError:
        return None


def dialect_name(engine: Engine) -> str:
    return engine.dialect.name


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back everything on error."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _alembic_config(engine: Engine):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def init_db(engine: Engine) -> str:
    """Create or upgrade the schema to the newest migration; returns the revision."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    if engine.dialect.name == "sqlite":
        url = engine.url.database
        if url and url != ":memory:":
            Path(url).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(_alembic_config(engine), "head")
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision() or ""


def schema_status(engine: Engine) -> tuple[str, str]:
    """(current revision, newest revision): equal when the schema is up to date."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config(engine)).get_current_head() or ""
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision() or ""
    return current, head
