"""Project membership: who belongs to a project and with which project role.

Analysts see and change only the projects they belong to (issue "Tenancy"): a
viewer reads, an editor also uploads, trains, sets business inputs, comments and
shares, an owner also manages the members.  The rules live in
automl_canvas/auth/policy.py; this table only records who is in.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from ._types import created_at_field

__all__ = ["PROJECT_ROLES", "ProjectMember", "ProjectMemberPublic"]

#: Project roles, weakest first: each can do what the one before it can.
PROJECT_ROLES = ("viewer", "editor", "owner")


class ProjectMember(SQLModel, table=True):
    __tablename__ = "project_members"
    __table_args__ = (sa.UniqueConstraint("project_id", "user_id", name="uq_project_member"),)
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="projects.id", index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    role: str = Field(max_length=16)
    #: who added them (None: the migration that made every project's creator its owner).
    added_by_id: int | None = Field(default=None, foreign_key="users.id")
    added_at: datetime = created_at_field()


class ProjectMemberPublic(SQLModel):
    project_id: int
    user_id: int
    username: str
    display_name: str = ""
    role: str = Field(description="owner, editor or viewer")
    added_by: str | None = Field(default=None, description="username of who added them")
    added_at: datetime
