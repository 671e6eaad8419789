"""The scientist review dashboard: the gated queue and everything under the hood.

Run: ``streamlit run apps/scientist/app.py`` (``automl-canvas up`` starts it).
Pages call only the core's public functions; the rules live in the core.
"""

import streamlit as st

from apps.common import require_login
from apps.scientist.dashboard_ui import ROLES

st.set_page_config(page_title="AutoML Canvas review", page_icon=":material/verified:", layout="wide")
user = require_login("AutoML Canvas review", roles=set(ROLES),
                     hint="The review gate: look under the hood, then approve, reject or request changes.")
st.navigation([
    st.Page("pages/queue.py", title="Review queue", icon=":material/inbox:", default=True),
    st.Page("pages/review.py", title="Under the hood", icon=":material/troubleshoot:"),
    st.Page("pages/deployed.py", title="Deployed models", icon=":material/rocket_launch:"),
    st.Page("pages/monitoring.py", title="Monitoring", icon=":material/monitor_heart:"),
    st.Page("pages/jobs.py", title="Job queue", icon=":material/queue:"),
    st.Page("pages/glossary.py", title="Glossary", icon=":material/menu_book:"),
]).run()
