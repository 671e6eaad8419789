"""What production did with a model: logged predictions, their true outcomes, and drift/quality checks.

One ``PredictionLog`` row per scored record (not per request), keyed by the
caller's request id and the record's position in it, so feedback can name a
single prediction and the same key sent twice is stored once.  The true
outcome lives on the same row: the join of predictions and feedback is the row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from ._types import created_at_field, json_field, time_field

__all__ = ["MONITORING_STATUSES", "PREDICTION_SOURCES", "MonitoringCheck", "MonitoringCheckPublic", "MonitoringSchedule",
           "PredictionLog"]

#: api: served by the approval API; batch: a scored upload; external: pushed by tooling that serves the model itself.
PREDICTION_SOURCES = ("api", "batch", "external")
#: ok: nothing crossed a threshold; attention: something did; insufficient: too few rows to judge.
MONITORING_STATUSES = ("ok", "attention", "insufficient")


class PredictionLog(SQLModel, table=True):
    __tablename__ = "prediction_logs"
    __table_args__ = (
        sa.UniqueConstraint("version_id", "request_id", "row", name="uq_prediction_log_key"),
        sa.Index("ix_prediction_logs_version_logged", "version_id", "logged_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="model_versions.id")
    request_id: str = Field(max_length=100)
    #: Position of the record in its request (0 for a single record).
    row: int = 0
    source: str = Field(default="api", max_length=16)
    #: The input record, or None when it was not in the configured sample (the output is always kept).
    inputs: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON, nullable=True)
    prediction: Any = Field(default=None, sa_type=sa.JSON, nullable=True)
    #: Class probabilities in the order of the version's ``feature_schema['classes']`` (classification only).
    probabilities: list[float] | None = Field(default=None, sa_type=sa.JSON, nullable=True)
    logged_at: datetime = created_at_field()
    #: The true outcome, from feedback (None until it arrives).
    actual: Any = Field(default=None, sa_type=sa.JSON, nullable=True)
    actual_at: datetime | None = time_field()


class MonitoringSchedule(SQLModel, table=True):
    """When each deployed version is checked next; the conditional update on ``next_check_at`` lets many
    workers share the schedule without two of them queueing the same check."""

    __tablename__ = "monitoring_schedules"
    version_id: int = Field(foreign_key="model_versions.id", primary_key=True)
    next_check_at: datetime | None = time_field()


class MonitoringCheckBase(SQLModel):
    version_id: int = Field(foreign_key="model_versions.id", index=True)
    job_id: int | None = Field(default=None, foreign_key="jobs.id")
    status: str = Field(default="ok", max_length=16)
    window_start: datetime | None = time_field()
    window_end: datetime | None = time_field()
    #: Logged predictions in the window, and how many of them carried inputs / a true outcome.
    rows: int = 0
    rows_with_inputs: int = 0
    labelled_rows: int = 0
    metric: str = Field(default="", max_length=32)
    holdout_metric: float | None = None
    live_metric: float | None = None


class MonitoringCheck(MonitoringCheckBase, table=True):
    __tablename__ = "monitoring_checks"
    id: int | None = Field(default=None, primary_key=True)
    #: feature -> {kind, psi, test, statistic, p_value, drifted, reference/live summaries}
    features: dict[str, Any] = json_field()
    prediction_drift: dict[str, Any] = json_field()
    quality: dict[str, Any] = json_field()
    #: What crossed a threshold in this check: [{kind, message, ...}]
    findings: list[dict[str, Any]] = json_field(list)
    #: The thresholds this check applied (so an old check reads the same after settings change).
    thresholds: dict[str, Any] = json_field()
    #: Audit seqs of the alert events this check raised (a finding already active last time raises none).
    alert_event_ids: list[int] = json_field(list)
    checked_at: datetime = created_at_field()


class MonitoringCheckPublic(MonitoringCheckBase):
    id: int
    features: dict[str, Any]
    prediction_drift: dict[str, Any]
    quality: dict[str, Any]
    findings: list[dict[str, Any]]
    thresholds: dict[str, Any]
    alert_event_ids: list[int]
    checked_at: datetime
