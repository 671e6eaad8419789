"""Review records: decisions with their frozen evidence, the conversation, per-project approval policy."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from ._types import created_at_field, json_field

__all__ = ["Comment", "CommentPublic", "ProjectPolicy", "ReviewDecision", "ReviewDecisionPublic"]


class ReviewDecisionBase(SQLModel):
    version_id: int = Field(foreign_key="model_versions.id", index=True)
    actor_id: int = Field(foreign_key="users.id")
    #: approve | reject | request_changes | revoke
    decision: str = Field(max_length=32)
    comment: str = Field(default="", max_length=10_000)
    #: The approver's written reason for approving although a policy check failed ("" when none).
    override_justification: str = Field(default="", max_length=10_000)
    from_status: str = Field(max_length=32)
    to_status: str = Field(max_length=32)
    artifact_sha256: str = Field(max_length=64)


class ReviewDecision(ReviewDecisionBase, table=True):
    __tablename__ = "review_decisions"
    id: int | None = Field(default=None, primary_key=True)
    #: What the reviewer saw, frozen: policy results, key metrics, fairness disparities, top drivers, digest.
    evidence_snapshot: dict[str, Any] = json_field()
    created_at: datetime = created_at_field()


class ReviewDecisionPublic(ReviewDecisionBase):
    id: int
    evidence_snapshot: dict[str, Any]
    created_at: datetime


class CommentBase(SQLModel):
    version_id: int = Field(foreign_key="model_versions.id", index=True)
    author_id: int = Field(foreign_key="users.id")
    body: str = Field(max_length=10_000)


class Comment(CommentBase, table=True):
    __tablename__ = "comments"
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = created_at_field()


class CommentPublic(CommentBase):
    id: int
    author_name: str = ""
    created_at: datetime


class ProjectPolicy(SQLModel, table=True):
    """A project's approval policy overrides (absent keys take the defaults in review/policy.py)."""

    __tablename__ = "project_policies"
    project_id: int = Field(foreign_key="projects.id", primary_key=True)
    rules: dict[str, Any] = json_field()
    updated_by_id: int | None = Field(default=None, foreign_key="users.id")
    updated_at: datetime = created_at_field()
