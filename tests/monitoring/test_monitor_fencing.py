"""Issue 18, point 1 for monitoring checks: a check job whose lease was taken over stores nothing.

The check row, its alerts and the job's success are one fenced commit (``run_check`` writes through the job's
``JobContext.write`` and finishes through ``succeed``).  Both attempts run for real, in this process, on the
deployed model of the monitoring world: the stale one first (its lease reclaimed in the database), then the
new owner.  Before the fix the stale attempt stored a second check next to the owner's.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from automl_canvas.db import session_scope, utcnow
from automl_canvas.jobs import queue
from automl_canvas.models import Job, MonitoringCheck
from automl_canvas.monitoring.service import submit_check
from automl_canvas.runner.execute import run_job_inline

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def _checks_of(engine, job_id: int) -> list[int]:
    with session_scope(engine) as s:
        return list(s.exec(select(MonitoringCheck.id).where(MonitoringCheck.job_id == job_id)))


def test_a_monitor_job_that_lost_its_lease_stores_no_check(flywheel):
    fw = flywheel
    job = submit_check(fw.engine, fw.settings, fw.users["sam"], fw.deployed_id)
    stale = queue.claim_next(fw.engine, "worker-a", 60, ["monitor"])
    assert stale.id == job.id
    with session_scope(fw.engine) as s:  # worker A paused past its lease; worker B takes the job over
        s.execute(sa.update(Job).where(Job.id == job.id).values(lease_expires_at=utcnow() - timedelta(seconds=1)))
    owner = queue.claim_next(fw.engine, "worker-b", 60, ["monitor"])
    assert owner.id == job.id and owner.lease_token != stale.lease_token

    run_job_inline(fw.settings, fw.engine, stale, "worker-a")  # A wakes up and finishes its check
    assert _checks_of(fw.engine, job.id) == []
    with session_scope(fw.engine) as s:
        now = queue.get_job(s, job.id)
    assert (now.status, now.lease_owner) == ("running", "worker-b")

    run_job_inline(fw.settings, fw.engine, owner, "worker-b")
    (check_id,) = _checks_of(fw.engine, job.id)
    with session_scope(fw.engine) as s:
        done = queue.get_job(s, job.id)
    assert done.status == "succeeded" and done.result["check_id"] == check_id
