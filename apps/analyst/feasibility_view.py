"""A feasibility assessment that failed, shown with its reason and a retry, also after the person comes back.

The page used to keep the running job only in the tab's state: once that was gone, a failed assessment
left nothing but "Not assessed yet".  The job row keeps the failure, so the page reads the project's latest
assessment job and shows it when it is newer than the latest stored assessment.
"""

from __future__ import annotations

import streamlit as st

from apps.analyst.analyst_ui import db
from apps.common import friendly, get_world
from automl_canvas.feasibility.service import FeasibilityRequest, submit_feasibility
from automl_canvas.jobs.service import list_project_jobs

__all__ = ["show_failed_assessment"]


def _newer(job, assessment) -> bool:
    if assessment is None:
        return True
    a, j = assessment.created_at, job.created_at
    if (a.tzinfo is None) != (j.tzinfo is None):  # SQLite drops tzinfo: compare as naive UTC
        a, j = a.replace(tzinfo=None), j.replace(tzinfo=None)
    return j > a


def show_failed_assessment(me, project_id: int, assessment) -> None:
    """When the project's latest assessment job failed (after the latest assessment), say why and offer a retry."""
    if st.session_state.get("feasibility_job") is not None:
        return  # one is running: its progress is shown instead
    with db() as s:
        jobs = list_project_jobs(s, me, project_id, kind="feasibility", limit=1)
    job = jobs[0] if jobs else None
    if job is None or str(job.status) not in ("failed", "cancelled") or not _newer(job, assessment):
        return
    if str(job.status) == "cancelled":
        st.info("**The last assessment was cancelled** before it finished.", icon=":material/cancel:")
    else:
        reason = (job.error or {}).get("message") or "The worker reported an error."
        st.error(f"**The last assessment failed.** {reason}", icon=":material/error:")
    if st.button("Try the assessment again", key=f"feasibility_retry:{job.id}", icon=":material/replay:"):
        with friendly("starting the assessment again"):
            request = FeasibilityRequest.model_validate(job.payload["request"])
            world = get_world()
            new = submit_feasibility(world.engine, world.settings, me, project_id, request)
            st.session_state["feasibility_job"] = new.id
            st.rerun()
