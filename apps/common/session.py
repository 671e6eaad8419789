"""Sign-in for both apps, with the core's users, passwords and throttle.

The signed-in user's id is kept in the browser session; the account is read
again on every run, so a disabled user or a changed role takes effect at once.
"""

from __future__ import annotations

import streamlit as st

from automl_canvas.auth.login import authenticate_password
from automl_canvas.auth.users import get_user_by_id
from automl_canvas.db import session_scope
from automl_canvas.errors import CanvasError
from automl_canvas.models import UserPublic

from .errors import show_error
from .world import get_world

__all__ = ["current_user", "page_user", "require_login", "sign_out", "signed_in_words"]

_KEY = "canvas_user_id"


def current_user() -> UserPublic | None:
    user_id = st.session_state.get(_KEY)
    if user_id is None:
        return None
    world = get_world()
    try:
        with session_scope(world.engine) as s:
            user = get_user_by_id(s, user_id)
    except CanvasError:
        user = None
    if user is None or not user.is_active:
        st.session_state.pop(_KEY, None)
        return None
    return user


def sign_out() -> None:
    st.session_state.pop(_KEY, None)


def _client_address() -> str:
    """The browser's address as the app server sees it (``st.context.ip_address``; None on localhost), the key
    the core throttles failed sign-ins by together with the username."""
    try:
        return st.context.ip_address or "localhost"
    except Exception:  # noqa: BLE001 - outside a browser session (bare script runs, AppTest)
        return "localhost"


def _sign_in(username: str, password: str) -> None:
    world = get_world()
    failure = None
    with session_scope(world.engine) as s:  # the attempt is recorded (and committed) even when it fails
        try:
            user = authenticate_password(s, world.settings, username, password, client=_client_address())
        except CanvasError as exc:
            failure = exc
    if failure is not None:
        raise failure
    st.session_state[_KEY] = user.id


def page_user(roles: frozenset[str] | set[str], app: str) -> UserPublic:
    """The signed-in user with one of ``roles``, or a warning and ``st.stop()``: every page calls it.

    The app's entry script has a sign-in gate, but Streamlit runs a script under ``pages/`` on its own
    (without the entry script) while no run of it has reached ``st.navigation`` in this server process,
    e.g. when everyone so far stopped at the sign-in form; a page that calls this stays closed then too.
    """
    user = current_user()
    if user is None or not (user.role_set & set(roles)):
        st.warning(f"This page is part of the {app}: sign in on its start page as {' or '.join(sorted(roles))}.")
        st.stop()
    return user


def signed_in_words(user: UserPublic) -> str:
    """"Signed in as Ana (analyst)": the role is added only when the display name does not already say it
    (the demo users are called "Ana (analyst)", which read "Ana (analyst) (analyst)")."""
    name = user.display_name or user.username
    roles = [r.strip() for r in user.roles.split(",") if r.strip()]
    missing = [r for r in roles if r.lower() not in name.lower()]
    return f"Signed in as **{name}**" + (f" ({', '.join(missing)})" if missing else "")


def _sign_in_form(app_title: str, hint: str) -> None:
    st.title(app_title)
    if hint:
        st.caption(hint)
    with st.form("sign_in"):
        username = st.text_input("Username")
        password = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Sign in")
    if submitted:
        try:
            _sign_in(username, password)
        except Exception as exc:  # noqa: BLE001
            show_error(exc, "signing you in")
        else:
            st.rerun()


def require_login(app_title: str, *, roles: set[str] | None = None, hint: str = "") -> UserPublic:
    """The signed-in user, or a sign-in form and ``st.stop()``. ``roles``: any of these may use the app.

    The form is the only page of a hidden navigation: until some run calls ``st.navigation``, Streamlit lists
    the ``pages/`` folder's raw file names in the sidebar, which a person meeting the sign-in form should not see.
    """
    user = current_user()
    if user is None:
        st.navigation([st.Page(lambda: _sign_in_form(app_title, hint), title="Sign in", icon=":material/login:",
                               url_path="sign-in", default=True)], position="hidden").run()
        st.stop()
    if roles and not (user.role_set & roles):
        st.title(app_title)
        st.warning(f"You are signed in as {user.username} ({user.roles}); this app is for: {', '.join(sorted(roles))}.")
        if st.button("Sign out"):
            sign_out()
            st.rerun()
        st.stop()
    with st.sidebar:
        st.caption(signed_in_words(user))
        if st.button("Sign out", key="sign_out"):
            sign_out()
            st.rerun()
    return user
