"""A trained, evaluated, immutable model: the unit that is reviewed and released."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from ._types import created_at_field, json_field, time_field

__all__ = ["ModelVersion", "ModelVersionPublic"]


class ModelVersionBase(SQLModel):
    project_id: int = Field(foreign_key="projects.id", index=True)
    dataset_id: int = Field(foreign_key="datasets.id", index=True)
    job_id: int | None = Field(default=None, foreign_key="jobs.id")
    version: int = Field(description="1, 2, 3... within the project.")
    created_by_id: int = Field(foreign_key="users.id", index=True)
    task: str = Field(max_length=16)
    target: str = Field(max_length=300)
    metric: str = Field(max_length=32)
    #: True when a larger metric value is better (AUC) and False for losses (RMSE).
    higher_is_better: bool = True
    best_learner: str = Field(max_length=64)
    holdout_score: float
    baseline_score: float
    default_model_score: float
    validation_score: float | None = None
    artifact_sha256: str = Field(max_length=64, index=True)
    artifact_path: str = Field(max_length=500)
    artifact_size: int = 0
    status: str = Field(default="draft", max_length=32, index=True)
    #: How the version came to be: "search" (a training job) or "mitigation" (from a parent version).
    origin: str = Field(default="search", max_length=32)
    parent_version_id: int | None = Field(default=None, foreign_key="model_versions.id", index=True)
    #: Review bookkeeping (see automl_canvas/review): who shared it, who claimed it, and a counter
    #: bumped by every review transition so two concurrent deciders cannot both win.
    shared_by_id: int | None = Field(default=None, foreign_key="users.id")
    claimed_by_id: int | None = Field(default=None, foreign_key="users.id")
    state_version: int = 0
    #: The version this one answers (a retrain after "changes requested").
    responds_to_version_id: int | None = Field(default=None, foreign_key="model_versions.id")


class ModelVersion(ModelVersionBase, table=True):
    __tablename__ = "model_versions"
    __table_args__ = (sa.UniqueConstraint("project_id", "version", name="uq_model_version_project_version"),)
    id: int | None = Field(default=None, primary_key=True)
    metrics: dict[str, Any] = json_field()
    cv_metrics: dict[str, Any] = json_field()
    leaderboard: list[dict[str, Any]] = json_field(list)
    recipe: dict[str, Any] = json_field()
    feature_schema: dict[str, Any] = json_field()
    notes: list[dict[str, Any]] = json_field(list)
    #: Columns the model uses that the leakage check flagged for this target (filled when shared).
    leakage_suspects: list[str] = json_field(list)
    #: Binary only: the cut-off it decides at, how it was chosen and its numbers (training/operating_point.py).
    operating_point: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON, nullable=True)
    status_changed_at: datetime | None = time_field()
    created_at: datetime = created_at_field()
    #: When ``claimed_by_id`` took the claim: a claim older than ``review_claim_expiry_minutes`` may be taken over.
    claimed_at: datetime | None = time_field()


class ModelVersionPublic(ModelVersionBase):
    id: int
    metrics: dict[str, Any]
    cv_metrics: dict[str, Any]
    leaderboard: list[dict[str, Any]]
    recipe: dict[str, Any]
    feature_schema: dict[str, Any]
    notes: list[dict[str, Any]]
    leakage_suspects: list[str] = []
    operating_point: dict[str, Any] | None = None
    status_changed_at: datetime | None = None
    created_at: datetime
    claimed_at: datetime | None = None
