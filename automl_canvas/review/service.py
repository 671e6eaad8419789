"""Review use cases: share, claim, decide, revoke - one ``transition`` for all of them.

``transition`` validates the move against the state table, applies it with an
optimistic check on ``state_version`` (so of two scientists deciding at once
exactly one wins; the other gets a ConflictError and nothing changes), and
appends to the audit log, all in the caller's transaction.

Maker-checker: the people who trained, shared (or built the parent of) a
version can never approve it - not as admin, not with an override.  That rule
and every other permission (project membership, who may share or withdraw) are
named actions in automl_canvas/auth/policy.py; each function here asks it first.

Claims are exclusive (see :mod:`.claims`): only the scientist holding the claim
decides; a stale claim can be taken over, and that is audited.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from ..audit import append
from ..auth.policy import require
from ..auth.resources import Access, VersionRef, version_for
from ..config import Settings, get_settings
from ..datasets.service import get_dataset
from ..db import utcnow
from ..errors import (
    ConflictError,
    IntegrityError,
    InvalidTransitionError,
    PermissionDeniedError,
    PolicyCheckError,
    ValidationError,
)
from ..models import Deployment, ModelVersion, ModelVersionPublic, ReviewDecision, ReviewDecisionPublic
from ..registry.artifacts import artifact_path, sha256_file
from .claims import require_claim_holder, require_claim_takeable
from .comments import add_comment_row
from .leakage import leakage_suspects_for
from .policy import evaluate_policy, get_project_policy
from .snapshot import build_snapshot
from .states import ACTIONS, ReviewState, target_of

__all__ = ["approve", "claim", "end_active_deployments", "makers_of", "reject", "release", "request_changes", "revoke", "share", "transition",
           "withdraw"]

MAX_TEXT = 10_000


def _text(value: str | None, what: str, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError(f"{what} is required.")
    if len(value) > MAX_TEXT:
        raise ValidationError(f"{what} can have at most {MAX_TEXT:,} characters.")
    return value


def makers_of(session: Session, version: ModelVersion) -> set[int]:
    """Everyone who built or put forward this version (and its parents): they may not approve it."""
    return set(VersionRef(Access(session, None), version).makers)


def _ref(session: Session, actor, version: ModelVersion) -> VersionRef:
    return VersionRef(Access(session, actor), version)


def _require_move(version: ModelVersion, action: str):
    """The state ``action`` leads to, or InvalidTransitionError naming where it is possible from."""
    to = target_of(action, version.status)
    if to is None:
        allowed_from = ", ".join(sorted(ACTIONS.get(action, {}))) or "nowhere"
        raise InvalidTransitionError(
            f"Version {version.id} is {version.status}; '{action.replace('_', ' ')}' is only possible from: {allowed_from}.",
            details={"version_id": version.id, "status": version.status, "action": action},
        )
    return to


def transition(session: Session, actor, version: ModelVersion, action: str, *, payload: dict[str, Any] | None = None,
               event: str | None = None, **fields: Any) -> ModelVersionPublic:
    """Apply ``action`` to ``version`` if the state table allows it; audit it. The one place statuses change."""
    to = _require_move(version, action)
    old_status, old_counter = version.status, version.state_version
    values = {"status": str(to), "state_version": old_counter + 1, "status_changed_at": utcnow(), **fields}
    try:
        result = session.execute(
            sa.update(ModelVersion)
            .where(ModelVersion.id == version.id, ModelVersion.state_version == old_counter, ModelVersion.status == old_status)
            .values(**values)
        )
    except sa.exc.OperationalError as exc:  # SQLite: another writer holds the database
        raise ConflictError(f"Version {version.id} is being changed by someone else right now; reload and try again.") from exc
    if result.rowcount != 1:
        raise ConflictError(f"Version {version.id} was changed by someone else a moment ago; reload it and decide again.",
                            details={"version_id": version.id})
    session.expire(version)
    session.refresh(version)
    append(session, actor, event or f"version.{action}", "model_version", version.id,
           {"from": old_status, "to": str(to), "project_id": version.project_id, "version": version.version,
            "artifact_sha256": version.artifact_sha256, **(payload or {})})
    return ModelVersionPublic.model_validate(version)


def share(session: Session, settings: Settings, actor, version_id: int, message: str = "",
          responds_to_version_id: int | None = None) -> ModelVersionPublic:
    """Analyst hands a draft to the review queue, optionally as the answer to requested changes."""
    version = version_for(session, actor, "review.share", version_id)  # editors of its project (auth/policy.py)
    message = _text(message, "The message to the reviewer")
    previous = None
    if responds_to_version_id is not None:
        previous = version_for(session, actor, "model.read", responds_to_version_id)
        if previous.project_id != version.project_id:
            raise ValidationError(f"Version {responds_to_version_id} belongs to another project; a retrain answers a version of the same project.")
        if previous.status != ReviewState.changes_requested:
            raise InvalidTransitionError(f"Version {responds_to_version_id} is {previous.status}; only a version with "
                                         "changes requested can be answered by a new one.")
    _require_move(version, "share")
    dataset = get_dataset(session, actor, version.dataset_id)
    suspects = leakage_suspects_for(settings, dataset, version)
    out = transition(session, actor, version, "share", event="version.shared",
                     payload={"message": message, "responds_to_version_id": responds_to_version_id, "leakage_suspects": suspects},
                     shared_by_id=actor.id, claimed_by_id=None, claimed_at=None, leakage_suspects=suspects,
                     responds_to_version_id=responds_to_version_id)
    if message:
        add_comment_row(session, actor, version_id, message)
    if previous is not None:
        transition(session, actor, previous, "supersede", event="version.superseded", payload={"by_version_id": version_id})
    return out


def withdraw(session: Session, actor, version_id: int) -> ModelVersionPublic:
    """Take a shared version back. A version that is not in a state one can withdraw from (an unshared draft,
    an approved version) is a state error (409 invalid_transition), decided before who shared it: the
    person asking is told what is wrong with the request, not that they lack a right nobody has."""
    require(actor, "review.withdraw")
    version = version_for(session, actor, "review.read", version_id)  # NotFound unless the actor may see it
    _require_move(version, "withdraw")  # InvalidTransitionError when the state does not allow it
    require(actor, "review.withdraw", _ref(session, actor, version))  # only who shared it
    return transition(session, actor, version, "withdraw", event="version.withdrawn")


def claim(session: Session, actor, version_id: int, settings: Settings | None = None) -> ModelVersionPublic:
    """Become the one reviewer of a shared version; on a version already in review, take over a stale (or open) claim.

    ``settings`` gives the claim expiry (the process settings when omitted, as in the apps).
    """
    settings = settings or get_settings()
    version = version_for(session, actor, "review.claim", version_id)  # no maker reviews their own (auth/policy.py)
    if version.status != ReviewState.in_review:
        return transition(session, actor, version, "claim", event="version.claimed", claimed_by_id=actor.id, claimed_at=utcnow())
    state = require_claim_takeable(session, settings, actor, version)
    if any(v.actor_id == actor.id for v in _current_votes(session, version)):
        raise ConflictError(f"{actor.username} has already approved version {version_id}; another scientist must claim it "
                            "for the next approval.")
    # status_changed_at is kept: the quorum counts approvals since the version entered review.
    return transition(session, actor, version, "take_over", event="version.claim_taken_over",
                      payload={"previous_holder": state.holder, "previous_holder_id": state.holder_id,
                               "previous_claimed_at": state.since.isoformat() if state.since else None,
                               "reason": "stale" if state.holder_id is not None else "open",
                               "claim_expiry_minutes": settings.review_claim_expiry_minutes},
                      claimed_by_id=actor.id, claimed_at=utcnow(), status_changed_at=version.status_changed_at)


def release(session: Session, actor, version_id: int, settings: Settings | None = None) -> ModelVersionPublic:
    version = version_for(session, actor, "review.decide", version_id)
    require_claim_holder(session, settings or get_settings(), actor, version, "release")
    return transition(session, actor, version, "release", event="version.released", claimed_by_id=None, claimed_at=None)


def _current_votes(session: Session, version: ModelVersion) -> list[ReviewDecision]:
    """Approvals recorded towards the quorum since the version last entered review."""
    return list(session.exec(select(ReviewDecision).where(
        ReviewDecision.version_id == version.id, ReviewDecision.decision == "approve",
        ReviewDecision.to_status == ReviewState.in_review,
        ReviewDecision.created_at >= (version.status_changed_at or version.created_at))).all())


def _decision(session: Session, actor, version: ModelVersion, decision: str, from_status: str, comment: str,
              justification: str, snapshot: dict[str, Any]) -> ReviewDecisionPublic:
    row = ReviewDecision(version_id=version.id, actor_id=actor.id, decision=decision, comment=comment,
                         override_justification=justification, from_status=from_status, to_status=version.status,
                         artifact_sha256=version.artifact_sha256, evidence_snapshot=snapshot)
    session.add(row)
    session.flush()
    return ReviewDecisionPublic.model_validate(row)


def _verify_artifact(settings: Settings, version: ModelVersion) -> None:
    path = artifact_path(settings, version.artifact_path)
    actual = sha256_file(path) if path.exists() else "missing"
    if actual != version.artifact_sha256:
        raise IntegrityError(f"Version {version.id}'s artifact no longer matches its recorded sha256 "
                             f"({version.artifact_sha256[:12]}…); it cannot be approved. Retrain or restore the file.",
                             details={"expected": version.artifact_sha256, "actual": actual})


def approve(session: Session, settings: Settings, actor, version_id: int, comment: str = "",
            override_justification: str = "") -> ReviewDecisionPublic:
    """Approve (or add one approval towards the quorum). Policy failures block unless overridden in writing."""
    require(actor, "review.approve")
    version = version_for(session, actor, "review.read", version_id)  # NotFound unless the actor may see it
    try:
        require(actor, "review.approve", _ref(session, actor, version))  # maker-checker (auth/policy.py not_maker)
    except PermissionDeniedError:
        append(session, actor, "version.self_approval_refused", "model_version", version.id, {})
        raise
    _require_move(version, "approve")
    comment = _text(comment, "The comment")
    justification = _text(override_justification, "The override justification")
    rules = get_project_policy(session, version.project_id)
    previous_votes = _current_votes(session, version)
    if any(v.actor_id == actor.id for v in previous_votes):
        raise ConflictError(f"{actor.username} has already approved version {version_id}; another scientist's approval is needed.")
    require_claim_holder(session, settings, actor, version, "approve")
    _verify_artifact(settings, version)
    checks = evaluate_policy(session, settings, version)
    failed = [c for c in checks if not c.passed]
    if failed:
        if not rules["allow_override"] or not all(c.overridable for c in failed):
            raise PolicyCheckError(_blocked(version_id, failed, "This project does not allow overrides."),
                                   details={"failed_checks": [c.to_dict() for c in failed]})
        if not justification:
            raise PolicyCheckError(_blocked(version_id, failed, "To approve anyway, write an override justification."),
                                   details={"failed_checks": [c.to_dict() for c in failed]})
    elif justification:
        justification = ""  # nothing to override: do not record a justification for nothing
    from_status = version.status
    snapshot = build_snapshot(session, version, checks)
    payload = {"comment": comment, "override": bool(failed), "failed_checks": [c.name for c in failed]}
    if len(previous_votes) + 1 < int(rules["quorum"]):
        # The vote is in; the claim is handed back so the next approver can claim the version (it stays in review).
        bumped = session.execute(sa.update(ModelVersion).where(ModelVersion.id == version.id,
                                                               ModelVersion.state_version == version.state_version)
                                 .values(state_version=version.state_version + 1, claimed_by_id=None, claimed_at=None))
        if bumped.rowcount != 1:
            raise ConflictError(f"Version {version.id} was changed by someone else a moment ago; reload it and decide again.")
        session.expire(version)
        session.refresh(version)
        append(session, actor, "version.approval_recorded", "model_version", version.id,
               {**payload, "approvals": len(previous_votes) + 1, "quorum": rules["quorum"]})
    else:
        transition(session, actor, version, "approve", event="version.approved",
                   payload={**payload, "approvers": [v.actor_id for v in previous_votes] + [actor.id]})
    if failed:  # after the state moved: the conditional UPDATE above is what serialises two deciders
        append(session, actor, "version.policy_overridden", "model_version", version.id,
               {"failed_checks": [c.to_dict() for c in failed], "justification": justification})
    return _decision(session, actor, version, "approve", from_status, comment, justification, snapshot)


def _blocked(version_id: int, failed, tail: str) -> str:
    reasons = "; ".join(c.message for c in failed)
    return f"Version {version_id} fails {len(failed)} policy check(s): {reasons} {tail}"


def _decide(session: Session, settings: Settings, actor, version_id: int, action: str, event: str, comment: str) -> ReviewDecisionPublic:
    version = version_for(session, actor, "review.decide", version_id)
    require_claim_holder(session, settings, actor, version, action.replace("_", " "))
    comment = _text(comment, "A comment saying why", required=True)
    from_status = version.status
    _require_move(version, action)
    checks = evaluate_policy(session, settings, version)
    snapshot = build_snapshot(session, version, checks)
    transition(session, actor, version, action, event=event, payload={"comment": comment})
    add_comment_row(session, actor, version_id, comment)
    return _decision(session, actor, version, action, from_status, comment, "", snapshot)


def reject(session: Session, settings: Settings, actor, version_id: int, comment: str) -> ReviewDecisionPublic:
    return _decide(session, settings, actor, version_id, "reject", "version.rejected", comment)


def request_changes(session: Session, settings: Settings, actor, version_id: int, comment: str) -> ReviewDecisionPublic:
    return _decide(session, settings, actor, version_id, "request_changes", "version.changes_requested", comment)


def end_active_deployments(session: Session, version_id: int, status: str) -> list[int]:
    """End a version's active deployments with ``status`` (revoke and retire); their ids."""
    rows = session.exec(select(Deployment).where(Deployment.version_id == version_id, Deployment.status == "active")).all()
    for d in rows:
        d.status, d.ended_at = status, utcnow()
        session.add(d)
    return [d.id for d in rows]


def revoke(session: Session, settings: Settings, actor, version_id: int, reason: str) -> ReviewDecisionPublic:
    """Withdraw an approval (approved or deployed): deployment tooling sees ``version.revoked``."""
    version = version_for(session, actor, "review.revoke", version_id)
    reason = _text(reason, "A reason for revoking", required=True)
    from_status = version.status
    _require_move(version, "revoke")
    ended = end_active_deployments(session, version.id, "retired")
    checks = evaluate_policy(session, settings, version)
    snapshot = build_snapshot(session, version, checks)
    transition(session, actor, version, "revoke", event="version.revoked", payload={"reason": reason, "ended_deployments": ended})
    return _decision(session, actor, version, "revoke", from_status, reason, "", snapshot)
