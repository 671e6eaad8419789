"""Request bodies and the compact version summary of the API (the core's Public models are the rest)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

__all__ = [
    "ApproveIn",
    "CommentIn",
    "DecisionIn",
    "DeploymentIn",
    "ExplainIn",
    "FeedbackIn",
    "PredictIn",
    "PushPredictionsIn",
    "RetrainIn",
    "RevokeIn",
    "RollbackIn",
    "ShareIn",
    "VersionSummary",
    "WebhookIn",
]

_ID = {"ge": 1, "le": 2_147_483_647}


class ShareIn(BaseModel):
    message: str = ""
    responds_to_version_id: int | None = Field(default=None, **_ID)


class ApproveIn(BaseModel):
    comment: str = ""
    override_justification: str = ""


class DecisionIn(BaseModel):
    comment: str = Field(description="Why (required): the analyst reads it.")


class RevokeIn(BaseModel):
    reason: str


class CommentIn(BaseModel):
    body: str


class DeploymentIn(BaseModel):
    environment: str = Field(description="e.g. production, staging")
    reference: str = Field(default="", description="A release name, image tag or URL from your tool.")


class RollbackIn(BaseModel):
    reason: str = ""


class WebhookIn(BaseModel):
    url: str = Field(description="http(s) URL that receives POSTed events.")
    event_types: list[str] = Field(default_factory=list, description="Event types to send (empty: all).")
    secret: str = Field(description="16-200 characters; keys the HMAC-SHA256 signature. Not shown again.")


class PredictIn(BaseModel):
    records: list[dict[str, Any]] = Field(description="One object per row: field name -> value (null when unknown).")
    explain: bool = Field(default=False, description="Also return SHAP contributions per row (slower).")
    request_id: str | None = Field(default=None, max_length=100, description=(
        "Your key for this request (else one is made up; the X-Request-ID header works too). Send true outcomes "
        "later to /feedback with this id and each record's position (row)."))


class FeedbackIn(BaseModel):
    feedback: list[dict[str, Any]] = Field(description="Objects {request_id, row (default 0), actual}: the true outcome "
                                                       "of a logged prediction.")


class PushPredictionsIn(BaseModel):
    predictions: list[dict[str, Any]] = Field(description=(
        "Predictions served outside AutoML Canvas: {request_id, row (default 0), inputs: {field: value}, prediction, "
        "probabilities: {class: p} (optional)}."))


class RetrainIn(BaseModel):
    alert_event_id: int | None = Field(default=None, ge=1, le=2_147_483_647,
                                       description="The monitoring alert (event id) this retrain answers.")


class ExplainIn(BaseModel):
    row: dict[str, Any]


class VersionSummary(BaseModel):
    """What a poller needs per version (the full record is at /model-versions/{id})."""

    id: int
    project_id: int
    version: int
    status: str
    task: str
    target: str
    metric: str
    holdout_score: float
    baseline_score: float
    best_learner: str
    artifact_sha256: str
    artifact_size: int
    created_at: datetime
    status_changed_at: datetime | None = None
