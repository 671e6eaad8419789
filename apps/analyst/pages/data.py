"""Data: drop a table, see a preview and the readiness report, choose what to predict.

Choosing the target runs the leakage probe for it (once per dataset and target; stored), so the
analyst learns here, before building, which columns will be left out and why.
"""

import streamlit as st

from apps.analyst.analyst_ui import DATASET, page, pick_dataset, saved_upload
from apps.common import friendly
from automl_canvas.datasets.readiness import check_target, readiness_report
from automl_canvas.datasets.service import ingest_file, load_frame

me, project, world = page("Data", "Upload a table with one row per case and the outcome you want to predict as a column.")

upload = st.file_uploader("Drop a CSV, Excel or Parquet file here", type=["csv", "tsv", "txt", "xlsx", "xls", "parquet"])
if upload is not None and st.session_state.get("ingested_upload") != upload.file_id:
    with friendly("reading your file"):
        with saved_upload(upload) as tmp, st.spinner("Reading and checking the table..."):
            dataset = ingest_file(world.engine, world.settings, me, project.id, tmp, filename=upload.name)
        st.session_state["ingested_upload"] = upload.file_id
        st.session_state[DATASET] = dataset.id
        st.success(f"{dataset.name} is stored: {dataset.n_rows:,} rows, {dataset.n_columns} columns.")

dataset = pick_dataset(me, project)
if dataset is None:
    st.info("No data in this project yet: drop a file above.")
    st.stop()

report_box = st.container()  # filled below, once the target checks (if any) are known

st.subheader("What to predict")
columns = [c["name"] for c in dataset.profile.get("columns") or []]
target_key = f"target:{dataset.id}"
default = st.session_state.get(target_key)
target = st.selectbox("The column to predict (the target)", columns,
                      index=columns.index(default) if default in columns else None,
                      placeholder="Choose the outcome column")
check = None
if target:
    st.session_state[target_key] = target
    cache_key = f"target_check:{dataset.id}:{target}"
    with friendly("checking that column as a target"):
        if cache_key not in st.session_state:
            with st.spinner("Checking the target..."):
                st.session_state[cache_key] = check_target(world.engine, world.settings, me, dataset.id, target)
        check = st.session_state[cache_key]
        st.success(check.sentence)
        if check.left_out:  # the readiness check's decisions for this target (leakage probe, ID-like columns)
            st.info("**Left out of the model for this target:**  \n" + "  \n".join(
                f"- `{col}` {why}, so it will be left out." for col, why in check.left_out.items())
                + "  \nIf you will have one of them when you use the model, put it back on the Build page and say why.")
        st.page_link("pages/build.py", label="Next: build a model", icon=":material/model_training:")

with report_box:
    st.subheader("Readiness report")
    report = readiness_report(dataset.profile, check.findings if check else None, dataset.name)
    (st.info if report.ready else st.error)(report.summary)
    show = {"critical": st.error, "warning": st.warning, "info": st.info}
    for item in report.items:
        text = f"**{item.label}:** {item.message}"
        if item.fix:
            text += f"  \nSuggested fix: {item.fix}"
        show[item.severity](text)

st.subheader("Preview")
with friendly("showing the preview"):
    st.dataframe(load_frame(world.settings, dataset).head(20), hide_index=True)
