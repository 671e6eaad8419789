"""Request bodies and the compact version summary of the API (the core's Public models are the rest)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from automl_canvas.review import EVENT_ACTIONS

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

#: The event types subscriptions and the feed know.
EventType = Literal[EVENT_ACTIONS]


class ShareIn(BaseModel):
    message: str = ""
    responds_to_version_id: int | None = Field(default=None, **_ID)


class ApproveIn(BaseModel):
    comment: str = ""
    override_justification: str = ""


#: The services refuse blank text with their own words; the schema says the same to API clients.
_NOT_BLANK = {"pattern": r"\S"}
#: A caller's request id (the services' rule, stated for API clients).
_REQUEST_ID = {"type": "string", "pattern": "^[A-Za-z0-9._:@/-]{1,100}$"}


class DecisionIn(BaseModel):
    comment: str = Field(description="Why (required): the analyst reads it.", json_schema_extra=_NOT_BLANK)


class RevokeIn(BaseModel):
    reason: str = Field(description="Why (required): deployment tooling and the audit log show it.",
                        json_schema_extra=_NOT_BLANK)


class CommentIn(BaseModel):
    body: str = Field(json_schema_extra=_NOT_BLANK)


class DeploymentIn(BaseModel):
    environment: str = Field(description="1-100 letters, digits or . _ - / (e.g. production, staging)",
                             json_schema_extra={"pattern": "^[A-Za-z0-9._/-]{1,100}$"})
    reference: str = Field(default="", description="A release name, image tag or URL from your tool.")


class RollbackIn(BaseModel):
    reason: str = ""


class WebhookIn(BaseModel):
    url: str = Field(description="http(s) URL that receives POSTed events (a public address unless an admin "
                                 "allowlisted its network).", max_length=2000,
                     json_schema_extra={"pattern": "^https?://[^/?#\\s]+"})
    event_types: list[EventType] = Field(default_factory=list, description="Event types to send (empty: all).")
    secret: str = Field(description="16-200 characters; keys the HMAC-SHA256 signature. Not shown again.",
                        json_schema_extra={"minLength": 16, "maxLength": 200})


class PredictIn(BaseModel):
    records: list[dict[str, Any]] = Field(description="One object per row: field name -> value (null when unknown).",
                                          json_schema_extra={"minItems": 1})
    explain: bool = Field(default=False, description="Also return SHAP contributions per row (slower).")
    request_id: str | None = Field(default=None, max_length=100, json_schema_extra={"pattern": _REQUEST_ID["pattern"]},
                                   description=(
        "Your key for this request (else one is made up; the X-Request-ID header works too). Send true outcomes "
        "later to /feedback with this id and each record's position (row)."))


class FeedbackIn(BaseModel):
    feedback: list[dict[str, Any]] = Field(
        description="Objects {request_id, row (default 0), actual}: the true outcome of a logged prediction.",
        json_schema_extra={"minItems": 1, "items": {"type": "object", "required": ["request_id", "actual"], "properties": {
            "request_id": _REQUEST_ID, "row": {"type": "integer", "minimum": 0}, "actual": {"not": {"type": "null"}}}}})


class PushPredictionsIn(BaseModel):
    predictions: list[dict[str, Any]] = Field(description=(
        "Predictions served outside AutoML Canvas: {request_id, row (default 0), inputs: {field: value}, prediction, "
        "probabilities: {class: p} (optional)}."), json_schema_extra={"minItems": 1, "items": {
            "type": "object", "required": ["request_id", "inputs", "prediction"], "properties": {
                "request_id": _REQUEST_ID, "row": {"type": "integer", "minimum": 0},
                "inputs": {"type": "object", "minProperties": 1}, "prediction": {},
                "probabilities": {"type": "object", "additionalProperties": {"type": "number"}}}}})


class RetrainIn(BaseModel):
    alert_event_id: int | None = Field(default=None, ge=1, le=2_147_483_647,
                                       description="The monitoring alert (event id) this retrain answers.")


class ExplainIn(BaseModel):
    row: dict[str, Any] = Field(description="One row: field name -> value.", json_schema_extra={"minProperties": 1})


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
