"""What every page of the review dashboard shares: the selected version, a unit of work, figures, jobs.

Pages stay thin: they read through the core's public functions, render, and
call one core function per action inside :func:`act` (one transaction, errors
as sentences).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from apps.common import get_world, page_user, show_error
from automl_canvas.db import session_scope
from automl_canvas.jobs import queue
from automl_canvas.models import UserPublic
from automl_canvas.registry.plain_language import version_status_label

__all__ = ["ROLES", "SELECTED", "act", "figure", "flash", "job_status", "read", "reviewer", "selected_version", "show_job",
           "version_label", "watch_job"]

#: Session-state key of the version the reviewer is looking at.
SELECTED = "review_version_id"
#: Who may use the dashboard (app.py's sign-in gate and :func:`reviewer`).
ROLES = frozenset({"scientist", "admin"})


def reviewer() -> UserPublic:
    """The signed-in scientist or admin (every page calls it first; see ``apps.common.page_user``)."""
    return page_user(ROLES, "review dashboard")


def read(fn: Callable[..., Any], *args, **kwargs) -> Any:
    """``fn(session, *args)`` in its own read transaction."""
    with session_scope(get_world().engine) as s:
        return fn(s, *args, **kwargs)


def act(doing: str, fn: Callable[..., Any], *args, success: str | None = None, **kwargs) -> Any | None:
    """Run one core action in one transaction; on failure show the core's sentence and return None."""
    try:
        with session_scope(get_world().engine) as s:
            result = fn(s, *args, **kwargs)
    except Exception as exc:
        if type(exc).__name__ in {"RerunException", "StopException"}:
            raise
        show_error(exc, doing)
        return None
    if success:
        st.session_state["flash"] = success
    return result if result is not None else True


def flash() -> None:
    """A success message from the previous run (set before ``st.rerun()``)."""
    message = st.session_state.pop("flash", None)
    if message:
        st.success(message)


def figure(fig) -> None:
    """A core-drawn matplotlib Figure (Agg canvas, no pyplot state)."""
    st.pyplot(fig)


def version_label(row: dict[str, Any] | Any) -> str:
    get = row.get if isinstance(row, dict) else lambda k, d=None: getattr(row, k, d)
    vid = get("version_id") or get("id")
    project = get("project", "")
    # the status in words from the core's one table (a raw "changes_requested" read like a code, not a state)
    return f"#{vid} · {project + ' · ' if project else ''}v{get('version')} ({version_status_label(str(get('status') or ''))})"


def selected_version() -> int | None:
    value = st.session_state.get(SELECTED)
    if value is None:
        raw = st.query_params.get("version")
        if raw and raw.isdigit():
            value = int(raw)
            st.session_state[SELECTED] = value
    return value


def job_status(job_id: int):
    """The job, with its place in the queue (``job.queue``) while it waits."""
    from automl_canvas.jobs.position import queue_position

    with session_scope(get_world().engine) as s:
        job = queue.get_job(s, job_id)
        return job.model_copy(update={"queue": queue_position(s, job)}) if str(job.status) == "queued" else job


def show_job(job_id: int, what: str) -> bool:
    """One line about a job the reviewer started; True once it succeeded."""
    job = job_status(job_id)
    if job.status == "succeeded":
        return True
    if job.is_terminal:
        message = (job.error or {}).get("message") or f"it ended as {job.status}"
        st.error(f"{what} did not finish: {message}")
        return False
    if str(job.status) == "queued":
        waiting = (getattr(job, "queue", None) or {}).get("message", "").rstrip(".")  # "2 jobs ahead of yours, about 3 minutes"
        now = f"waiting for a free worker ({waiting[:1].lower() + waiting[1:] if waiting else 'another job is running'})"
    else:
        now = f"being computed now ({(job.progress or {}).get('stage') or 'started'})"
    st.info(f"{what}: {now}, job {job.id}. The result appears here by itself when it is done.")
    return False


def watch_job(key: str, what: str, on_done: Callable[[Any], None] | None = None) -> None:
    """Poll the job kept under ``st.session_state[key]`` (if any) every few seconds until it ends."""
    job_id = st.session_state.get(key)
    if job_id is None:
        return

    @st.fragment(run_every=3)
    def _poll() -> None:
        if show_job(job_id, what):
            st.session_state.pop(key, None)
            if on_done:
                on_done(job_status(job_id))
            st.rerun()

    _poll()
