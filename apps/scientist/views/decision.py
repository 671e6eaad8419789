"""Decision: the live policy checklist, then approve / request changes / reject, with a comment.

The rules (maker-checker, claims, blocking checks, overrides, quorum) are the
core's: the buttons are the actions the review offers this user now
(``review["actions"]``), and a move the state allows that is not theirs shows
the core's sentence instead (``review["blocked"]``).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from apps.scientist.dashboard_ui import act
from automl_canvas import review

from .context import ReviewCtx


def _checklist(ctx: ReviewCtx) -> list[dict]:
    checks = ctx.review["checks"]
    st.dataframe(pd.DataFrame([{"": "pass" if c["passed"] else "FAIL", "check": c["name"], "result": c["message"],
                                "value": "" if c["value"] in (None, []) else str(c["value"]),
                                "limit": "" if c["threshold"] is None else str(c["threshold"]),
                                "overridable": "yes" if c["overridable"] else "no"} for c in checks]), hide_index=True)
    return [c for c in checks if not c["passed"]]


def render(ctx: ReviewCtx) -> None:
    r, v = ctx.review, ctx.version
    actions, blocked = r["actions"], r["blocked"]
    st.subheader("Policy checklist")
    failed = _checklist(ctx)
    policy = r["policy"]
    overrides = "allowed with a written justification" if policy["allow_override"] else "not allowed"
    st.caption(f"Quorum: {policy['quorum']} approval(s) · overrides {overrides} on this project.")
    if r["can_approve"]:
        st.caption("You may approve this version: you did not build or share it.")
    if r["claimed_by"] and r["claimed_by"] != ctx.user.username:
        st.info(f"Claimed by {r['claimed_by']}.")
    for sentence in dict.fromkeys(blocked.values()):  # why a move the state allows is not yours now (the core's words)
        st.warning(sentence)
    claim = next((a for a in ("claim", "take_over") if a in actions), None)
    if claim:
        st.info("Claim this version to decide on it." if claim == "claim" else
                f"The claim of {r['claimed_by']} is stale: you may take it over to decide.")
        if st.button("Claim", type="primary", key=f"de_claim_{v.id}") and act(
                "claiming the version", review.claim, ctx.user, v.id, success=f"You claimed version #{v.id}."):
            st.rerun()
        return
    deciding = [a for a in ("approve", "request_changes", "reject") if a in actions]
    if not deciding:
        if not blocked:
            st.info(f"Version #{v.id} is {v.status.replace('_', ' ')}; there is nothing to decide. See History for the record.")
        return
    st.subheader("Your decision")
    comment = st.text_area("Comment", key=f"de_comment_{v.id}",
                           placeholder="What you checked and why you decide this way (required to reject or request changes).")
    justification = ""
    if "approve" in actions and failed and policy["allow_override"] and all(c["overridable"] for c in failed):
        justification = st.text_area("Override justification", key=f"de_just_{v.id}",
                                     help="Only to approve although a check fails: say why the failure is acceptable here.")
    columns = dict(zip(deciding, st.columns(len(deciding))))
    settings, me = ctx.world.settings, ctx.user
    if "approve" in columns and columns["approve"].button("Approve", type="primary", key=f"de_approve_{v.id}") and act(
            "approving", review.approve, settings, me, v.id, comment, justification,
            success=f"Version #{v.id}: your approval is recorded."):
        st.rerun()
    if "request_changes" in columns and columns["request_changes"].button("Request changes", key=f"de_changes_{v.id}") and act(
            "requesting changes", review.request_changes, settings, me, v.id, comment,
            success=f"Changes requested on version #{v.id}; the analyst sees your comment."):
        st.rerun()
    if "reject" in columns and columns["reject"].button("Reject", key=f"de_reject_{v.id}") and act(
            "rejecting", review.reject, settings, me, v.id, comment, success=f"Version #{v.id} is rejected."):
        st.rerun()
    if failed and "approve" in actions:
        st.caption(f"{len(failed)} check(s) fail: approving is blocked unless the policy allows an override and you justify it.")
