"""The scientist review dashboard (Streamlit multipage): the gated queue and everything under the hood."""
