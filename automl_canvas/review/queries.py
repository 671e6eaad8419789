"""Read side of the review: the queue, one version's whole review, decisions, history, audit."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from ..audit import list_events, verify_chain
from ..audit.log import VerifyResult
from ..auth.policy import allowed, require
from ..auth.resources import Access, version_for
from ..config import Settings
from ..models import (
    AuditEventPublic,
    Deployment,
    DeploymentPublic,
    ModelVersion,
    ModelVersionPublic,
    Project,
    ReviewDecision,
    ReviewDecisionPublic,
    User,
)
from ..registry.grade import grade_version
from ..registry.plain_language import product_decisions_in_words
from .actions import choices_for
from .comments import list_comments
from .policy import evaluate_policy, get_project_policy
from .states import ReviewState

__all__ = ["audit_trail", "get_review", "list_audit_events", "list_decisions", "review_queue", "verify_audit"]

QUEUE_STATES = (ReviewState.pending_review, ReviewState.in_review)


def _names(session: Session, ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {u.id: u.username for u in session.exec(select(User).where(User.id.in_(ids)))}


def review_queue(session: Session, settings: Settings, actor, *, statuses=QUEUE_STATES, mine: bool = False,
                 project_id: int | None = None) -> list[dict[str, Any]]:
    """Versions waiting for review (of the projects the actor may see) with what a reviewer sorts by: age, grade,
    policy status, and what the actor may do to each now."""
    require(actor, "review.read")
    stmt = select(ModelVersion).where(ModelVersion.status.in_([str(s) for s in statuses]))
    if mine:
        stmt = stmt.where(ModelVersion.claimed_by_id == actor.id)
    if project_id is not None:
        stmt = stmt.where(ModelVersion.project_id == project_id)
    access = Access(session, actor)  # analysts: their projects' versions; scientists: every shared one
    rows = access.filter("review.read", session.exec(stmt.order_by(ModelVersion.status_changed_at, ModelVersion.id)), "version")
    projects = {p.id: p.name for p in session.exec(select(Project).where(Project.id.in_({r.project_id for r in rows} or {-1})))}
    names = _names(session, [r.shared_by_id for r in rows] + [r.claimed_by_id for r in rows])
    out = []
    for r in rows:
        checks = evaluate_policy(session, settings, r)
        choices = choices_for(session, actor, r, settings)
        failed = [c.name for c in checks if not c.passed]
        out.append({
            "version_id": r.id, "project_id": r.project_id, "project": projects.get(r.project_id, ""), "version": r.version,
            "status": r.status, "task": r.task, "target": r.target, "metric": r.metric, "holdout_score": r.holdout_score,
            "baseline_score": r.baseline_score, "grade": grade_version(r).grade,
            "product_decisions": product_decisions_in_words(r),
            "requested_by": names.get(r.shared_by_id, ""), "claimed_by": names.get(r.claimed_by_id),
            "waiting_since": r.status_changed_at or r.created_at,
            "policy_status": "pass" if not failed else f"fails {len(failed)} check{'s' if len(failed) > 1 else ''}",
            "failed_checks": failed,
            #: what the current user may do to it now, and why not where the state allows a move (review/actions.py)
            "actions": choices.actions, "blocked": choices.blocked,
        })
    return out


def list_decisions(session: Session, actor, version_id: int) -> list[ReviewDecisionPublic]:
    version_for(session, actor, "review.read", version_id)
    rows = session.exec(select(ReviewDecision).where(ReviewDecision.version_id == version_id).order_by(ReviewDecision.id))
    return [ReviewDecisionPublic.model_validate(r) for r in rows]


def audit_trail(session: Session, actor, version_id: int) -> list[AuditEventPublic]:
    version_for(session, actor, "review.read", version_id)
    return list_events(session, subject_type="model_version", subject_id=version_id, limit=1000)


def get_review(session: Session, settings: Settings, actor, version_id: int) -> dict[str, Any]:
    """Everything a reviewer needs to decide: the version, its grade, the live policy checks, the record so far,
    and what the current user may do now (``actions``; ``blocked``: moves the state allows that they may not make,
    with the reason) - the apps render their controls from these."""
    row = version_for(session, actor, "review.read", version_id)
    checks = evaluate_policy(session, settings, row)
    choices = choices_for(session, actor, row, settings)

    deployments = session.exec(select(Deployment).where(Deployment.version_id == version_id).order_by(Deployment.id)).all()
    names = _names(session, [row.created_by_id, row.shared_by_id, row.claimed_by_id])
    return {
        "version": ModelVersionPublic.model_validate(row),
        "grade": grade_version(row).to_dict(),
        "policy": get_project_policy(session, row.project_id),
        "checks": [c.to_dict() for c in checks],
        "can_approve": allowed(actor, "review.approve", Access(session, actor).version(row)),
        "actions": choices.actions, "blocked": choices.blocked,
        "created_by": names.get(row.created_by_id, ""), "shared_by": names.get(row.shared_by_id), "claimed_by": names.get(row.claimed_by_id),
        "decisions": list_decisions(session, actor, version_id),
        "comments": list_comments(session, actor, version_id),
        "deployments": [DeploymentPublic.model_validate(d) for d in deployments],
        "history": audit_trail(session, actor, version_id),
    }


def list_audit_events(session: Session, actor, *, after: int = 0, limit: int = 100) -> list[AuditEventPublic]:
    """The whole audit log in order (the event feed for tooling is the filtered view in the API)."""
    require(actor, "audit.read")
    return list_events(session, after=after, limit=limit)


def verify_audit(session: Session, actor) -> VerifyResult:
    require(actor, "audit.verify")
    return verify_chain(session)
