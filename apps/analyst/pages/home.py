import streamlit as st

from apps.common import current_user

user = current_user()
st.title("AutoML Canvas")
st.write(f"Welcome, {user.display_name or user.username}.")
