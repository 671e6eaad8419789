"""Decision: the live policy checklist, then approve / request changes / reject, with a comment.

The rules (maker-checker, blocking checks, overrides, quorum) are the core's;
this tab shows the core's sentence when it refuses.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from apps.scientist.ui import act
from automl_canvas import review

from .context import Ctx


def _checklist(ctx: Ctx) -> list[dict]:
    checks = ctx.review["checks"]
    st.dataframe(pd.DataFrame([{"": "pass" if c["passed"] else "FAIL", "check": c["name"], "result": c["message"],
                                "value": "" if c["value"] in (None, []) else str(c["value"]),
                                "limit": "" if c["threshold"] is None else str(c["threshold"]),
                                "overridable": "yes" if c["overridable"] else "no"} for c in checks]), hide_index=True)
    return [c for c in checks if not c["passed"]]


def render(ctx: Ctx) -> None:
    r, v = ctx.review, ctx.version
    st.subheader("Policy checklist")
    failed = _checklist(ctx)
    policy = r["policy"]
    overrides = "allowed with a written justification" if policy["allow_override"] else "not allowed"
    st.caption(f"Quorum: {policy['quorum']} approval(s) · overrides {overrides} on this project.")
    if not r["can_approve"]:
        st.warning(f"You built or shared version #{v.id} (or its parent), so you cannot approve it: another scientist must.")
    else:
        st.caption("You may approve this version: you did not build or share it.")
    if v.status == "pending_review" or (v.status == "in_review" and not r["claimed_by"]):
        st.info("Claim this version to decide on it.")
        if st.button("Claim", type="primary", key=f"de_claim_{v.id}") and act(
                "claiming the version", review.claim, ctx.user, v.id, success=f"You claimed version #{v.id}."):
            st.rerun()
        return
    if v.status != "in_review":
        st.info(f"Version #{v.id} is {v.status.replace('_', ' ')}; there is nothing to decide. See History for the record.")
        return
    if r["claimed_by"] and r["claimed_by"] != ctx.user.username:
        st.info(f"Claimed by {r['claimed_by']}: only they can decide.")
    st.subheader("Your decision")
    comment = st.text_area("Comment", key=f"de_comment_{v.id}",
                           placeholder="What you checked and why you decide this way (required to reject or request changes).")
    justification = ""
    if failed and policy["allow_override"] and all(c["overridable"] for c in failed):
        justification = st.text_area("Override justification", key=f"de_just_{v.id}",
                                     help="Only to approve although a check fails: say why the failure is acceptable here.")
    c1, c2, c3 = st.columns(3)
    settings, me = ctx.world.settings, ctx.user
    if c1.button("Approve", type="primary", key=f"de_approve_{v.id}") and act(
            "approving", review.approve, settings, me, v.id, comment, justification,
            success=f"Version #{v.id}: your approval is recorded."):
        st.rerun()
    if c2.button("Request changes", key=f"de_changes_{v.id}") and act(
            "requesting changes", review.request_changes, settings, me, v.id, comment,
            success=f"Changes requested on version #{v.id}; the analyst sees your comment."):
        st.rerun()
    if c3.button("Reject", key=f"de_reject_{v.id}") and act(
            "rejecting", review.reject, settings, me, v.id, comment, success=f"Version #{v.id} is rejected."):
        st.rerun()
    if failed:
        st.caption(f"{len(failed)} check(s) fail: approving is blocked unless the policy allows an override and you justify it.")
