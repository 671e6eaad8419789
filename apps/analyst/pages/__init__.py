"""Streamlit pages (run by st.navigation from the app entry file; a package only so installs ship them)."""
