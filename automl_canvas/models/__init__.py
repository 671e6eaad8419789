"""SQLModel tables and their public schemas, one module per aggregate."""

from .datasets import Dataset, DatasetPublic
from .evidence import EVIDENCE_KINDS, Evidence, EvidencePublic
from .feasibility import BusinessInputsRow, FeasibilityAssessment, FeasibilityPublic
from .jobs import JOB_TRANSITIONS, TERMINAL_STATUSES, Job, JobPublic, JobStatus
from .model_versions import ModelVersion, ModelVersionPublic
from .projects import Project, ProjectCreate, ProjectPublic
from .users import ROLES, User, UserPublic

__all__ = [
    "EVIDENCE_KINDS",
    "JOB_TRANSITIONS",
    "ROLES",
    "TERMINAL_STATUSES",
    "BusinessInputsRow",
    "Dataset",
    "DatasetPublic",
    "Evidence",
    "EvidencePublic",
    "FeasibilityAssessment",
    "FeasibilityPublic",
    "Job",
    "JobPublic",
    "JobStatus",
    "ModelVersion",
    "ModelVersionPublic",
    "Project",
    "ProjectCreate",
    "ProjectPublic",
    "User",
    "UserPublic",
]
