"""The objects the policy judges, read from the database for one actor.

:mod:`automl_canvas.auth.policy` decides from a few facts about an object -
the actor's role in its project, whether it has been shared for review,
whether it is released, who made it; this module reads those facts (lazily,
each at most once per :class:`Access`, so filtering a list costs a few queries,
not a few per row) and offers the one-liners services start with::

    row = version_for(session, actor, "review.share", version_id)   # the row, or NotFound / PermissionDenied

A missing id and an object the actor may not see give the same NotFoundError,
word for word, so a non-member cannot tell them apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, select

from ..errors import NotFoundError
from ..models import Dataset, Job, ModelVersion, Project, ProjectMember
from .policy import RELEASED_EVER, allowed, require

__all__ = ["Access", "DatasetRef", "JobRef", "NeedsLookup", "ProjectRef", "VersionRef", "dataset_for", "job_for",
           "project_for", "shared_clause", "version_for"]

T = TypeVar("T")


class NeedsLookup(LookupError):
    """A reference made without a session (a cache's copy of a row) was asked a fact only the database knows."""


def shared_clause(table=ModelVersion):
    """SQL: the version has been shared for review (shared once, or moved on from draft)."""
    return sa.or_(table.shared_by_id.is_not(None), table.status != "draft")


class ProjectRef:
    kind = "project"

    def __init__(self, access: Access, row: Project):
        self._access = access
        self.id, self.name, self.owner_id = row.id, row.name, row.owner_id

    @property
    def project(self) -> ProjectRef:
        return self

    @property
    def missing(self) -> str:
        return f"Project {self.id} does not exist."

    @property
    def label(self) -> str:
        return f"project '{self.name}'"

    @property
    def details(self) -> dict:
        return {"project_id": self.id}

    @cached_property
    def member_role(self) -> str | None:
        return self._access.member_role(self.id)

    @cached_property
    def reviewed(self) -> bool:
        """A version of the project has been shared for review."""
        return self._access.exists(select(ModelVersion.id).where(ModelVersion.project_id == self.id, shared_clause()))

    @cached_property
    def released(self) -> bool:
        """A version of the project is or was released."""
        return self._access.exists(select(ModelVersion.id).where(ModelVersion.project_id == self.id,
                                                                 ModelVersion.status.in_(RELEASED_EVER)))


class _InProject:
    """What every object inside a project answers through its project."""

    _access: Access
    project_id: int | None

    @cached_property
    def project(self) -> ProjectRef | None:
        if self.project_id is None:
            return None
        return self._needs_access().project(self.project_id)

    def _needs_access(self) -> Access:
        if self._access is None:
            raise NeedsLookup(f"{self.kind} {self.id}: its project is not known without the database")
        return self._access

    @property
    def member_role(self) -> str | None:
        return self.project.member_role if self.project is not None else None

    # The words every refusal uses, from ``kind`` ("model version 3", "dataset 3", "job 3"): one rule for all.
    @property
    def missing(self) -> str:
        return f"{self.kind[0].upper()}{self.kind[1:]} {self.id} does not exist."

    @property
    def label(self) -> str:
        return f"{self.kind.split()[-1]} {self.id}"

    @property
    def details(self) -> dict:
        return {f"{self.kind.split()[-1]}_id": self.id}


class VersionRef(_InProject):
    kind = "model version"

    def __init__(self, access: Access | None, row: Any):
        self._access = access  # None: made from a cached copy of the row (project facts raise NeedsLookup)
        self.id, self.project_id, self.status = row.id, row.project_id, str(row.status)
        self.shared_by_id = getattr(row, "shared_by_id", None)
        self.created_by_id = getattr(row, "created_by_id", None)
        self.parent_version_id = getattr(row, "parent_version_id", None)
        self.job_id = getattr(row, "job_id", None)

    @property
    def details(self) -> dict:
        return {"version_id": self.id, "status": self.status}

    def _lineage(self) -> Iterable[ModelVersion]:
        """This version's row, then its parent's, and so on (each once)."""
        session = self._needs_access().session
        seen: set[int] = set()
        row = session.get(ModelVersion, self.id)
        while row is not None and row.id not in seen:
            seen.add(row.id)
            yield row
            row = session.get(ModelVersion, row.parent_version_id) if row.parent_version_id else None

    @cached_property
    def reviewed(self) -> bool:
        """It, or a version it was built from, has been shared for review: what a reviewer sees."""
        if self.shared_by_id is not None or self.status != "draft":
            return True
        return any(r.shared_by_id is not None or r.status != "draft" for r in self._lineage())

    @property
    def released(self) -> bool:
        return self.status in RELEASED_EVER

    @cached_property
    def makers(self) -> frozenset[int]:
        """Everyone who built or put forward this version (and its parents): they may not approve it."""
        makers: set[int] = set()
        for row in self._lineage():
            makers |= {i for i in (row.created_by_id, row.shared_by_id) if i is not None}
            if row.job_id is not None:
                job = self._needs_access().session.get(Job, row.job_id)
                if job is not None:
                    makers.add(job.created_by_id)
        return frozenset(makers)


class DatasetRef(_InProject):
    kind = "dataset"

    def __init__(self, access: Access, row: Any):
        self._access = access
        self.id, self.project_id, self.name = row.id, row.project_id, row.name

    @cached_property
    def reviewed(self) -> bool:
        """A version trained on it has been shared for review (the review shows its data profile)."""
        return self._access.exists(select(ModelVersion.id).where(ModelVersion.dataset_id == self.id, shared_clause()))

    released = False


class JobRef(_InProject):
    kind = "job"

    def __init__(self, access: Access, row: Any):
        self._access = access
        self.id, self.project_id, self.created_by_id = row.id, row.project_id, row.created_by_id

    @property
    def reviewed(self) -> bool:
        return self.project.reviewed if self.project is not None else True

    @property
    def released(self) -> bool:
        return False


class Access:
    """One actor's view of the database: memoised object references for the policy."""

    def __init__(self, session: Session, actor):
        self.session, self.actor = session, actor
        self._projects: dict[int, ProjectRef] = {}
        self._roles: dict[int, str] | None = None

    def exists(self, stmt) -> bool:
        return self.session.exec(stmt.limit(1)).first() is not None

    def member_role(self, project_id: int) -> str | None:
        if self._roles is None:  # one query for all of the actor's memberships
            rows = self.session.exec(select(ProjectMember.project_id, ProjectMember.role)
                                     .where(ProjectMember.user_id == self.actor.id)).all()
            self._roles = {pid: role for pid, role in rows}
        return self._roles.get(project_id)

    def project(self, project: int | Any) -> ProjectRef:
        pid = project if isinstance(project, int) else project.id
        if pid not in self._projects:
            row = self.session.get(Project, pid) if isinstance(project, int) else project
            if row is None:
                raise NotFoundError(f"Project {pid} does not exist.")
            self._projects[pid] = ProjectRef(self, row)
        return self._projects[pid]

    def version(self, version: int | Any) -> VersionRef:
        row = self.session.get(ModelVersion, version) if isinstance(version, int) else version
        if row is None:
            raise NotFoundError(f"Model version {version} does not exist.")
        return VersionRef(self, row)

    def dataset(self, dataset: int | Any) -> DatasetRef:
        row = self.session.get(Dataset, dataset) if isinstance(dataset, int) else dataset
        if row is None:
            raise NotFoundError(f"Dataset {dataset} does not exist.")
        return DatasetRef(self, row)

    def job(self, job: int | Any) -> JobRef:
        row = self.session.get(Job, job) if isinstance(job, int) else job
        if row is None:
            raise NotFoundError(f"Job {job} does not exist.")
        return JobRef(self, row)

    def allowed(self, action: str, ref) -> bool:
        return allowed(self.actor, action, ref)

    def filter(self, action: str, rows: Iterable[T], kind: str) -> list[T]:
        """The rows ``actor`` may perform ``action`` on (``kind``: "project", "version", "dataset" or "job")."""
        make = getattr(self, kind)
        return [r for r in rows if self.allowed(action, make(r))]


def project_for(session: Session, actor, action: str, project_id: int) -> Project:
    """The project row, once ``actor`` may perform ``action`` on it (the role table is checked first)."""
    require(actor, action)
    ref = Access(session, actor).project(project_id)
    require(actor, action, ref)
    return session.get(Project, project_id)


def version_for(session: Session, actor, action: str, version_id: int) -> ModelVersion:
    """The version row, once ``actor`` may perform ``action`` on it (the role table is checked first)."""
    require(actor, action)
    row = session.get(ModelVersion, version_id)
    if row is None:
        raise NotFoundError(f"Model version {version_id} does not exist.")
    require(actor, action, VersionRef(Access(session, actor), row))
    return row


def dataset_for(session: Session, actor, action: str, dataset_id: int) -> Dataset:
    """The dataset row, once ``actor`` may perform ``action`` on it (the role table is checked first)."""
    require(actor, action)
    row = session.get(Dataset, dataset_id)
    if row is None:
        raise NotFoundError(f"Dataset {dataset_id} does not exist.")
    require(actor, action, DatasetRef(Access(session, actor), row))
    return row


def job_for(session: Session, actor, action: str, job_id: int) -> Job:
    """The job row, once ``actor`` may perform ``action`` on it (the role table is checked first)."""
    require(actor, action)
    row = session.get(Job, job_id)
    if row is None:
        raise NotFoundError(f"Job {job_id} does not exist.")
    require(actor, action, JobRef(Access(session, actor), row))
    return row
