"""The analyst app: from a table and a question to a shared, explained model, without code.

Run: ``streamlit run apps/analyst/app.py`` (``automl-canvas up`` starts it).  Pages call only the
core's public functions; the rules live in the core.  The sign-in and the current project are the
user's (a browser session cookie, projects/current.py), so a reload and a second tab keep them; the
dataset and model picked on a page stay in that tab's ``st.session_state``.
"""

import streamlit as st

from apps.analyst.analyst_ui import ROLES
from apps.common import require_login

st.set_page_config(page_title="AutoML Canvas", page_icon=":material/insights:", layout="wide")
user = require_login("AutoML Canvas", roles=set(ROLES),
                     hint="Bring a table and a question; get a model you can trust, checked by a data scientist.")
st.navigation([
    st.Page("pages/home.py", title="Start", icon=":material/home:", default=True),
    st.Page("pages/projects.py", title="Projects", icon=":material/folder:"),
    st.Page("pages/data.py", title="Data", icon=":material/upload_file:"),
    st.Page("pages/build.py", title="Build", icon=":material/model_training:"),
    st.Page("pages/results.py", title="Results", icon=":material/grading:"),
    st.Page("pages/try_it.py", title="Try it", icon=":material/science:"),
    st.Page("pages/batch.py", title="Batch predictions", icon=":material/table_view:"),
    st.Page("pages/share.py", title="Share", icon=":material/send:"),
    st.Page("pages/portfolio.py", title="Portfolio", icon=":material/leaderboard:"),
    st.Page("pages/glossary.py", title="Glossary", icon=":material/menu_book:"),
]).run()
