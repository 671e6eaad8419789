"""SQLModel tables and their public schemas, one module per aggregate."""

from .audit import AuditEvent, AuditEventPublic
from .datasets import Dataset, DatasetPublic
from .deployments import DEPLOYMENT_STATUSES, Deployment, DeploymentPublic
from .evidence import COMPUTED_EVIDENCE_KINDS, EVIDENCE_KINDS, Evidence, EvidencePublic
from .jobs import JOB_TRANSITIONS, TERMINAL_STATUSES, Job, JobPublic, JobStatus
from .model_versions import ModelVersion, ModelVersionPublic
from .projects import Project, ProjectCreate, ProjectPublic
from .review import Comment, CommentPublic, ProjectPolicy, ReviewDecision, ReviewDecisionPublic
from .tokens import ApiToken, ApiTokenPublic
from .users import ROLES, User, UserPublic

__all__ = [
    "COMPUTED_EVIDENCE_KINDS",
    "DEPLOYMENT_STATUSES",
    "EVIDENCE_KINDS",
    "JOB_TRANSITIONS",
    "ROLES",
    "TERMINAL_STATUSES",
    "ApiToken",
    "ApiTokenPublic",
    "AuditEvent",
    "AuditEventPublic",
    "Comment",
    "CommentPublic",
    "Dataset",
    "DatasetPublic",
    "Deployment",
    "DeploymentPublic",
    "Evidence",
    "EvidencePublic",
    "Job",
    "JobPublic",
    "JobStatus",
    "ModelVersion",
    "ModelVersionPublic",
    "Project",
    "ProjectCreate",
    "ProjectPolicy",
    "ProjectPublic",
    "ReviewDecision",
    "ReviewDecisionPublic",
    "User",
    "UserPublic",
]
