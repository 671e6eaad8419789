"""Uploaded tables, stored immutably as Parquet under their content hash."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from ._types import created_at_field, json_field

__all__ = ["Dataset", "DatasetPublic"]


class DatasetBase(SQLModel):
    project_id: int = Field(foreign_key="projects.id", index=True)
    name: str = Field(max_length=300)
    #: sha256 of the uploaded bytes: identical re-uploads to a project deduplicate.
    sha256: str = Field(max_length=64, index=True)
    file_format: str = Field(max_length=16)
    size_bytes: int
    n_rows: int
    n_columns: int
    #: Path of the Parquet copy, relative to the artifact directory.
    storage_path: str = Field(max_length=500)
    created_by_id: int = Field(foreign_key="users.id")


class Dataset(DatasetBase, table=True):
    __tablename__ = "datasets"
    __table_args__ = (sa.UniqueConstraint("project_id", "sha256", name="uq_dataset_project_sha"),)
    id: int | None = Field(default=None, primary_key=True)
    profile: dict[str, Any] = json_field()
    created_at: datetime = created_at_field()


class DatasetPublic(DatasetBase):
    id: int
    profile: dict[str, Any]
    created_at: datetime
