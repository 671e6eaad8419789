"""Monitoring use cases: run a check now (as a job), read a version's health and history, schedule checks.

Health in one word for the analyst (the badge), the full history for the
scientist (every check with its per-feature numbers and the alerts it raised).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from ..audit import list_events
from ..auth.policy import require
from ..auth.resources import Access, version_for
from ..config import Settings
from ..db import session_scope, utcnow
from ..jobs import queue
from ..jobs.context import JobContext
from ..jobs.periodic import Periodic
from ..models import (
    Deployment,
    Job,
    JobPublic,
    JobStatus,
    ModelVersion,
    MonitoringCheck,
    MonitoringCheckPublic,
    MonitoringSchedule,
    PredictionLog,
    User,
)
from .checks import prune_log, run_check
from .feedback import monitored_version

__all__ = ["HEALTH_LABELS", "Scheduler", "enqueue_due_checks", "list_checks", "monitored_versions", "monitoring_overview",
           "run_monitor_job", "submit_check", "version_health"]


#: state -> (badge text, sentence for the analyst)
HEALTH_LABELS: dict[str, tuple[str, str]] = {
    "still_accurate": ("Still accurate", ("The latest check found the inputs and, where outcomes came back, the accuracy "
                                          "in line with what the model was approved on.")),
    "needs_attention": ("Needs attention", "The latest check found something that changed; a data scientist has been alerted."),
    "not_checked": ("Not checked yet", "The model is deployed but has not been checked yet; checks run on a schedule."),
    "waiting_for_data": ("Waiting for data", "Too few predictions or outcomes have come back to judge the model yet."),
    "not_deployed": ("Not deployed", "Monitoring starts once the model is deployed."),
}


def _active_job(session: Session, version_id: int) -> Job | None:
    return session.exec(select(Job).where(Job.kind == "monitor", Job.status.in_([JobStatus.queued, JobStatus.running]),
                                          Job.payload["version_id"].as_integer() == version_id).limit(1)).first()


def _enqueue(session: Session, settings: Settings, version: ModelVersion, created_by_id: int) -> Job:
    existing = _active_job(session, version.id)
    if existing is not None:  # one check at a time per version; asking again returns the one on its way
        return existing
    return queue.enqueue(session, kind="monitor", payload={"version_id": version.id}, created_by_id=created_by_id,
                         project_id=version.project_id, time_limit_seconds=settings.job_default_time_limit_seconds,
                         max_attempts=settings.job_max_attempts)


def submit_check(engine: Engine, settings: Settings, actor, version_id: int) -> JobPublic:
    """Check a deployed version now (a job; the dashboard polls it)."""
    with session_scope(engine) as s:
        version_for(s, actor, "monitoring.check", version_id)
        version = monitored_version(s, version_id)
        return JobPublic.model_validate(_enqueue(s, settings, version, actor.id))


def run_monitor_job(ctx: JobContext) -> None:
    """The check, its alerts and the job's success are one fenced commit (``ctx.write``/``ctx.succeed``).

    Pruning the log runs before, unfenced: deleting expired rows twice deletes nothing more.
    """
    version_id = int(ctx.job.payload["version_id"])
    ctx.progress(stage="pruning the prediction log", force=True)
    pruned = prune_log(ctx.engine, ctx.settings, version_id)
    ctx.progress(stage="comparing with the training data", force=True)

    def finish(session, check) -> None:
        ctx.succeed(session, {"version_id": version_id, "check_id": check.id, "status": check.status,
                              "findings": check.findings, "alert_event_ids": check.alert_event_ids, "pruned_rows": pruned})

    run_check(ctx.engine, ctx.settings, version_id, job_id=ctx.job.id, write=ctx.write, on_stored=finish)


def _health(check: MonitoringCheck | MonitoringCheckPublic | None, deployed: bool) -> dict[str, Any]:
    if not deployed:
        state = "not_deployed"
    elif check is None:
        state = "not_checked"
    else:
        state = {"attention": "needs_attention", "ok": "still_accurate"}.get(check.status, "waiting_for_data")
    label, sentence = HEALTH_LABELS[state]
    out = {"state": state, "label": label, "sentence": sentence,
           "checked_at": check.checked_at.isoformat() if check is not None else None}
    if check is not None and check.findings:
        out["findings"] = [f["message"] for f in check.findings]
    return out


def _latest_check(session: Session, version_id: int) -> MonitoringCheck | None:
    return session.exec(select(MonitoringCheck).where(MonitoringCheck.version_id == version_id)
                        .order_by(MonitoringCheck.id.desc()).limit(1)).first()


def _deployed_ever(session: Session, version_id: int) -> bool:
    return session.exec(select(Deployment.id).where(Deployment.version_id == version_id).limit(1)).first() is not None


def version_health(session: Session, actor, version_id: int) -> dict[str, Any]:
    """The analyst's badge: still accurate / needs attention / not checked yet / waiting for data / not deployed."""
    version_for(session, actor, "monitoring.read", version_id)
    return {"version_id": version_id, **_health(_latest_check(session, version_id), _deployed_ever(session, version_id))}


def list_checks(session: Session, actor, version_id: int, limit: int = 100) -> list[MonitoringCheckPublic]:
    version_for(session, actor, "monitoring.read", version_id)
    rows = session.exec(select(MonitoringCheck).where(MonitoringCheck.version_id == version_id)
                        .order_by(MonitoringCheck.id.desc()).limit(max(1, min(limit, 1000)))).all()
    return [MonitoringCheckPublic.model_validate(r) for r in rows]


def _log_summary(session: Session, version_id: int) -> dict[str, Any]:
    t = PredictionLog.__table__
    row = session.connection().execute(
        sa.select(sa.func.count(), sa.func.count(t.c.actual_at), sa.func.max(t.c.logged_at))
        .where(t.c.version_id == version_id)).one()
    return {"predictions": int(row[0]), "with_outcome": int(row[1]),
            "last_logged_at": row[2].isoformat() if row[2] is not None else None}


def monitoring_overview(session: Session, actor, version_id: int, limit: int = 100) -> dict[str, Any]:
    """Everything the Monitoring page shows for one version: health, log counts, checks over time, alerts."""
    version_for(session, actor, "monitoring.read", version_id)
    version = monitored_version(session, version_id)
    checks = list_checks(session, actor, version_id, limit)
    alerts = [e for e in list_events(session, actions=["monitoring.alert"], subject_type="model_version",
                                     subject_id=version_id, limit=1000)]
    deployments = session.exec(select(Deployment).where(Deployment.version_id == version_id).order_by(Deployment.id)).all()
    return {
        "version_id": version_id, "version": version.version, "project_id": version.project_id, "task": version.task,
        "metric": version.metric, "holdout_score": version.holdout_score, "status": version.status,
        "health": _health(checks[0] if checks else None, True),
        "log": _log_summary(session, version_id),
        "deployments": [{"id": d.id, "environment": d.environment, "status": d.status, "created_at": d.created_at.isoformat()}
                        for d in deployments],
        "checks": [c.model_dump(mode="json") for c in checks],
        "alerts": [{"id": e.seq, "at": e.at.isoformat(), **e.payload} for e in reversed(alerts)],
    }


def monitored_versions(session: Session, actor) -> list[dict[str, Any]]:
    """Every version that is or was deployed, newest first, with its health (the Monitoring page's list)."""
    require(actor, "monitoring.read")
    ids = session.exec(select(Deployment.version_id).distinct()).all()
    out = []
    rows = session.exec(select(ModelVersion).where(ModelVersion.id.in_(ids)).order_by(ModelVersion.id.desc())).all()
    for v in Access(session, actor).filter("monitoring.read", rows, "version"):
        out.append({"version_id": v.id, "project_id": v.project_id, "version": v.version, "status": v.status,
                    "metric": v.metric, "holdout_score": v.holdout_score,
                    "health": _health(_latest_check(session, v.id), True)})
    return out


def enqueue_due_checks(engine: Engine, settings: Settings) -> list[int]:
    """Queue a check for every deployed version whose turn has come; safe with many workers.

    Each version's next turn is claimed with a conditional UPDATE on its schedule row, so of two
    workers looking at once only one queues the check.
    """
    if settings.monitoring_interval_seconds <= 0:
        return []
    now = utcnow()
    interval = timedelta(seconds=settings.monitoring_interval_seconds)
    queued = []
    with session_scope(engine) as s:
        deployed = s.exec(select(ModelVersion.id).where(ModelVersion.status == "deployed")).all()
        known = set(s.exec(select(MonitoringSchedule.version_id)).all())
        for vid in deployed:
            if vid not in known:  # first check one interval after it was first seen deployed
                s.add(MonitoringSchedule(version_id=vid, next_check_at=now + interval))
        try:
            s.flush()
        except sa.exc.IntegrityError:  # another worker added them first
            s.rollback()
    with session_scope(engine) as s:
        due = s.exec(select(MonitoringSchedule).where(MonitoringSchedule.next_check_at <= now,
                                                      MonitoringSchedule.version_id.in_(deployed))).all()
        for sched in due:
            won = s.execute(sa.update(MonitoringSchedule)
                            .where(MonitoringSchedule.version_id == sched.version_id,
                                   MonitoringSchedule.next_check_at == sched.next_check_at)
                            .values(next_check_at=now + interval)).rowcount
            if won != 1:
                continue
            version = s.get(ModelVersion, sched.version_id)
            owner = s.exec(select(Deployment.deployed_by_id).where(Deployment.version_id == version.id)
                           .order_by(Deployment.id.desc()).limit(1)).first() or version.created_by_id
            if s.get(User, owner) is None:
                owner = version.created_by_id
            queued.append(_enqueue(s, settings, version, owner).id)
    return queued


class Scheduler(Periodic):
    """The worker's monitoring thread: every minute (or the interval, if shorter), queue the checks that are due."""

    def __init__(self, engine: Engine, settings: Settings):
        super().__init__("canvas-monitoring", min(60.0, max(1.0, settings.monitoring_interval_seconds)),
                         lambda: enqueue_due_checks(engine, settings))
