"""Start: what the app does, in the order a person uses it."""

import streamlit as st

from apps.analyst.analyst_ui import user

me = user()
st.title("AutoML Canvas")
st.write(f"Welcome, {me.display_name or me.username}.")
st.markdown(
    "1. **Projects**: write down the business question, the decision it informs and what success looks like.\n"
    "2. **Data**: drop a table; read the readiness report; choose what to predict.\n"
    "3. **Build**: quick or standard; watch the search.\n"
    "4. **Results**: a grade, the numbers in words, what drives the predictions and what it gets wrong.\n"
    "5. **Try it** on one case, or score a whole file in **Batch predictions**.\n"
    "6. **Share** it with a data scientist, who approves it or asks for changes."
)
st.page_link("pages/projects.py", label="Start with a project", icon=":material/folder:")
