"""A project groups the datasets and models that answer one business question."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from ._types import created_at_field

__all__ = ["Project", "ProjectCreate", "ProjectPublic"]


class ProjectCreate(SQLModel):
    #: a name needs a visible character (the service says so in words; the schema states it for API clients)
    name: str = Field(max_length=200, schema_extra={"json_schema_extra": {"pattern": "\\S"}})
    question: str = Field(default="", max_length=2000, description="The business question.")
    decision: str = Field(default="", max_length=2000, description="The decision the model informs.")
    success_criterion: str = Field(default="", max_length=2000)


class Project(ProjectCreate, table=True):
    __tablename__ = "projects"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, index=True, unique=True)
    owner_id: int = Field(foreign_key="users.id", index=True)
    archived: bool = False
    created_at: datetime = created_at_field()


class ProjectPublic(ProjectCreate):
    id: int
    owner_id: int
    archived: bool
    created_at: datetime
