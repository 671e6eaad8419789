"""Under the hood: everything about one version in tabs, ending in the decision.

Only the open tab runs (``st.tabs(on_change="rerun")``), so a reviewer reading
the leaderboard does not pay for drawing SHAP and fairness plots.
"""

from __future__ import annotations

import streamlit as st

from apps.common import friendly, get_world
from apps.scientist.dashboard_ui import SELECTED, flash, read, reviewer, selected_version, version_label
from apps.scientist.views import data, decision, explanations, fairness, history, leaderboard, overview, reproducibility
from apps.scientist.views.context import ReviewCtx
from automl_canvas import review
from automl_canvas.registry.service import list_versions
from automl_canvas.review.details import evidence_by_kind
from automl_canvas.training.metrics import metric_label

TABS = {
    "Overview": overview.render, "Leaderboard": leaderboard.render, "Data": data.render,
    "Explanations": explanations.render, "Fairness": fairness.render, "Reproducibility": reproducibility.render,
    "Decision": decision.render, "History": history.render,
}

user = reviewer()
world = get_world()
st.title("Under the hood")
flash()

versions = sorted(read(list_versions, user), key=lambda v: v.id, reverse=True)
if not versions:
    st.info("No model versions exist yet.")
    st.stop()
by_id = {v.id: v for v in versions}
current = selected_version()
if current not in by_id:
    queued = read(review.review_queue, world.settings, user)
    current = queued[0]["version_id"] if queued else versions[0].id
vid = st.selectbox("Version", list(by_id), index=list(by_id).index(current),
                   format_func=lambda i: version_label(by_id[i]), key="hood_version")
st.session_state[SELECTED] = vid
st.query_params["version"] = str(vid)

with friendly("reading the review of this version"):
    record = read(review.get_review, world.settings, user, vid)
    evidence = read(evidence_by_kind, user, vid)
    ctx = ReviewCtx(world=world, user=user, version=record["version"], review=record, evidence=evidence)
    v = ctx.version
    failed = [c for c in record["checks"] if not c["passed"]]
    cols = st.columns(5)
    cols[0].metric("Status", v.status.replace("_", " "))
    cols[1].metric("Grade", record["grade"]["grade"])
    cols[2].metric(f"Holdout {metric_label(v.metric)}", f"{v.holdout_score:.4f}")
    cols[3].metric("Policy", "passes" if not failed else f"fails {len(failed)}")
    cols[4].metric("Claimed by", record["claimed_by"] or "nobody")
    st.caption(f"Task: {v.task} · target '{v.target}' · best learner {v.best_learner} · trained by "
               f"{record['created_by']} · shared by {record['shared_by'] or '(not shared)'} · "
               f"artifact sha256 {v.artifact_sha256[:16]}…")
    tabs = st.tabs(list(TABS), key="hood_tab", on_change="rerun")
    for tab, (name, render) in zip(tabs, TABS.items()):
        if tab.open is False:
            continue
        with tab, friendly(f"showing the {name.lower()} tab"):
            render(ctx)
