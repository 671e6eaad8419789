"""Try it: a form built from the model's own fields, pre-filled with typical values; predict, change, compare."""

import datetime as dt

import streamlit as st

from apps.analyst.analyst_ui import page, pick_version
from apps.common import friendly
from automl_canvas.evidence.service import explain_what_if
from automl_canvas.registry.plain_language import (
    confidence_label,
    prediction_in_words,
    reasons_in_words,
    typical_row,
    what_if_change,
)

me, project, world = page("Try it", "Describe one case; the model says what it expects and why. Change a value and predict again to see the effect.")
version = pick_version(me, project)

schema = version.feature_schema
typical = typical_row(schema)


def field(col: str, spec: dict, value):
    key = f"wi:{version.id}:{col}"
    kind = spec.get("kind")
    if kind == "categorical":
        options = [str(v) for v in spec.get("values") or []]
        return st.selectbox(col, options, index=options.index(str(value)) if str(value) in options else 0, key=key)
    if kind == "numeric":
        seen = f"Seen in the data: {spec.get('min')} to {spec.get('max')}"
        if spec.get("integer"):
            return st.number_input(col, value=int(value or 0), step=1, key=key, help=seen)
        return st.number_input(col, value=float(value or 0.0), key=key, help=seen, format="%.2f")
    if kind == "datetime":
        try:
            default = dt.date.fromisoformat(str(value)[:10])
        except ValueError:
            default = dt.date.today()
        return st.date_input(col, value=default, key=key).isoformat()
    return st.text_input(col, value="" if value is None else str(value), key=key)


with st.form(f"what_if:{version.id}"):
    cols = st.columns(3)
    row = {c: None for c in schema.get("input_columns") or []}
    for i, col in enumerate(row):
        with cols[i % 3]:
            row[col] = field(col, (schema.get("columns") or {}).get(col, {}), typical.get(col))
    go = st.form_submit_button("Predict", type="primary")

history_key = f"what_if_history:{version.id}"
if go:
    with friendly("making the prediction"):
        result = explain_what_if(world.engine, world.settings, me, version.id, row)
        history = st.session_state.get(history_key, [])
        st.session_state[history_key] = (history + [(dict(row), result)])[-2:]

history = st.session_state.get(history_key, [])
if history:
    row_now, result = history[-1]
    pred = result["prediction"]
    typical_error = (version.metrics.get("model") or {}).get("mae")
    label, sentence = confidence_label(version.task, pred.get("confidence"), typical_error)
    st.subheader(prediction_in_words(version, pred))
    st.markdown(f"**{label}.** {sentence}")
    reasons = reasons_in_words(version, result)
    if reasons:
        st.markdown("**Top reasons**")
        for line in reasons:
            st.markdown(f"- {line}")
    if len(history) == 2:
        row_before, before = history[0]
        changed = [c for c in row_now if row_now[c] != row_before.get(c)]
        st.info(what_if_change(version, before, result, changed))
