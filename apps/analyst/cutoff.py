"""The "When should it say 'yes'?" control on Results: the analyst's operating point, in plain words.

Thin: the choices, the preview and the save are core functions (registry/operating_point.py); this file
only draws them.  A preview shows what a choice would do on the test rows before it is saved.
"""

from __future__ import annotations

import streamlit as st

from apps.analyst.analyst_ui import db
from apps.common import friendly
from automl_canvas.models import ModelVersionPublic, UserPublic
from automl_canvas.registry.operating_point import (
    can_change_operating_point,
    operating_point_choices,
    preview_operating_point,
    set_operating_point,
)

__all__ = ["render_cutoff"]


def _numbers(point: dict, noun: str) -> None:
    h, pos = point["holdout"], point["positive_class"]
    a, b, c = st.columns(3)
    a.metric(f"{noun.capitalize()} flagged", f"{round(100 * h['flagged_share'])} in 100",
             help=f"How many it says '{pos}' for, out of every 100 {noun}.")
    b.metric(f"Real '{pos}' caught", f"{round(100 * h['recall'])} in 100",
             help=f"Of every 100 {noun} that really were '{pos}', how many it flags (recall).")
    c.metric("Flags that are right", f"{round(100 * h['precision'])} in 100",
             help=f"Of every 100 {noun} it flags, how many really are '{pos}' (precision).")


def render_cutoff(me: UserPublic, version: ModelVersionPublic, noun: str) -> None:
    point = version.operating_point
    if version.task != "binary" or not point:
        return
    pos = point["positive_class"]
    st.subheader(f"When it says '{pos}'")
    st.write(point["sentence"])
    _numbers(point, noun)
    if not can_change_operating_point(version):
        st.caption("This setting is part of what was shared for review, so it can no longer change here. "
                   "To use another one, build a new version and share it.")
        return
    choices = operating_point_choices(version)
    labels = {c["mode"]: c for c in choices}
    with st.form(f"cutoff-{version.id}"):
        mode = st.radio("What should its 'yes' decisions do?", list(labels), index=list(labels).index(point["mode"]),
                        format_func=lambda m: labels[m]["label"])
        value = st.number_input("N (for the two choices that use a number)", min_value=1, max_value=100,
                                value=int(point.get("value") or 60), step=1,
                                help="Used by 'Catch at least N in 100' and 'Flag the riskiest N %'.")
        preview, save = st.columns(2)
        show = preview.form_submit_button("Show what it would do")
        keep = save.form_submit_button("Use this setting", type="primary")
    if show or keep:
        with friendly("working out that setting"), db() as s:
            wanted = value if labels[mode]["value_label"] else None
            if keep:
                set_operating_point(s, me, version.id, mode, wanted)
            else:
                st.info(preview_operating_point(s, me, version.id, mode, wanted)["sentence"])
        if keep:
            st.success("Saved: every prediction of this model (what-if, batch, API) now uses this setting.")
            st.rerun()
