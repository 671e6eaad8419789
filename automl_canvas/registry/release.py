"""What deployment tooling may take: the approved bytes, and proof that a digest was approved.

Two rules apply here (both in automl_canvas/auth/policy.py), not in the API door:

* a deployer downloads an artifact only while its version is approved or
  deployed (scientists and admins may fetch any version, e.g. to reproduce it);
* an admission check answers "yes" for a sha256 only when some version with
  exactly those bytes is approved or deployed now - a revoked approval stops
  passing the check at once.

The artifact is re-hashed before it is handed out, so a file changed on disk
after training is refused (IntegrityError) instead of being deployed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, select

from ..auth.policy import RELEASED_STATES, require
from ..auth.resources import Access, version_for
from ..config import Settings
from ..errors import IntegrityError, NotFoundError, PermissionDeniedError, ValidationError
from ..models import ModelVersion, ModelVersionPublic, ReviewDecision, User
from .artifacts import artifact_path, sha256_file

__all__ = ["RELEASED_STATES", "ArtifactDownload", "check_approval", "open_artifact_for_download"]

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class ArtifactDownload:
    path: Path
    sha256: str
    size: int
    filename: str
    version: ModelVersionPublic


def open_artifact_for_download(session: Session, settings: Settings, actor, version_id: int) -> ArtifactDownload:
    """The verified artifact file of a version, if ``actor`` may take it."""
    row = version_for(session, actor, "model.download", version_id)  # the state rule: auth/policy.py downloadable
    path = artifact_path(settings, row.artifact_path)
    if not path.exists():
        raise NotFoundError(f"The artifact of version {version_id} is missing from the artifact store.")
    actual = sha256_file(path)
    if actual != row.artifact_sha256:
        raise IntegrityError(
            f"The artifact of version {version_id} no longer matches its recorded sha256 "
            f"({row.artifact_sha256[:12]}…); it will not be handed out.",
            details={"expected": row.artifact_sha256, "actual": actual})
    return ArtifactDownload(path=path, sha256=actual, size=path.stat().st_size,
                            filename=f"model-{row.project_id}-v{row.version}-{actual[:12]}.joblib",
                            version=ModelVersionPublic.model_validate(row))


def check_approval(session: Session, actor, sha256: str) -> dict:
    """The approved (or deployed) version with these bytes, its approver and time; 403-style refusal otherwise."""
    require(actor, "approval.check")
    digest = (sha256 or "").strip().lower()
    if not _SHA256.match(digest):
        raise ValidationError("sha256 must be 64 hexadecimal characters (the artifact's digest).",
                              details={"field": "sha256"})
    rows = session.exec(select(ModelVersion).where(ModelVersion.artifact_sha256 == digest,
                                                   ModelVersion.status.in_(RELEASED_STATES))
                        .order_by(ModelVersion.id.desc())).all()
    # a version the caller may not see answers like no version at all (analysts: their projects only)
    rows = Access(session, actor).filter("approval.check", rows, "version")
    if not rows:
        raise PermissionDeniedError(f"No approved or deployed model version has the sha256 {digest[:12]}…; do not admit it.",
                                    details={"sha256": digest, "approved": False})
    version = rows[0]
    decision = session.exec(select(ReviewDecision).where(ReviewDecision.version_id == version.id,
                                                         ReviewDecision.decision == "approve")
                            .order_by(ReviewDecision.id.desc())).first()
    approver = session.get(User, decision.actor_id) if decision else None
    return {"approved": True, "sha256": digest, "version_id": version.id, "project_id": version.project_id,
            "version": version.version, "status": version.status,
            "approved_by": approver.username if approver else None,
            "approved_at": decision.created_at if decision else version.status_changed_at}
