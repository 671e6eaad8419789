"""What the analyst pages share: the signed-in user, the picked project / dataset / model, a DB session.

What a person picks lives in ``st.session_state`` (one per browser tab), never
in module globals, so two analysts never see each other's choices.  The current
project is the exception: it is the user's (the core keeps it,
``automl_canvas.projects.current``), so a reload, a second tab and tomorrow's
visit open on it; see :func:`current_project_for_tab`.  Pages call the core and
render; rules live in the core.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import streamlit as st
from sqlmodel import Session

from apps.common import World, get_world, page_user
from automl_canvas.datasets.service import list_datasets
from automl_canvas.db import session_scope
from automl_canvas.errors import CanvasError
from automl_canvas.models import DatasetPublic, ModelVersionPublic, ProjectPublic, UserPublic
from automl_canvas.projects import current_project, set_current_project
from automl_canvas.registry.plain_language import version_status_label
from automl_canvas.registry.service import get_version, list_versions

__all__ = [
    "ROLES",
    "current_project_for_tab",
    "db",
    "deployed_health",
    "evidence_or_none",
    "evidence_waiting_words",
    "page",
    "performance_detail",
    "pick_dataset",
    "pick_version",
    "remember_project",
    "require_project",
    "saved_upload",
    "user",
    "version_label",
]

PROJECT, DATASET, VERSION = "project_id", "dataset_id", "version_id"
#: The user's current project as this tab last agreed with the core (a different ``PROJECT``: this tab chose anew).
_PROJECT_SEEN = "project_id_seen"


#: Who may use the analyst app (app.py's sign-in gate and :func:`user`).
ROLES = frozenset({"analyst", "scientist"})


def user() -> UserPublic:
    """The signed-in analyst or scientist (every page calls it first; see ``apps.common.page_user``)."""
    return page_user(ROLES, "analyst app")


@contextmanager
def db() -> Iterator[Session]:
    with session_scope(get_world().engine) as s:
        yield s


def _store_choice(actor: UserPublic, project_id: int) -> ProjectPublic | None:
    try:
        with db() as s:
            project = set_current_project(s, actor, project_id)
    except CanvasError:  # not a project this user may see (any more)
        st.session_state.pop(PROJECT, None)
        return None
    st.session_state[PROJECT] = st.session_state[_PROJECT_SEEN] = project.id
    return project


def remember_project(actor: UserPublic, project_id: int) -> bool:
    """Make ``project_id`` the user's current project (every tab follows on its next run); False (and the tab
    forgets it) when the user may not see it. A pick that changes nothing is not written again."""
    if project_id == st.session_state.get(_PROJECT_SEEN) == st.session_state.get(PROJECT):
        return True
    return _store_choice(actor, project_id) is not None


def current_project_for_tab(actor: UserPublic) -> ProjectPublic | None:
    """The user's current project, kept in step with this tab's ``st.session_state[PROJECT]``.

    Why both: pages (and tests) read and set the tab's key, while the choice belongs to the user. A tab whose key
    differs from what it last saw in the core chose a project itself (the Projects page calls
    :func:`remember_project`; an older page or a test may set the key): that becomes the user's. Otherwise the
    core's value wins, so a project picked in another tab, or before a reload, is the one shown. A project the user
    lost access to is dropped by the core (``current_project``), and the tab asks to pick one.
    """
    tab = st.session_state.get(PROJECT)
    if tab is not None and tab != st.session_state.get(_PROJECT_SEEN):
        project = _store_choice(actor, tab)
        if project is not None:
            return project
    try:
        with db() as s:
            project = current_project(s, actor)
    except CanvasError:  # a role that may not read projects: the page's own gate says so
        project = None
    if project is None:
        st.session_state.pop(PROJECT, None)
        st.session_state[_PROJECT_SEEN] = None
    else:
        st.session_state[PROJECT] = st.session_state[_PROJECT_SEEN] = project.id
    return project


def require_project(actor: UserPublic) -> ProjectPublic:
    """The user's current project (picked on the Projects page, in any tab), or a pointer there and a stop."""
    project = current_project_for_tab(actor)
    if project is not None:
        return project
    st.info("Pick or create a project first.")
    st.page_link("pages/projects.py", label="Go to Projects", icon=":material/folder:")
    st.stop()


def pick_dataset(actor: UserPublic, project: ProjectPublic, *, label: str = "Dataset") -> DatasetPublic | None:
    with db() as s:
        datasets = list_datasets(s, actor, project.id)
    if not datasets:
        return None
    ids = [d.id for d in datasets]
    current = st.session_state.get(DATASET)
    index = ids.index(current) if current in ids else len(ids) - 1
    by_id = {d.id: d for d in datasets}
    chosen = st.selectbox(label, ids, index=index, format_func=lambda i: f"{by_id[i].name} ({by_id[i].n_rows:,} rows)")
    st.session_state[DATASET] = chosen
    return by_id[chosen]


def version_label(v: ModelVersionPublic, in_use: bool = False) -> str:
    """The picker's label, its state from the core's one table of status words (``in_use`` wins, so the
    picker never says "waiting for review" beside an "In use" badge)."""
    return f"Model {v.version} - predicts {v.target} ({version_status_label(v.status, in_use)})"


def evidence_waiting_words(actor: UserPublic, version_id: int, what: str) -> str:
    """What is known about evidence still missing: waiting for a free worker, or being computed now
    (instead of a fixed "a minute or two" that stayed on screen for ten minutes)."""
    from automl_canvas.jobs.position import queue_position
    from automl_canvas.jobs.service import list_project_jobs

    with db() as s:
        version = get_version(s, actor, version_id)
        jobs = list_project_jobs(s, actor, version.project_id, kind="evidence", limit=20) if version else []
        job = next((j for j in jobs if (j.payload or {}).get("version_id") == version_id), None)
        waiting = queue_position(s, job) if job is not None and str(job.status) == "queued" else None
    status = str(job.status) if job is not None else ""
    if status == "queued":
        where = f" {waiting['message']}" if waiting else " another job is running."
        return f"{what} waiting for a free worker:{where} They appear here by themselves."
    if status == "running":
        return f"{what} being computed now; they appear here by themselves."
    if status == "failed":
        return f"{what} could not be computed: {(job.error or {}).get('message', 'the worker reported an error.')}"
    return f"{what} not ready yet; they appear here by themselves."


def pick_version(actor: UserPublic, project: ProjectPublic, *, key: str = "pick_version") -> ModelVersionPublic:
    """The model picked (newest by default), or a pointer to the Build page and a stop when there is none."""
    with db() as s:
        versions = list_versions(s, actor, project.id)
    if not versions:
        st.info("This project has no model yet: build one first.")
        st.page_link("pages/build.py", label="Go to Build", icon=":material/model_training:")
        st.stop()
    ids = [v.id for v in versions]
    current = st.session_state.get(VERSION)
    index = ids.index(current) if current in ids else len(ids) - 1
    by_id = {v.id: v for v in versions}
    in_use = {v.id for v in versions if deployed_health(actor, v.id) is not None}
    chosen = st.selectbox("Model", ids, index=index, format_func=lambda i: version_label(by_id[i], i in in_use), key=key)
    st.session_state[VERSION] = chosen
    return by_id[chosen]


def evidence_or_none(actor: UserPublic, version_id: int, kind: str):
    """The version's evidence of ``kind``, or None while the evidence job has not stored it yet."""
    from automl_canvas.errors import NotFoundError
    from automl_canvas.evidence.service import get_evidence

    with db() as s:
        try:
            return get_evidence(s, actor, version_id, kind)
        except NotFoundError:
            return None


def deployed_health(actor: UserPublic, version_id: int) -> dict | None:
    """How a deployed model is doing (the core's badge words and sentence), or None for a model never deployed:
    an analyst's draft has nothing to monitor, so it gets no badge at all rather than a grey "Not deployed"."""
    from automl_canvas.monitoring.service import version_health

    with db() as s:
        health = version_health(s, actor, version_id)
    return None if health["state"] == "not_deployed" else health


def performance_detail(actor: UserPublic, version_id: int) -> dict | None:
    from automl_canvas.evidence.service import load_document

    ev = evidence_or_none(actor, version_id, "performance")
    return load_document(get_world().settings, ev, "detail") if ev is not None else None


@contextmanager
def saved_upload(upload) -> Iterator[Path]:
    """An uploaded file as a temporary file under the artifact folder (removed afterwards), for the core to read."""
    tmp = get_world().settings.artifact_dir / "uploads" / f"{uuid.uuid4().hex}{Path(upload.name).suffix}"
    try:
        tmp.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(upload.getbuffer())
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


def page(title: str, caption: str = "") -> tuple[UserPublic, ProjectPublic, World]:
    """The common top of a project page: who, which project (or a pointer to Projects), the title."""
    me = user()
    project = require_project(me)
    st.title(title)
    st.caption(f"Project: **{project.name}**. {caption}".strip())
    return me, project, get_world()
