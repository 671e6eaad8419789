"""The doors: the approval API (FastAPI) and the two Streamlit apps. Thin: they call the core's public API."""
