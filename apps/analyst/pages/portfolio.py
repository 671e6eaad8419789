"""Portfolio: is ML the right hammer for each project? Ranked for a manager, assessed per project."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from apps.analyst.analyst_ui import db, pick_dataset, require_project, user
from apps.analyst.feasibility_view import show_failed_assessment
from apps.common import friendly, get_world
from automl_canvas.errors import NotFoundError
from automl_canvas.feasibility.inputs import DELIVERY, FRESHNESS, INPUT_LABELS
from automl_canvas.feasibility.service import (
    FeasibilityRequest,
    get_inputs,
    latest_assessment,
    portfolio,
    set_inputs,
    submit_feasibility,
)
from automl_canvas.jobs.service import get_job_for
from automl_canvas.registry.service import list_versions

#: One colour per verdict key of automl_canvas.feasibility.VERDICTS (plus "not assessed"): green for Go,
#: amber for "promising" and "value unknown", brown for the verdicts that say ML is the wrong tool, red for the blockers.
_VERDICT_COLOURS = {"go": "#2e7d32", "value_unknown": "#9ccc65", "promising": "#f9a825", "low_value": "#ef6c00",
                    "not_needed": "#6d4c41", "no_signal": "#8d6e63", "not_ready": "#c62828", "leaks": "#ad1457",
                    "not_assessed": "#9e9e9e"}
_SEVERITY = {"critical": st.error, "warning": st.warning, "good": st.success, "info": st.info}



def _shown(v, fmt: str, empty: str) -> str:
    """A number as text, or words where there is none: a table never shows a raw "None" or "nan"."""
    return empty if v is None or pd.isna(v) else fmt.format(v)


def default_target(project_id: int, dataset, columns: list[str]) -> int:
    """Where "The column to predict" starts: the target of the project's latest model, else the target chosen
    for this dataset on the Data or Build page, else the latest assessment's, else the last column."""
    with db() as s:
        versions = list_versions(s, me, project_id)
    candidates = [versions[-1].target] if versions else []
    candidates += [st.session_state.get(f"target:{dataset.id}"), assessed_target]
    return next((columns.index(c) for c in candidates if c in columns), len(columns) - 1)


me = user()
st.title("Portfolio")
st.caption("Which projects are worth doing with machine learning: data readiness, how well ML works on the data "
           "(measured by a quick AutoML run against a simple guess) and the business impact, in one score.")

with db() as s:
    entries = portfolio(s, me)
if not entries:
    st.info("No projects yet. Create one on the Projects page.")
else:
    table = pd.DataFrame([{
        "Rank": e.rank, "Project": e.project_name, "Verdict": e.verdict_label, "verdict": e.verdict,
        "Score": e.score, "Value per month": e.expected_value_per_month,
        "Missing inputs": ", ".join(INPUT_LABELS.get(k, k) for k in e.missing_inputs) or "none",
    } for e in entries])
    scored = table.dropna(subset=["Score"])
    if len(scored):
        chart = alt.Chart(scored).mark_bar().encode(
            x=alt.X("Score:Q", scale=alt.Scale(domain=[0, 100]), title="Feasibility score (0-100)"),
            y=alt.Y("Project:N", sort="-x", title=None),
            color=alt.Color("verdict:N", scale=alt.Scale(domain=list(_VERDICT_COLOURS), range=list(_VERDICT_COLOURS.values())),
                            legend=None),
            tooltip=["Project", "Verdict", "Score", "Value per month"],
        ).properties(height=max(120, 40 * len(scored)))
        st.altair_chart(chart, use_container_width=True)
    shown = table.drop(columns=["verdict"]).astype({"Score": object, "Value per month": object})
    shown["Score"] = [_shown(v, "{:.0f}", "not scored") for v in table["Score"]]
    shown["Value per month"] = [_shown(v, "{:,.0f}", "not known") for v in table["Value per month"]]
    st.dataframe(shown, hide_index=True, use_container_width=True)

st.divider()
project = require_project(me)
st.subheader(f"Assess: {project.name}")

with db() as s:
    known = get_inputs(s, me, project.id).inputs
with st.form("business_inputs"):
    st.caption("What you know about the decision (leave a field at 0 or empty if you do not know it yet).")
    c1, c2 = st.columns(2)
    decisions = c1.number_input(INPUT_LABELS["decisions_per_month"].capitalize(), min_value=0.0,
                                value=float(known.decisions_per_month or 0))
    value = c2.number_input(INPUT_LABELS["value_per_decision"].capitalize(), min_value=0.0, value=float(known.value_per_decision or 0))
    cost_fp = c1.number_input(INPUT_LABELS["cost_false_positive"].capitalize(), min_value=0.0, value=float(known.cost_false_positive or 0))
    cost_fn = c2.number_input(INPUT_LABELS["cost_false_negative"].capitalize(), min_value=0.0, value=float(known.cost_false_negative or 0))
    status_quo = c1.number_input("Status-quo accuracy (share of decisions right today, 0-1)", min_value=0.0, max_value=1.0,
                                 value=float(known.status_quo_accuracy or 0))
    cost_unit = c1.number_input(INPUT_LABELS["cost_per_unit_error"].capitalize(), min_value=0.0,
                                value=float(known.cost_per_unit_error or 0))
    sq_error = c2.number_input(INPUT_LABELS["status_quo_error"].capitalize(), min_value=0.0,
                               value=float(known.status_quo_error or 0))
    options = ["(not known)", *DELIVERY]
    delivery = c1.selectbox(INPUT_LABELS["delivery"].capitalize(), options,
                            index=options.index(known.delivery) if known.delivery in options else 0)
    fresh_options = ["(not known)", *FRESHNESS]
    freshness = c2.selectbox(INPUT_LABELS["freshness"].capitalize(), fresh_options,
                             index=fresh_options.index(known.freshness) if known.freshness in fresh_options else 0)
    acted_on_by = st.text_input(INPUT_LABELS["acted_on_by"].capitalize(), value=known.acted_on_by or "",
                                placeholder="For example: the retention team")
    decision = st.text_input(INPUT_LABELS["decision"].capitalize(), value=known.decision or "",
                             placeholder="For example: who gets a call this week")
    if st.form_submit_button("Save inputs"):
        values = {"decisions_per_month": decisions or None, "value_per_decision": value or None,
                  "cost_false_positive": cost_fp or None, "cost_false_negative": cost_fn or None,
                  "status_quo_accuracy": status_quo or None, "delivery": None if delivery == options[0] else delivery,
                  "cost_per_unit_error": cost_unit or None, "status_quo_error": sq_error or None,
                  "freshness": None if freshness == fresh_options[0] else freshness,
                  "acted_on_by": acted_on_by.strip() or None, "decision": decision.strip() or None}
        with friendly("saving the business inputs"), db() as s:
            set_inputs(s, me, project.id, values)
            st.success("Saved. Existing assessments of this project were re-scored with them.")

with db() as s:
    try:
        assessment = latest_assessment(s, me, project.id)
    except NotFoundError:
        assessment = None
assessed_target = assessment.target if assessment is not None else None

dataset = pick_dataset(me, project)
if dataset is None:
    st.info("Upload this project's data on the Data page to assess it.")
else:
    columns = [c["name"] for c in dataset.profile.get("columns", [])]
    target = st.selectbox("The column to predict", columns, index=default_target(project.id, dataset, columns),
                          key=f"feasibility_target:{dataset.id}")
    seconds = st.number_input("Safety limit for the search, in seconds (it runs a fixed number of trials)",
                              min_value=5, max_value=600, value=60)
    if st.button("Assess feasibility", type="primary"):
        with friendly("starting the assessment"):
            job = submit_feasibility(get_world().engine, get_world().settings, me, project.id,
                                     FeasibilityRequest(dataset_id=dataset.id, target=target, budget=float(seconds)))
            st.session_state["feasibility_job"] = job.id


@st.fragment(run_every=2.0)
def _job_status() -> None:
    job_id = st.session_state.get("feasibility_job")
    if job_id is None:
        return
    with db() as s:
        job = get_job_for(s, me, job_id)
    if job.status in ("queued", "running"):
        st.progress(0.5 if job.status == "running" else 0.05, text=f"Assessing: {job.progress.get('stage', job.status)}")
    elif job.status == "succeeded":
        st.session_state.pop("feasibility_job")
        st.rerun()
    else:
        st.session_state.pop("feasibility_job")
        st.rerun()


_job_status()
show_failed_assessment(me, project.id, assessment)
if assessment is not None:
    card = assessment.scorecard
    score = "–" if card["score"] is None else f"{card['score']:.0f} / 100"
    st.metric(f"Verdict: {card['verdict_label']}", score)
    parts = pd.DataFrame([{"Component": c["label"], "Weight": c["weight"],
                           "Points": _shown(c["points"], "{:.0f}", "not scored"), "Why": c["summary"]}
                          for c in card["components"]])
    st.dataframe(parts, hide_index=True, use_container_width=True)
    if card.get("expected_value_per_month") is not None:
        interval = card.get("expected_value_interval")
        shown = "" if not interval else f" (95% interval {interval[0]:,.0f} to {interval[1]:,.0f})"
        st.write(f"Expected value: about **{card['expected_value_per_month']:,.0f} per month**{shown}.")
        point = card.get("operating_point")
        if point:
            st.caption(f"At the cheapest threshold ({point['threshold']:.3f}) the model flags {point['flagged_share']:.0%} "
                       f"of the held-out rows as '{point['positive_class']}': {point['tp']} caught, {point['fn']} missed, "
                       f"{point['fp']} flagged wrongly, {point['tn']} rightly left alone.")
    if card.get("missing_inputs"):
        st.caption("Not scored until you fill in, above: "
                   + ", ".join(INPUT_LABELS.get(k, k) for k in card["missing_inputs"]) + ".")
    for reason in card["reasons"]:
        _SEVERITY.get(reason["severity"], st.info)(reason["message"])
