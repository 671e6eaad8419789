"""Build: quick or standard, optional advanced settings, start, watch the search live, cancel.

The build is a job run by a worker; this page only polls the job row (a fragment
that reruns every couple of seconds), so it never blocks and a second tab shows
the same progress.
"""

import streamlit as st

from apps.analyst.analyst_ui import VERSION, db, page, pick_dataset
from apps.analyst.build_view import answers_of, render_build, scroll_to_progress
from apps.common import friendly
from automl_canvas.config import BUDGET_PRESETS
from automl_canvas.datasets.readiness import check_target
from automl_canvas.jobs.position import queue_position
from automl_canvas.jobs.service import cancel_job, get_job_for, list_project_jobs
from automl_canvas.registry.plain_language import metric_in_words
from automl_canvas.services.training import submit_training
from automl_canvas.training.metrics import DEFAULT_METRIC, METRICS, resolve_metric
from automl_canvas.training.spec import TrainingRequest

JOB = "build_job_id"
me, project, world = page("Build a model")

dataset = pick_dataset(me, project)
if dataset is None:
    st.info("Upload data first.")
    st.page_link("pages/data.py", label="Go to Data", icon=":material/upload_file:")
    st.stop()
columns = [c["name"] for c in dataset.profile.get("columns") or []]
chosen = st.session_state.get(f"target:{dataset.id}")
target = st.selectbox("Predict", columns, index=columns.index(chosen) if chosen in columns else None,
                      placeholder="Choose the column to predict")
if target is None:
    st.info("Choose what to predict (the Data page explains each column).")
    st.stop()
st.session_state[f"target:{dataset.id}"] = target
check_key = f"target_check:{dataset.id}:{target}"
if check_key not in st.session_state:  # the leakage probe for this target (stored once, so quick after the first time)
    with friendly("checking that column as a target"), st.spinner("Checking the target..."):
        st.session_state[check_key] = check_target(world.engine, world.settings, me, dataset.id, target)
check = st.session_state.get(check_key)
task = check.task if check else None
if check:
    st.caption(check.sentence)
    if check.left_out:
        st.info("**Left out of the model:**  \n" + "  \n".join(
            f"- `{col}` {why}, so it will be left out." for col, why in check.left_out.items())
            + "  \nYou can put one back under Advanced settings if you will have it when you use the model.")

mode = st.radio("Build", ["Quick", "Standard"], horizontal=True,
                captions=[f"about {BUDGET_PRESETS['quick'] // 60} minute of searching: a first answer",
                          f"about {BUDGET_PRESETS['standard'] // 60} minutes: usually a better model"])
with st.expander("Advanced settings"):
    metric = None
    if task:
        names = list(METRICS[task])
        pos, neg = answers_of(dataset.profile, target) if task == "binary" else (None, None)
        metric = st.selectbox("Judge models by", names, index=names.index(DEFAULT_METRIC[task]),
                              format_func=lambda m: metric_in_words(m, resolve_metric(task, m).label, pos, neg),
                              help="How the search compares the models it tries. The first choice suits most questions.")
    others = [c for c in columns if c != target]
    excluded = st.multiselect("Leave these columns out", others,
                              help="Columns you will not have when you use the model, or that should not influence it.")
    keep: dict[str, str] = {}
    put_back = [c for c in (check.left_out if check else {}) if c not in excluded]
    if put_back:
        for col in st.multiselect("Put back a column that was left out", put_back,
                                  help="Only if you will really have it when you use the model. Say why: "
                                       "the reviewer reads your reason."):
            keep[col] = st.text_input(f"Why `{col}` belongs in the model (the reviewer sees this)",
                                      key=f"keep_reason:{dataset.id}:{col}",
                                      placeholder="For example: it is known when the order is placed")
    sensitive = st.multiselect("Sensitive columns (checked for fairness, not used to predict)",
                               [c for c in others if c not in excluded])
    target_col = next((c for c in dataset.profile.get("columns") or [] if c["name"] == target), {})
    answers = [v["value"] for v in (target_col.get("stats") or {}).get("top_values") or []]
    favourable = None
    if sensitive and task != "regression" and len(answers) >= 2 and target_col.get("n_unique", 0) <= len(answers):
        favourable = st.selectbox(
            "Which answer is good for the person?", answers, index=None, placeholder="Not declared",
            help="For example 'approved' for a loan. The fairness check compares how often each group gets it "
                 "(the four-fifths rule); until you say, it shows both answers and judges on the stricter.")
    seconds = st.number_input("Search time in seconds (0: as chosen above)", min_value=0, max_value=24 * 3600, value=0, step=10)

if st.button("Start building", type="primary"):
    with friendly("starting the build"):
        budget = float(seconds) if seconds else mode.lower()
        job = submit_training(world.engine, world.settings, me, dataset.id,
                              TrainingRequest(target=target, task=task, metric=metric, budget=budget,
                                              excluded_columns=excluded, sensitive_columns=sensitive,
                                              favourable_outcome=favourable, keep_columns=keep))
        st.session_state[JOB] = job.id
        st.session_state.pop("build_seen_done", None)
        st.session_state["build_scroll"] = True

job_id = st.session_state.get(JOB)
if job_id is None:
    with db() as s:
        recent = list_project_jobs(s, me, project.id, kind="train", limit=1)
    job_id = recent[0].id if recent else None


def render_progress(job_id: int) -> bool:
    """Draw the job's progress in its state (apps/analyst/build_view.py); True when it has finished."""
    with db() as s:
        job = get_job_for(s, me, job_id)
        waiting = queue_position(s, job) if str(job.status) == "queued" else None
    if st.session_state.pop("build_scroll", False):
        scroll_to_progress()
    if waiting:  # where the build stands in the queue, e.g. "2 jobs ahead of yours, about 3 minutes."
        st.info(f"Waiting for a worker: {waiting['message']}", icon=":material/hourglass_top:")
    finished = render_build(job, me, world.engine, world.settings, dataset.profile, JOB)
    if not finished and st.button("Cancel the build"):
        with db() as s:
            cancel_job(s, me, job_id)
        st.rerun(scope="fragment")
    if str(job.status) == "succeeded":
        st.session_state[VERSION] = job.result.get("version_id")
        st.page_link("pages/results.py", label="See the results", icon=":material/grading:")
    return finished


@st.fragment(run_every=1.5)
def live_progress(job_id: int) -> None:
    """Reruns on its own every 1.5 s while the job runs; one full rerun when it ends draws the final state."""
    with friendly("reading the build's progress"):
        if render_progress(job_id):
            st.rerun()


if job_id is not None:
    with db() as s:
        shown = get_job_for(s, me, job_id)
    if shown.project_id != project.id:  # a build started in another project in this tab
        st.session_state.pop(JOB, None)
        st.rerun()
    if shown.is_terminal:
        with friendly("reading the build's progress"):
            render_progress(job_id)
    else:
        live_progress(job_id)
