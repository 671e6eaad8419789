"""Deployed models: what is approved, where it runs, and revoking an approval with a reason."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from apps.common import get_world
from apps.scientist.dashboard_ui import SELECTED, act, flash, read, reviewer
from automl_canvas import review
from automl_canvas.review.details import released_versions

user = reviewer()
world = get_world()
st.title("Deployed models")
st.caption("Approved versions, where deployment tooling recorded them running, and the approvals you can revoke.")
flash()

rows = read(released_versions, user)
if not rows:
    st.info("No version is approved yet.")
    st.stop()
st.dataframe(pd.DataFrame([{
    "id": r["version_id"], "project": r["project"], "version": r["version"], "status": r["status"],
    "approved by": r["approved_by"], "approved at": r["approved_at"], "override": "yes" if r["overridden"] else "",
    "running in": r["running_in"], "holdout": round(r["holdout_score"], 4), "sha256": r["artifact_sha256"][:16] + "…",
} for r in rows]), hide_index=True)

by_id = {r["version_id"]: r for r in rows}
vid = st.selectbox("Version", list(by_id), key="dep_pick",
                   format_func=lambda i: f"#{i} · {by_id[i]['project']} · v{by_id[i]['version']} ({by_id[i]['status']})")
chosen = by_id[vid]
st.caption(f"Approved by {chosen['approved_by'] or 'unknown'}{' with an override' if chosen['overridden'] else ''} · "
           f"running in: {chosen['running_in']} · sha256 {chosen['artifact_sha256']}")
st.subheader("Deployments")
if chosen["deployments"]:
    st.dataframe(pd.DataFrame(chosen["deployments"]), hide_index=True)
else:
    st.caption("Deployment tooling has not recorded this version anywhere yet.")
if st.button("Open under the hood", key="dep_open"):
    st.session_state[SELECTED] = vid
    st.switch_page("pages/review.py")

st.subheader("Revoke the approval")
st.caption("Revoking ends its active deployments and tells deployment tooling (event 'version.revoked'). It cannot be undone: "
           "a revoked version needs a new version and a new review.")
reason = st.text_input("Reason for revoking", key=f"dep_reason_{vid}")
if st.button("Revoke approval", type="primary", key=f"dep_revoke_{vid}") and act(
        "revoking the approval", review.revoke, world.settings, user, vid, reason,
        success=f"The approval of version #{vid} is revoked."):
    st.rerun()
