"""SQLModel tables and their public schemas, one module per aggregate."""

from .audit import AuditEvent, AuditEventPublic
from .browser_sessions import BrowserSession, UserPreference
from .datasets import Dataset, DatasetPublic
from .deployments import DEPLOYMENT_STATUSES, Deployment, DeploymentPublic
from .evidence import COMPUTED_EVIDENCE_KINDS, EVIDENCE_KINDS, Evidence, EvidencePublic
from .feasibility import BusinessInputsRow, FeasibilityAssessment, FeasibilityPublic
from .jobs import JOB_TRANSITIONS, TERMINAL_STATUSES, Job, JobPublic, JobStatus
from .members import PROJECT_ROLES, ProjectMember, ProjectMemberPublic
from .model_versions import ModelVersion, ModelVersionPublic
from .monitoring import (
                         MONITORING_STATUSES,
                         PREDICTION_SOURCES,
                         MonitoringCheck,
                         MonitoringCheckPublic,
                         MonitoringSchedule,
                         PredictionLog,
)
from .projects import Project, ProjectCreate, ProjectPublic
from .review import Comment, CommentPublic, ProjectPolicy, ReviewDecision, ReviewDecisionPublic
from .tokens import ApiToken, ApiTokenPublic
from .users import ROLES, User, UserPublic
from .webhooks import DELIVERY_STATUSES, WebhookDelivery, WebhookDeliveryPublic, WebhookSubscription, WebhookSubscriptionPublic

__all__ = [
                         "COMPUTED_EVIDENCE_KINDS",
                         "DELIVERY_STATUSES",
                         "DEPLOYMENT_STATUSES",
                         "EVIDENCE_KINDS",
                         "JOB_TRANSITIONS",
                         "MONITORING_STATUSES",
                         "PREDICTION_SOURCES",
                         "PROJECT_ROLES",
                         "ROLES",
                         "TERMINAL_STATUSES",
                         "ApiToken",
                         "ApiTokenPublic",
                         "AuditEvent",
                         "AuditEventPublic",
                         "BrowserSession",
                         "BusinessInputsRow",
                         "Comment",
                         "CommentPublic",
                         "Dataset",
                         "DatasetPublic",
                         "Deployment",
                         "DeploymentPublic",
                         "Evidence",
                         "EvidencePublic",
                         "FeasibilityAssessment",
                         "FeasibilityPublic",
                         "Job",
                         "JobPublic",
                         "JobStatus",
                         "ModelVersion",
                         "ModelVersionPublic",
                         "MonitoringCheck",
                         "MonitoringCheckPublic",
                         "MonitoringSchedule",
                         "PredictionLog",
                         "Project",
                         "ProjectCreate",
                         "ProjectMember",
                         "ProjectMemberPublic",
                         "ProjectPolicy",
                         "ProjectPublic",
                         "ReviewDecision",
                         "ReviewDecisionPublic",
                         "User",
                         "UserPreference",
                         "UserPublic",
                         "WebhookDelivery",
                         "WebhookDeliveryPublic",
                         "WebhookSubscription",
                         "WebhookSubscriptionPublic",
]
