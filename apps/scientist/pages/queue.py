"""Review queue: what waits for a decision, with project, requester, age, task, grade and policy status."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from apps.common import get_world
from apps.scientist.dashboard_ui import SELECTED, act, flash, read, reviewer, version_label
from automl_canvas import review

user = reviewer()
world = get_world()
st.title("Review queue")
st.caption("Models analysts shared for review. Claim one to look under the hood and decide.")
flash()

mine = st.toggle("Only what I have claimed", key="queue_mine")
rows = read(review.review_queue, world.settings, user, mine=mine)


def _age(since) -> str:
    if since is None:
        return ""
    seconds = (datetime.now(UTC) - (since if since.tzinfo else since.replace(tzinfo=UTC))).total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit}"
    return "just now"


if not rows:
    st.info("Nothing is waiting for review." if not mine else "You have not claimed anything that is still open.")
    st.stop()

left, middle, right = st.columns(3)
projects = sorted({r["project"] for r in rows})
chosen_projects = left.multiselect("Project", projects, key="queue_projects", placeholder="All projects")
policy = middle.selectbox("Policy status", ["All", "Passes every check", "Fails a check"], key="queue_policy")
order = right.selectbox("Sort by", ["Waiting longest", "Newest first", "Grade (best first)", "Project"], key="queue_sort")

shown = [r for r in rows if (not chosen_projects or r["project"] in chosen_projects)
         and (policy == "All" or (r["policy_status"] == "pass") == (policy == "Passes every check"))]
grades = {"Excellent": 0, "Good": 1, "Fair": 2, "Poor": 3, "Too good to be true": 4}
sorters = {
    "Waiting longest": (lambda r: r["waiting_since"], False),
    "Newest first": (lambda r: r["waiting_since"], True),
    "Grade (best first)": (lambda r: grades.get(r["grade"], 9), False),
    "Project": (lambda r: (r["project"], r["version"]), False),
}
key, reverse = sorters[order]
shown.sort(key=key, reverse=reverse)
if not shown:
    st.info(f"No version matches these filters ({len(rows)} waiting in all).")
    st.stop()

table = pd.DataFrame([{
    "id": r["version_id"], "project": r["project"], "version": r["version"], "status": r["status"].replace("_", " "),
    "requested by": r["requested_by"], "claimed by": r["claimed_by"] or "", "waiting": _age(r["waiting_since"]),
    "task": r["task"], "grade": r["grade"], "holdout score": round(r["holdout_score"], 4), "policy": r["policy_status"],
    "failed checks": ", ".join(r["failed_checks"]),
} for r in shown])
st.dataframe(table, hide_index=True, key="queue_table")
st.caption(f"{len(shown)} of {len(rows)} version(s) shown.")

by_id = {r["version_id"]: r for r in shown}
vid = st.selectbox("Version", list(by_id), format_func=lambda i: version_label(by_id[i]), key="queue_pick")
row = by_id[vid]
failing = f" ({', '.join(row['failed_checks'])})" if row["failed_checks"] else ""
st.caption(f"Requested by {row['requested_by'] or 'unknown'} · grade {row['grade']} · policy: {row['policy_status']}{failing}")
for line in row.get("product_decisions") or []:
    st.info(line)
b1, b2, b3 = st.columns(3)
if {"claim", "take_over"} & set(row["actions"]):  # what the core offers this user (review/actions.py)
    if b1.button("Claim", type="primary", key="queue_claim") and act(
            "claiming the version", review.claim, user, vid, success=f"You claimed version #{vid}."):
        st.session_state[SELECTED] = vid
        st.rerun()
elif "release" in row["actions"]:
    b1.success("Claimed by you")
    if b3.button("Release", key="queue_release", help="Put it back in the queue for another scientist.") and act(
            "releasing the version", review.release, user, vid, success=f"Version #{vid} is back in the queue."):
        st.rerun()
else:  # the core's reason when it has one (a maker, a fresh claim of someone else)
    b1.info(next(iter(row["blocked"].values()), f"Claimed by {row['claimed_by'] or 'nobody'}"))
if b2.button("Open under the hood", key="queue_open"):
    st.session_state[SELECTED] = vid
    st.switch_page("pages/review.py")
