"""Where approved versions run, as recorded by deployment tooling."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from ._types import created_at_field, time_field

__all__ = ["DEPLOYMENT_STATUSES", "Deployment", "DeploymentPublic"]

#: active: serving now; superseded: a later deployment to the same environment replaced it;
#: rolled_back: marked rolled back by deployment tooling; retired: its version was retired or revoked.
DEPLOYMENT_STATUSES = ("active", "superseded", "rolled_back", "retired")


class DeploymentBase(SQLModel):
    version_id: int = Field(foreign_key="model_versions.id", index=True)
    environment: str = Field(max_length=100, index=True)
    #: Free text from the tool: a release name, an image tag, a URL.
    reference: str = Field(default="", max_length=500)
    status: str = Field(default="active", max_length=32, index=True)
    deployed_by_id: int = Field(foreign_key="users.id")
    artifact_sha256: str = Field(max_length=64)
    #: The approved version that ran in this environment before (what a rollback returns to).
    previous_version_id: int | None = Field(default=None, foreign_key="model_versions.id")


class Deployment(DeploymentBase, table=True):
    __tablename__ = "deployments"
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = created_at_field()
    ended_at: datetime | None = time_field()


class DeploymentPublic(DeploymentBase):
    id: int
    created_at: datetime
    ended_at: datetime | None = None
