"""Batch predictions: upload a file of cases, download it back with a prediction and a confidence per row."""

from pathlib import Path

import streamlit as st

from apps.analyst.analyst_ui import page, pick_version, saved_upload
from apps.common import friendly
from automl_canvas.exports import to_csv_bytes  # formulas neutralised: this file is opened in a spreadsheet
from automl_canvas.serving.batch import predict_upload

me, project, world = page("Batch predictions", "Upload a file with the same columns as the training data (the outcome "
                          "column may be left out); get it back with a prediction and how confident it is for every row.")
version = pick_version(me, project)
st.caption("Columns the model needs: " + ", ".join(f"`{c}`" for c in version.feature_schema.get("input_columns") or []))

upload = st.file_uploader("Drop the file to score", type=["csv", "tsv", "txt", "xlsx", "xls", "parquet"], key="batch_upload")
key = f"batch:{version.id}"
if upload is not None and (st.session_state.get(key) or {}).get("file_id") != upload.file_id:
    with friendly("scoring your file"):
        with saved_upload(upload) as tmp, st.spinner("Scoring..."):
            result = predict_upload(world.engine, world.settings, me, version.id, tmp, filename=upload.name)
        st.session_state[key] = {"file_id": upload.file_id, "name": Path(upload.name).stem, "csv": to_csv_bytes(result.frame),
                                 "preview": result.frame.head(20), "n": len(result.frame), "notes": result.notes}

done = st.session_state.get(key)
if upload is not None and done and done["file_id"] == upload.file_id:
    st.success(f"Scored {done['n']:,} rows.")
    for note in done["notes"]:
        st.info(note)
    st.dataframe(done["preview"], hide_index=True)
    st.download_button("Download predictions (CSV)", done["csv"], file_name=f"{done['name']}-predictions.csv",
                       mime="text/csv", on_click="ignore", type="primary")
