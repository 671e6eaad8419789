"""What the API's dict-shaped answers contain, for the OpenAPI document (``responses={200: {"model": ...}}``).

These routes return what a core service builds (a review, a model card, a prediction); the models here
describe it for client generators without re-validating it on every request (the predict hot path would pay
for that), so each lists the fields a client may rely on and allows more (``extra="allow"``): a new field is
not a breaking change, a missing or retyped one is, and ``tests/api/test_openapi_conformance.py`` checks real
answers against these models.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ApprovalCheckOut", "EventsOut", "ExplainOut", "FairnessOut", "FeedbackOut", "HealthWordOut", "MeOut",
    "ModelCardOut", "MonitoredVersionOut", "MonitoringOut", "PredictOut", "PushOut", "RetrainOut", "ReviewOut",
    "ReviewQueueItem", "RollbackOut", "ShapSummaryOut", "VersionHealthOut",
]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class MeOut(_Open):
    id: int
    username: str
    display_name: str | None = None
    roles: list[str]
    may: list[str] = Field(description="The actions this caller's roles allow (auth/policy.py names).")


class Contribution(_Open):
    column: str
    feature_value: Any = None
    contribution: float


class OutputExplanation(_Open):
    output: str | None = Field(default=None, description="The class (or the value, for regression) explained.")
    base_value: float
    output_value: float
    contributions: list[Contribution]


class Prediction(_Open):
    prediction: Any = Field(description="The class said (at the version's cut-off) or the predicted value.")
    probabilities: dict[str, float] | None = None
    confidence: float | None = None
    confidence_label: str | None = None
    contributions: list[OutputExplanation] | None = Field(default=None, description="With explain=true: SHAP values.")


class PredictOut(_Open):
    version_id: int
    task: str
    request_id: str
    logged: bool
    predictions: list[Prediction]
    decision_threshold: float | None = Field(default=None, description="Binary: the version's stored cut-off.")


class ExplainOut(_Open):
    version_id: int
    prediction: dict[str, Any]
    output_space: str
    explanation: list[OutputExplanation]


class ShapSummaryOut(_Open):
    explainer: str
    output_space: str
    n_rows: int
    top_features: list[dict[str, Any]]


class FairnessOut(_Open):
    summary: dict[str, Any] = Field(description="Sensitive columns and findings.")
    report: dict[str, Any] = Field(description="The full group report.")


class ReviewOut(_Open):
    version: dict[str, Any]
    grade: dict[str, Any]
    policy: dict[str, Any]
    checks: list[dict[str, Any]]
    can_approve: bool
    actions: list[str]
    blocked: dict[str, Any]
    decisions: list[dict[str, Any]]
    comments: list[dict[str, Any]]
    deployments: list[dict[str, Any]]
    history: list[dict[str, Any]]


class ReviewQueueItem(_Open):
    version_id: int
    project_id: int
    project: str
    version: int
    status: str
    task: str
    target: str
    metric: str
    holdout_score: float
    grade: str
    requested_by: str
    claimed_by: str | None = None
    waiting_since: datetime
    policy_status: str
    failed_checks: list[str]
    actions: list[str]
    blocked: dict[str, Any]


class ModelCardOut(_Open):
    model: dict[str, Any]
    intended_use: dict[str, Any]
    data: dict[str, Any]
    metrics: dict[str, Any]
    limitations: list[str]


class ApprovalCheckOut(_Open):
    approved: bool
    sha256: str
    version_id: int | None = None
    status: str | None = None


class EventSubject(_Open):
    type: str
    id: int | None = None


class Event(_Open):
    id: int
    type: str
    at: datetime
    actor: str | None = None
    subject: EventSubject
    data: dict[str, Any]


class EventsOut(_Open):
    events: list[Event]
    next_cursor: int = Field(description="Send as `after` next time.")


class DeploymentRecordOut(_Open):
    id: int
    version_id: int
    environment: str
    status: str


class RollbackOut(_Open):
    deployment: DeploymentRecordOut
    previous_version_id: int | None = None
    previous_artifact_sha256: str | None = None


class HealthWordOut(_Open):
    state: str
    label: str
    sentence: str
    checked_at: datetime | None = None


class VersionHealthOut(HealthWordOut):
    version_id: int


class MonitoringOut(_Open):
    version_id: int
    status: str
    health: HealthWordOut
    log: dict[str, Any]
    deployments: list[dict[str, Any]]
    checks: list[dict[str, Any]]
    alerts: list[dict[str, Any]]


class MonitoredVersionOut(_Open):
    version_id: int
    project_id: int
    version: int
    status: str
    health: HealthWordOut


class FeedbackOut(_Open):
    received: int
    recorded: int
    unknown: int
    message: str


class PushOut(_Open):
    received: int
    message: str


class RetrainOut(_Open):
    job: dict[str, Any] = Field(description="The training job (poll /jobs/{id}).")
    dataset_id: int
    feedback_rows: int
    original_rows: int

