"""The audit log is a hash chain: verification names the first edited, deleted or reordered event;
on PostgreSQL the database itself refuses UPDATE and DELETE."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from automl_canvas.audit import append, list_events, verify_chain
from automl_canvas.auth.users import ensure_user
from automl_canvas.db import session_scope
from automl_canvas.errors import PermissionDeniedError
from automl_canvas.models import AuditEvent
from automl_canvas.review import verify_audit


@pytest.fixture
def chain(engine):
    with session_scope(engine) as s:
        admin = ensure_user(s, "root", ("admin",))
        for i in range(5):
            append(s, admin, "test.event", "thing", i, {"n": i, "text": "ünïcode ✓", "nested": {"a": [1, 2.5, None]}})
    return admin


def _tamper(engine, sql: str) -> None:
    with engine.begin() as c:
        if engine.dialect.name == "postgresql":
            c.execute(sa.text("SET LOCAL session_replication_role = replica"))  # a superuser bypassing the trigger
        c.execute(sa.text(sql))


def test_an_intact_chain_verifies(engine, chain):
    with session_scope(engine) as s:
        result = verify_chain(s)
        events = list_events(s, limit=1000)
    assert result.ok and result.checked == len(events) >= 6
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:]))


@pytest.mark.parametrize("sql,reason", [
    ("UPDATE audit_log SET payload = '{\"n\": 99}' WHERE seq = 4", "content does not match"),
    ("UPDATE audit_log SET actor_name = 'someone-else' WHERE seq = 4", "content does not match"),
    ("DELETE FROM audit_log WHERE seq = 4", "missing"),
])
def test_a_tampered_row_is_detected_and_named(engine, chain, sql, reason):
    _tamper(engine, sql)
    with session_scope(engine) as s:
        result = verify_chain(s)
    assert not result.ok and result.first_broken_seq == 4 and reason in result.reason
    assert "BROKEN at event 4" in result.describe()


def test_rewriting_a_row_with_a_fresh_hash_still_breaks_the_next_link(engine, chain):
    with session_scope(engine) as s:
        row = s.exec(sa.select(AuditEvent).where(AuditEvent.seq == 3)).scalar_one()
        from automl_canvas.audit import event_hash

        forged = event_hash(seq=3, at=row.at, actor_id=row.actor_id, actor_name=row.actor_name, action=row.action,
                            subject_type=row.subject_type, subject_id=row.subject_id, payload={"n": 1000}, prev_hash=row.prev_hash)
    _tamper(engine, f"UPDATE audit_log SET payload = '{{\"n\": 1000}}', hash = '{forged}' WHERE seq = 3")
    with session_scope(engine) as s:
        result = verify_chain(s)
    assert not result.ok and result.first_broken_seq == 4 and "prev_hash" in result.reason


@pytest.mark.postgres
def test_postgresql_refuses_update_and_delete(engine, chain, db_backend):
    if db_backend != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only (SQLite relies on the hash chain)")
    for sql in ("UPDATE audit_log SET action = 'x' WHERE seq = 1", "DELETE FROM audit_log WHERE seq = 1"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            with engine.begin() as c:
                c.execute(sa.text(sql))


def test_only_admins_and_scientists_verify(engine, chain):
    with session_scope(engine) as s:
        ana = ensure_user(s, "ana", ("analyst",))
        with pytest.raises(PermissionDeniedError):
            verify_audit(s, ana)
        assert verify_audit(s, chain).ok


def test_cli_audit_verify_exits_1_on_a_broken_chain(engine, settings, chain, monkeypatch):
    from automl_canvas.cli import main
    from automl_canvas.config import get_settings

    monkeypatch.setenv("AUTOML_CANVAS_HOME", str(settings.home))
    monkeypatch.setenv("AUTOML_CANVAS_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    try:
        ok = CliRunner().invoke(main, ["--user", "root", "audit", "verify"])
        assert ok.exit_code == 0 and "intact" in ok.output
        _tamper(engine, "UPDATE audit_log SET subject_id = 42 WHERE seq = 2")
        broken = CliRunner().invoke(main, ["--user", "root", "audit", "verify"])
        assert broken.exit_code == 1 and "BROKEN at event 2" in broken.output
    finally:
        get_settings.cache_clear()
