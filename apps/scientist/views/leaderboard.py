"""Leaderboard: every trial of the search with its hyperparameters, the trajectory, and explaining a candidate."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from apps.scientist.dashboard_ui import act, figure, read, watch_job
from automl_canvas.evidence.service import submit_evidence
from automl_canvas.explain.plots import importance_bar
from automl_canvas.review.details import evidence_by_kind, leaderboard_rows, search_trajectory

from .context import ReviewCtx, cached_explanation


def _explain_candidate(ctx: ReviewCtx, ranks: list[int]) -> None:
    st.subheader("Explain a candidate")
    st.caption("Refits a candidate from its recorded configuration and computes its SHAP explanation and "
               "performance detail, so you can see whether a runner-up relies on different columns.")
    rank = st.selectbox("Candidate (rank)", ranks, key=f"lb_rank_{ctx.vid}")
    key = f"lb_job_{ctx.vid}"
    if st.button("Explain this candidate", key=f"lb_explain_{ctx.vid}"):
        job = act("queueing the explanation", lambda _s: submit_evidence(ctx.world.engine, ctx.world.settings, ctx.user,
                                                                          ctx.vid, candidate=int(rank)))
        if job:
            st.session_state[key] = job.id
    watch_job(key, f"Explaining candidate {rank}")
    explained = read(evidence_by_kind, ctx.user, ctx.vid, candidate=int(rank)).get("explanations")
    if explained:
        left, right = st.columns(2)
        with left:
            st.markdown(f"**Candidate {rank}**")
            figure(importance_bar(cached_explanation(ctx.world, explained), max_display=10))
        if "explanations" in ctx.evidence:
            with right:
                st.markdown("**The chosen model**")
                figure(importance_bar(cached_explanation(ctx.world, ctx.evidence["explanations"]), max_display=10))


def render(ctx: ReviewCtx) -> None:
    board = leaderboard_rows(ctx.version)
    if not board:
        st.info("This version has no leaderboard (it was not made by a search).")
        return
    learners = sorted({r["learner"] for r in board})
    learner = st.selectbox("Learner", ["All learners", *learners], key=f"lb_learner_{ctx.vid}")
    rows = leaderboard_rows(ctx.version, None if learner == "All learners" else learner)
    st.dataframe(pd.DataFrame(rows), hide_index=True, column_config={
        "chosen": st.column_config.CheckboxColumn("chosen"),
        "validation_loss": st.column_config.NumberColumn("validation loss", format="%.4f"),
        "validation_score": st.column_config.NumberColumn(f"validation {ctx.version.metric}", format="%.4f"),
        "train_seconds": st.column_config.NumberColumn("train s", format="%.2f"),
        "found_after_seconds": st.column_config.NumberColumn("found after s", format="%.1f"),
    })
    st.caption(f"{len(rows)} of {len(board)} candidates. Validation loss is what the search minimised "
               f"(lower is better); the chosen row is the delivered model's configuration.")
    trajectory = search_trajectory(ctx.version)
    if trajectory:
        st.subheader("Search trajectory")
        frame = pd.DataFrame(trajectory).set_index("seconds")[["validation_loss", "best_so_far"]]
        st.line_chart(frame, x_label="seconds into the search", y_label="validation loss")
    ranks = [r["rank"] for r in board if not r["chosen"]]
    if ranks:
        _explain_candidate(ctx, ranks)
