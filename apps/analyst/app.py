"""The analyst app: from a table and a question to a shared, explained model, without code.

Run: ``streamlit run apps/analyst/app.py`` (``automl-canvas up`` starts it).  Pages call only the
core's public functions; the rules live in the core.
"""

import streamlit as st

from apps.common import require_login

st.set_page_config(page_title="AutoML Canvas", page_icon=":material/insights:", layout="wide")
user = require_login("AutoML Canvas", roles={"analyst", "scientist"},
                     hint="Bring a table and a question; get a model you can trust, checked by a data scientist.")
st.navigation([
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
]).run()
