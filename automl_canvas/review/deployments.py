"""Deployment records: what runs where, rollbacks, retirement.

Only approved (or already deployed) versions can be recorded as deployed; the
artifact digest is copied into the record so tooling can prove which bytes
run.  A new deployment to an environment supersedes the active one there; a
rollback marks the active deployment rolled back and names the approved
version that ran there before.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from ..audit import append
from ..auth.policy import allowed, require
from ..auth.resources import Access, version_for
from ..db import utcnow
from ..errors import InvalidTransitionError, NotFoundError, ValidationError
from ..models import Deployment, DeploymentPublic, ModelVersion
from .service import end_active_deployments, transition
from .states import ReviewState

__all__ = ["list_deployments", "record_deployment", "retire", "rollback"]


def _env(environment: str) -> str:
    env = (environment or "").strip()
    if not env or len(env) > 100 or not all(ch.isalnum() or ch in "._-/" for ch in env):
        raise ValidationError("An environment needs 1-100 letters, digits or . _ - / (e.g. 'production').")
    return env


def record_deployment(session: Session, actor, version_id: int, environment: str, reference: str = "") -> DeploymentPublic:
    require(actor, "deployment.record")
    env = _env(environment)
    reference = (reference or "").strip()[:500]
    version = version_for(session, actor, "deployment.record", version_id)
    if version.status not in (ReviewState.approved, ReviewState.deployed):
        raise InvalidTransitionError(f"Version {version_id} is {version.status}; only approved versions can be deployed.",
                                     details={"version_id": version_id, "status": version.status})
    current = session.exec(select(Deployment).where(Deployment.environment == env, Deployment.status == "active")).all()
    previous_id = None
    for d in current:
        if d.version_id != version_id:
            previous_id = d.version_id
        d.status, d.ended_at = "superseded", utcnow()
        session.add(d)
        _maybe_undeploy(session, actor, d.version_id, exclude=version_id)
    row = Deployment(version_id=version_id, environment=env, reference=reference, deployed_by_id=actor.id,
                     artifact_sha256=version.artifact_sha256, previous_version_id=previous_id)
    session.add(row)
    session.flush()
    transition(session, actor, version, "deploy", event="deployment.recorded",
               payload={"deployment_id": row.id, "environment": env, "reference": reference, "previous_version_id": previous_id})
    return DeploymentPublic.model_validate(row)


def _maybe_undeploy(session: Session, actor, version_id: int, exclude: int) -> None:
    """A version with no active deployment left goes back from deployed to approved."""
    if version_id == exclude:
        return
    active = session.exec(select(Deployment).where(Deployment.version_id == version_id, Deployment.status == "active")).first()
    version = session.get(ModelVersion, version_id)
    if active is None and version is not None and version.status == ReviewState.deployed:
        transition(session, actor, version, "undeploy", event="version.undeployed")


def rollback(session: Session, actor, deployment_id: int, reason: str = "") -> dict[str, Any]:
    require(actor, "deployment.rollback")
    row = session.get(Deployment, deployment_id)
    if row is None or not allowed(actor, "deployment.rollback", Access(session, actor).version(row.version_id)):
        raise NotFoundError(f"Deployment {deployment_id} does not exist.")
    if row.status != "active":
        raise InvalidTransitionError(f"Deployment {deployment_id} is {row.status}; only an active deployment can be rolled back.")
    row.status, row.ended_at = "rolled_back", utcnow()
    session.add(row)
    session.flush()
    _maybe_undeploy(session, actor, row.version_id, exclude=-1)
    previous = _previous_approved(session, row)
    append(session, actor, "deployment.rolled_back", "deployment", row.id,
           {"version_id": row.version_id, "environment": row.environment, "reason": (reason or "")[:2000],
            "previous_version_id": previous.id if previous else None,
            "previous_artifact_sha256": previous.artifact_sha256 if previous else None})
    return {"deployment": DeploymentPublic.model_validate(row).model_dump(mode="json"),
            "previous_version_id": previous.id if previous else None,
            "previous_artifact_sha256": previous.artifact_sha256 if previous else None}


def _previous_approved(session: Session, row: Deployment) -> ModelVersion | None:
    """The newest earlier deployment in the environment whose version is still approved (what to go back to)."""
    earlier = session.exec(select(Deployment).where(Deployment.environment == row.environment, Deployment.id < row.id)
                           .order_by(Deployment.id.desc())).all()
    for d in earlier:
        v = session.get(ModelVersion, d.version_id)
        if v is not None and v.id != row.version_id and v.status in (ReviewState.approved, ReviewState.deployed):
            return v
    return None


def retire(session: Session, actor, version_id: int, reason: str = ""):
    version = version_for(session, actor, "version.retire", version_id)
    if version.status in (ReviewState.approved, ReviewState.deployed):
        end_active_deployments(session, version_id, "retired")
    return transition(session, actor, version, "retire", event="version.retired", payload={"reason": (reason or "")[:2000]})


def list_deployments(session: Session, actor, *, version_id: int | None = None, environment: str | None = None,
                     active_only: bool = False) -> list[DeploymentPublic]:
    """Deployment records of the versions the actor may see (deployment tooling: all of them)."""
    require(actor, "deployment.read")
    stmt = select(Deployment).order_by(Deployment.id)
    if version_id is not None:
        version_for(session, actor, "deployment.read", version_id)  # NotFound unless the actor may see it
        stmt = stmt.where(Deployment.version_id == version_id)
    if environment is not None:
        stmt = stmt.where(Deployment.environment == environment)
    if active_only:
        stmt = stmt.where(Deployment.status == "active")
    access = Access(session, actor)
    return [DeploymentPublic.model_validate(d) for d in session.exec(stmt)
            if access.allowed("deployment.read", access.version(d.version_id))]
