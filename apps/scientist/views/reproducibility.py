"""Reproducibility: the recipe, the library versions then and now, and a refit compared with the record."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from apps.scientist.dashboard_ui import act, read, watch_job
from automl_canvas.review import submit_review_reproduce
from automl_canvas.review.details import reproducibility_record

from .context import ReviewCtx


def render(ctx: ReviewCtx) -> None:
    rec = read(reproducibility_record, ctx.user, ctx.vid)
    recipe = rec["recipe"]
    st.markdown(f"Learner **{recipe.get('learner', ctx.version.best_learner)}**, seed **{recipe.get('seed')}**, "
                f"dataset sha256 `{str(recipe.get('dataset_sha256', ''))[:16]}…`, "
                f"artifact sha256 `{rec['artifact_sha256'][:16]}…`")
    st.dataframe(pd.DataFrame([{"hyperparameter": k, "value": str(v)} for k, v in (recipe.get("hyperparameters") or {}).items()]),
                 hide_index=True)
    with st.expander("The whole recipe"):
        st.json(recipe, expanded=False)
    st.subheader("Libraries")
    libs = pd.DataFrame(rec["libraries"])
    st.dataframe(libs, hide_index=True)
    changed = [r["library"] for r in rec["libraries"] if not r["same"]]
    if changed:
        st.warning(f"Installed now differs from training for: {', '.join(changed)}; a refit may differ slightly.")

    st.subheader("Reproduce")
    st.caption("Refits the recorded configuration on the same rows and split, and compares the holdout metric.")
    key = f"rp_job_{ctx.vid}"
    if st.button("Reproduce now", key=f"rp_run_{ctx.vid}"):
        job = act("queueing the reproduction", lambda _s: submit_review_reproduce(ctx.world.engine, ctx.world.settings,
                                                                                   ctx.user, ctx.vid))
        if job:
            st.session_state[key] = job.id
    watch_job(key, "Reproducing")
    result = rec["result"]
    if result is None:
        st.info("Not reproduced yet.")
        return
    c1, c2, c3 = st.columns(3)
    c1.metric(f"Recorded holdout {result.get('metric')}", f"{result['recorded_holdout_score']:.6f}")
    c2.metric("Reproduced", f"{result['reproduced_holdout_score']:.6f}")
    c3.metric("Difference", f"{result['difference']:+.2e}", delta_color="off")
    (st.success if abs(result["difference"]) < 1e-3 else st.warning)(
        f"Reproduced on {result['computed_at']:%Y-%m-%d %H:%M} UTC: {result['verdict']}.")
