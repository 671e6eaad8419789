"""Data: the dataset profile's findings, readiness and leakage warnings, the split, dropped and sensitive columns."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from apps.scientist.dashboard_ui import read
from automl_canvas.review.details import data_summary

from .context import ReviewCtx

_ICON = {"critical": "🛑", "warning": "⚠️", "info": "ℹ️"}


def render(ctx: ReviewCtx) -> None:
    d = read(data_summary, ctx.world.settings, ctx.user, ctx.vid)
    ds = d["dataset"]
    st.markdown(f"**{ds['name']}** · {ds['n_rows']:,} rows × {ds['n_columns']} columns · sha256 `{ds['sha256'][:16]}…`")
    (st.success if d["ready"] else st.error)(d["readiness"])
    for warning in d["leakage_warnings"]:
        st.warning(warning)
    if not d["leakage_warnings"]:
        st.caption("No column the model uses was flagged as leaking the target.")

    st.subheader("Split")
    split = d["split"]
    c1, c2, c3 = st.columns(3)
    c1.metric("Train rows", f"{split['train'] or 0:,}")
    c2.metric("Validation rows", f"{split['validation'] or 0:,}")
    c3.metric("Holdout rows", f"{split['holdout'] or 0:,}")
    st.caption(f"{split['method'] or 'random'} split with seed {split['seed']}; "
               f"model selection: {split['model_selection'] or 'validation rows'}. "
               "The holdout was never seen by the search.")

    st.subheader("Columns")
    left, right = st.columns(2)
    with left:
        st.markdown("**Left out of the model**")
        dropped = [{"column": c, "why": why} for c, why in d["dropped_columns"].items()]
        dropped += [{"column": c, "why": "excluded by the analyst"} for c in d["excluded_columns"]]
        if dropped:
            st.dataframe(pd.DataFrame(dropped), hide_index=True)
        else:
            st.caption("None.")
    with right:
        st.markdown("**Sensitive columns**")
        if d["sensitive_columns"]:
            uses = {True: "yes", False: "no (kept for the fairness check)"}
            st.dataframe(pd.DataFrame([{"column": s["column"], "the model uses it": uses[s["used_as_feature"]]}
                                       for s in d["sensitive_columns"]]), hide_index=True)
        else:
            st.caption("None declared: there is no fairness check.")

    st.subheader("Profile findings")
    if d["findings"]:
        st.dataframe(pd.DataFrame([{"": _ICON.get(f["severity"], ""), "severity": f["severity"], "column": f["column"] or "",
                                    "finding": f["message"], "what to do": f["fix"]} for f in d["findings"]]), hide_index=True)
    else:
        st.caption("The profile found nothing to report.")
    if d["class_balance"]:
        st.markdown("**Class balance**")
        st.json(d["class_balance"], expanded=False)
    with st.expander("Every column"):
        st.dataframe(pd.DataFrame(d["columns"]), hide_index=True)
