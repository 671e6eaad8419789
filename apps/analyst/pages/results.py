"""Results: the grade and its reason, the metrics in words, the top drivers, the usual mistakes, what to watch;
for a model in use, whether it is still accurate (the monitoring badge)."""

import pandas as pd
import streamlit as st

from apps.analyst.analyst_ui import (
    db,
    deployed_health,
    evidence_or_none,
    evidence_waiting_words,
    page,
    performance_detail,
    pick_version,
)
from apps.analyst.cutoff import render_cutoff
from apps.analyst.warm import warm_in_background
from apps.common import friendly, health_badge
from automl_canvas.datasets.readiness import check_target, row_noun
from automl_canvas.datasets.service import get_dataset
from automl_canvas.registry.grade import grade_version
from automl_canvas.registry.plain_language import (
    drivers,
    metrics_in_words,
    mistakes_in_words,
    product_decisions_in_words,
    warnings_that_apply,
)

me, project, world = page("Results", "Everything here is measured on rows the model never saw while it was built.")

version = pick_version(me, project)

with friendly("checking how the model is doing in use"):
    health = deployed_health(me, version.id)
    if health is not None:
        health_badge(health, prefix="In use: ")

with friendly("showing the results"):
    with db() as s:
        dataset = get_dataset(s, me, version.dataset_id)
    noun = row_noun(dataset.profile)
    grade = grade_version(version)
    st.metric("Grade", grade.grade, help="From how much of the gap between a simple guess and a perfect model it closes, "
              "and, for a yes/no question, how many of the cases that matter its decisions catch.")
    st.write(grade.reason)
    for line in product_decisions_in_words(version):
        st.info(line)

    detail = performance_detail(me, version.id)
    st.subheader("How good is it, in words")
    for line in metrics_in_words(version, detail, noun):
        st.markdown(f"- {line}")
    render_cutoff(me, version, noun)

    st.subheader("What drives its predictions")
    explanations = evidence_or_none(me, version.id, "explanations")
    if explanations is None:
        st.info(evidence_waiting_words(me, version.id, "The explanations are"))
    else:
        top = drivers(explanations.summary)
        if top:
            chart = pd.DataFrame({"column": [d["column"] for d in top], "share of influence": [d["share"] for d in top]})
            st.bar_chart(chart, x="column", y="share of influence", horizontal=True, sort="-share of influence", height=280)
            st.caption(top[0]["sentence"])

    st.subheader("What it tends to get wrong")
    for line in mistakes_in_words(version, detail, noun):
        st.markdown(f"- {line}")
    if detail is not None:
        with st.expander("The test results as a chart"):
            from automl_canvas.evidence import plots

            fig = plots.residuals(detail) if version.task == "regression" else plots.confusion_matrix(detail)
            st.pyplot(fig, clear_figure=True)

    st.subheader("Warnings that still apply")
    leakage = version.leakage_suspects
    if not leakage and version.status == "draft":  # computed on share; check now so the analyst sees it first
        key = f"target_check:{dataset.id}:{version.target}"
        if key not in st.session_state:
            st.session_state[key] = check_target(world.engine, world.settings, me, dataset.id, version.target)
        leakage = st.session_state[key].leakage_suspects
    warnings = warnings_that_apply(version, dataset.profile, leakage)
    for line in warnings:
        st.warning(line)
    if not warnings:
        st.success("No warnings about the columns this model uses.")
    st.page_link("pages/try_it.py", label="Next: try it on a case", icon=":material/science:")


@st.fragment(run_every=5)
def wait_for_evidence(version_id: int) -> None:
    """While the evidence job runs, look every few seconds; redraw the page once its results are stored."""
    if evidence_or_none(me, version_id, "explanations") is not None and evidence_or_none(me, version_id, "performance") is not None:
        st.rerun()


if evidence_or_none(me, version.id, "explanations") is None or evidence_or_none(me, version.id, "performance") is None:
    wait_for_evidence(version.id)

# Last, so it never slows this page: the model, its explainer and SHAP get ready for Try it and Batch while the
# analyst reads (apps/analyst/warm.py; once per version per app process).
warm_in_background(world, me, version)
