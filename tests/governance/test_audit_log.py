"""The audit log is a hash chain: verification names the first edited, deleted or reordered event;
on PostgreSQL the database itself refuses UPDATE and DELETE."""

from __future__ import annotations

import itertools
import json

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from automl_canvas.audit import append, list_events, verify_chain
from automl_canvas.auth.users import ensure_user
from automl_canvas.db import session_scope
from automl_canvas.errors import PermissionDeniedError
from automl_canvas.models import AuditEvent
from automl_canvas.review import verify_audit

pytestmark = pytest.mark.db


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
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(events))


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


def _legacy_hash(r, prev: str, payload=None) -> str:
    from automl_canvas.audit import event_hash

    return event_hash(seq=r.seq, at=r.at, actor_id=r.actor_id, actor_name=r.actor_name, action=r.action,
                      subject_type=r.subject_type, subject_id=r.subject_id, payload=payload if payload is not None else r.payload,
                      prev_hash=prev)


def _rechain_unkeyed(engine, from_seq: int, edit: dict) -> None:
    """What someone with write access to the database but not the key can do: edit a row and recompute the
    whole chain with the old unkeyed rule (key_id cleared, as on legacy rows), from ``from_seq`` on."""
    with session_scope(engine) as s:
        rows = s.exec(sa.select(AuditEvent).order_by(AuditEvent.seq)).scalars().all()
        prev = rows[from_seq - 2].hash if from_seq > 1 else "0" * 64
        updates = []
        for r in rows[from_seq - 1:]:
            payload = edit if r.seq == from_seq else r.payload
            digest = _legacy_hash(r, prev, payload)
            updates.append((r.seq, payload, prev, digest))
            prev = digest
    for seq, payload, prev_hash, digest in updates:
        _tamper(engine, f"UPDATE audit_log SET payload = '{json.dumps(payload)}', prev_hash = '{prev_hash}', "
                        f"hash = '{digest}', key_id = NULL WHERE seq = {seq}")


def test_rewriting_a_row_with_a_fresh_unkeyed_hash_is_detected_at_that_row(engine, chain):
    with session_scope(engine) as s:
        row = s.exec(sa.select(AuditEvent).where(AuditEvent.seq == 3)).scalar_one()
        forged = _legacy_hash(row, row.prev_hash, {"n": 1000})
    _tamper(engine, f"UPDATE audit_log SET payload = '{{\"n\": 1000}}', hash = '{forged}' WHERE seq = 3")
    with session_scope(engine) as s:
        result = verify_chain(s)
    assert not result.ok and result.first_broken_seq == 3 and result.failed_check == "chain"
    assert "content does not match" in result.reason


def test_editing_a_row_and_recomputing_the_tail_without_the_key_is_detected(engine, chain):
    _rechain_unkeyed(engine, 3, {"n": 1000})
    with session_scope(engine) as s:
        result = verify_chain(s)
    assert not result.ok and result.first_broken_seq == 3 and result.failed_check == "chain"
    assert "no key id although earlier events are keyed" in result.reason


def test_recomputing_the_whole_chain_as_unkeyed_is_caught_by_the_checkpoint(engine, chain):
    _rechain_unkeyed(engine, 1, {"n": 1000})
    with session_scope(engine) as s:
        result = verify_chain(s)
    assert not result.ok and result.failed_check == "checkpoint" and "re-written" in result.reason
    assert "checkpoint check" in result.describe()


def test_deleting_the_newest_event_is_detected(engine, chain):
    with session_scope(engine) as s:
        head = s.exec(sa.select(sa.func.max(AuditEvent.seq))).scalar_one()
    _tamper(engine, f"DELETE FROM audit_log WHERE seq = {head}")
    with session_scope(engine) as s:
        result = verify_chain(s)
    assert not result.ok and result.failed_check == "checkpoint" and result.checked == head - 1
    assert f"the newest checkpoint is event {head}, but the chain ends at event {head - 1}" in result.reason


def test_one_signed_checkpoint_file_per_committed_head_and_none_for_a_rollback(engine, settings, chain):
    folder = settings.audit_checkpoint_dir
    with session_scope(engine) as s:
        append(s, chain, "test.second_commit")
    with session_scope(engine) as s:
        head = s.exec(sa.select(sa.func.max(AuditEvent.seq))).scalar_one()
    # the fixture's six events were one commit, the event above another: one new file each, named by its head
    assert sorted(p.name for p in folder.iterdir()) == [f"{head - 1:012d}.json", f"{head:012d}.json"]
    with pytest.raises(RuntimeError), session_scope(engine) as s:
        append(s, chain, "test.rolled_back")
        raise RuntimeError("the change fails, so its event is not written")
    assert len(list(folder.iterdir())) == 2
    with session_scope(engine) as s:
        assert verify_chain(s).ok
    # a forged newest checkpoint (someone without the key writing into the sink) is refused
    forged = {"seq": head + 1, "hash": "0" * 64, "key_id": "x", "signature": "0" * 64}
    (folder / f"{head + 1:012d}.json").write_text(json.dumps(forged))
    with session_scope(engine) as s:
        result = verify_chain(s)
    assert not result.ok and result.failed_check == "checkpoint" and "not configured" in result.reason


def test_the_generated_key_file_is_private_and_never_logged(engine, settings, chain, caplog):
    import stat

    key_file = settings.home / "audit.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    secret = key_file.read_text().split()[1]
    with session_scope(engine) as s:
        append(s, chain, "test.more")
        result = verify_chain(s)
    assert result.ok and secret not in caplog.text and secret not in result.describe()


def test_unkeyed_legacy_rows_still_verify_up_to_the_first_keyed_row(engine, settings, chain):
    """Rows written before migration 0010 (key_id NULL, unkeyed sha256) stay valid; keyed rows follow them."""
    with session_scope(engine) as s:
        head = s.exec(sa.select(sa.func.max(AuditEvent.seq))).scalar_one()
    _rechain_unkeyed(engine, 1, {"n": 0, "text": "legacy"})  # as if every existing row predated the key
    import shutil

    shutil.rmtree(settings.audit_checkpoint_dir)  # a pre-0010 install had no checkpoints either
    with session_scope(engine) as s:
        assert verify_chain(s).ok
        append(s, chain, "test.after_upgrade")
    with session_scope(engine) as s:
        result = verify_chain(s)
        keyed = s.exec(sa.select(AuditEvent.key_id).where(AuditEvent.seq == head + 1)).scalar_one()
    assert result.ok and result.checked == head + 1 and result.checkpoint_seq == head + 1 and keyed


def test_a_key_rotation_still_verifies_the_old_rows(settings, engine):
    from pydantic import SecretStr

    from automl_canvas.db import make_engine

    def world(**keys):
        return make_engine(settings.model_copy(update=keys))

    old = world(audit_key=SecretStr("first secret, long enough"), audit_key_id="2025")
    with session_scope(old) as s:
        root = ensure_user(s, "root", ("admin",))
        append(s, root, "test.before_rotation")
    new = world(audit_key=SecretStr("second secret, also long"), audit_key_id="2026",
                audit_old_keys={"2025": SecretStr("first secret, long enough")})
    with session_scope(new) as s:
        append(s, root, "test.after_rotation")
        result = verify_chain(s)
        ids = s.exec(sa.select(AuditEvent.key_id).order_by(AuditEvent.seq)).scalars().all()
    assert result.ok, result.describe()
    assert "2025" in ids and ids[-1] == "2026"
    forgot = world(audit_key=SecretStr("second secret, also long"), audit_key_id="2026")
    with session_scope(forgot) as s:
        result = verify_chain(s)
    assert not result.ok and "key id '2025', which is not configured" in result.reason
    for e in (old, new, forgot):
        e.dispose()


@pytest.mark.postgres
def test_postgresql_refuses_update_and_delete(engine, chain, db_backend):
    if db_backend != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only (SQLite relies on the hash chain)")
    for sql in ("UPDATE audit_log SET action = 'x' WHERE seq = 1", "DELETE FROM audit_log WHERE seq = 1"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as c:
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
        assert broken.exit_code == 1 and "BROKEN at event 2 (chain check)" in broken.output
    finally:
        get_settings.cache_clear()


def test_cli_audit_verify_names_the_checkpoint_check_when_the_newest_rows_are_deleted(engine, settings, chain, monkeypatch):
    from automl_canvas.cli import main
    from automl_canvas.config import get_settings

    monkeypatch.setenv("AUTOML_CANVAS_HOME", str(settings.home))
    monkeypatch.setenv("AUTOML_CANVAS_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    try:
        _tamper(engine, "DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)")
        broken = CliRunner().invoke(main, ["--user", "root", "audit", "verify"])
        assert broken.exit_code == 1 and "checkpoint check" in broken.output and "were deleted" in broken.output
    finally:
        get_settings.cache_clear()
