"""The column types both databases must treat alike, checked on SQLite and, in the PostgreSQL pass, on PostgreSQL.

Times are UTC instants that come back timezone-aware whatever offset they were written with (SQLite drops the
offset, PostgreSQL keeps it: ``db.UTCDateTime`` makes them agree), and the lease queries compare them in SQL;
JSON columns keep nesting, number types, nulls and non-ASCII text.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from automl_canvas.db import session_scope
from automl_canvas.jobs import queue
from automl_canvas.models import Job

pytestmark = pytest.mark.db

PARIS_SUMMER = timezone(timedelta(hours=2))


def _job(engine, analyst, **payload) -> int:
    with session_scope(engine) as s:
        job = queue.enqueue(s, kind="diagnostic", payload=payload, created_by_id=analyst.id, time_limit_seconds=60)
        s.flush()
        return job.id


def test_times_come_back_as_aware_utc_instants_and_compare_in_sql(engine, analyst):
    job_id = _job(engine, analyst)
    written = datetime(2024, 6, 1, 14, 30, 15, 123456, tzinfo=PARIS_SUMMER)  # 12:30:15.123456 UTC
    with session_scope(engine) as s:
        s.execute(sa.update(Job).where(Job.id == job_id).values(
            lease_expires_at=written, heartbeat_at=datetime(2024, 6, 1, 12, 0)))  # naive: taken as UTC
    with session_scope(engine) as s:
        row = s.get(Job, job_id)
        assert row.lease_expires_at == written and row.lease_expires_at.utcoffset() == timedelta(0)
        assert (row.lease_expires_at.hour, row.lease_expires_at.microsecond) == (12, 123456)
        assert row.heartbeat_at == datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
        assert row.created_at.utcoffset() == timedelta(0)

        def ids(condition) -> list[int]:
            return s.execute(sa.select(Job.id).where(Job.id == job_id, condition)).scalars().all()

        # the same instant written in another offset compares equal; a microsecond either side orders correctly
        assert ids(Job.lease_expires_at == written.astimezone(UTC)) == [job_id]
        assert ids(Job.lease_expires_at < written + timedelta(microseconds=1)) == [job_id]
        assert ids(Job.lease_expires_at < written - timedelta(microseconds=1)) == []
        assert ids(Job.heartbeat_at < Job.lease_expires_at) == [job_id]


def test_json_columns_keep_nesting_types_nulls_and_text(engine, analyst):
    payload = {"text": "Zürich — 東京 ✓ \"quoted\"", "int": 3, "float": 0.25, "big": 2**53, "negative": -1.5e-7,
               "none": None, "yes": True, "no": False, "empty": {}, "list": [1, "a", {"b": [None, []]}],
               "nested": {"x": {"y": [1.5, -2]}}}
    job_id = _job(engine, analyst, **payload)
    with session_scope(engine) as s:
        row = s.get(Job, job_id)
        assert row.payload == payload
        assert [type(row.payload[k]) for k in ("int", "float", "big", "yes", "none")] == [int, float, int, bool, type(None)]
        row.result = {**row.result, "version_id": 7, "notes": ["ok"]}  # columns are replaced whole, never mutated
    with session_scope(engine) as s:
        assert s.get(Job, job_id).result == {"version_id": 7, "notes": ["ok"]}
