"""History: the conversation with the analyst, the decisions with their frozen evidence, and the audit trail."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from apps.scientist.dashboard_ui import act
from automl_canvas import review

from .context import ReviewCtx


def render(ctx: ReviewCtx) -> None:
    r = ctx.review
    st.subheader("Conversation")
    for c in r["comments"]:
        with st.chat_message("assistant" if c.author_name == ctx.user.username else "user"):
            st.markdown(f"**{c.author_name}** · {c.created_at:%Y-%m-%d %H:%M} UTC")
            st.text(c.body)
    if not r["comments"]:
        st.caption("No comments yet.")
    with st.form(f"hi_form_{ctx.vid}", clear_on_submit=True):
        body = st.text_area("Add a comment")
        if st.form_submit_button("Post comment") and act(
                "posting the comment", review.add_comment, ctx.user, ctx.vid, body, success="Comment posted."):
            st.rerun()

    st.subheader("Decisions")
    for d in r["decisions"]:
        title = f"{d.decision.replace('_', ' ')} · {d.from_status} → {d.to_status} · {d.created_at:%Y-%m-%d %H:%M} UTC"
        with st.expander(title):
            if d.comment:
                st.markdown(f"Comment: {d.comment}")
            if d.override_justification:
                st.warning(f"Override justification: {d.override_justification}")
            st.caption(f"Artifact sha256 {d.artifact_sha256}; the evidence as the reviewer saw it:")
            st.json(d.evidence_snapshot, expanded=False)
    if not r["decisions"]:
        st.caption("No decision yet.")

    st.subheader("Audit trail")
    events = [{"seq": e.seq, "at": e.at, "who": e.actor_name, "action": e.action,
               "details": ", ".join(f"{k}={v}" for k, v in (e.payload or {}).items() if k not in ("artifact_sha256",))[:300]}
              for e in r["history"]]
    st.dataframe(pd.DataFrame(events), hide_index=True)
