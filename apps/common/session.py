"""Sign-in for both apps, with the core's users, passwords, throttle and browser sessions.

A person signs in once per browser: the sign-in form checks the password (the
core's throttle and audit), then the page fetches an HttpOnly session cookie
from the API on the same host (``browser_cookie.py``), so a reload, a second tab
and the other app on that host are signed in too.  Every script run resolves the
cookie again with the core, so signing out (in any tab), an expired session or a
disabled account take effect on the next run of every tab.

Without an API this browser can reach (``up --no-api``, AppTest), the signed-in
user's id is kept in this tab's ``st.session_state`` instead, as before: the tab
works, a reload signs it out (the sidebar says so).  Either way the account is
read again on every run, so a changed role takes effect at once.
"""

from __future__ import annotations

import streamlit as st

from automl_canvas.auth.browser_sessions import end_browser_session, resolve_browser_session, sign_in_browser
from automl_canvas.auth.login import authenticate_password
from automl_canvas.auth.users import get_user_by_id
from automl_canvas.db import session_scope
from automl_canvas.errors import CanvasError
from automl_canvas.models import UserPublic

from .browser_cookie import Handoff, api_answers, cookie_secret, handoff_target, post_to_api, ticket_accepted
from .errors import show_error
from .world import get_world

__all__ = ["current_user", "page_user", "require_login", "sign_out", "signed_in_words"]

#: This tab's own sign-in (no cookie to be had, or the moment between the form and the cookie).
_KEY = "canvas_user_id"
#: The cookie post waiting to be drawn: {"action", "fields", "api", "back"}.
_POST = "canvas_session_post"
#: A cookie this tab signed out of (not tried again, and no "you were signed out" for it).
_ENDED = "canvas_ended_cookie"
#: Why the cookie this page load sent no longer signs in (shown once above the form).
_NOTICE = "canvas_session_notice"
#: Signed in by the form without a cookie: a reload signs this tab out.
_TAB_ONLY = "canvas_tab_only"


def _cookie_user() -> UserPublic | None:
    raw = cookie_secret()
    if raw is None or raw == st.session_state.get(_ENDED):
        return None
    try:
        with session_scope(get_world().engine) as s:
            return resolve_browser_session(s, raw).user
    except CanvasError as exc:  # signed out elsewhere, expired, account disabled
        st.session_state[_ENDED] = raw
        st.session_state[_NOTICE] = exc.message
        return None


def current_user() -> UserPublic | None:
    """The signed-in user: the browser's session cookie first, else this tab's own sign-in; ``None`` when neither."""
    user = _cookie_user()
    if user is not None:
        return user
    user_id = st.session_state.get(_KEY)
    if user_id is None:
        return None
    try:
        with session_scope(get_world().engine) as s:
            user = get_user_by_id(s, user_id)
    except CanvasError:
        user = None
    if user is None or not user.is_active:
        st.session_state.pop(_KEY, None)
        return None
    return user


def sign_out() -> None:
    """End the browser's session (every tab and both apps on this host) and this tab's own sign-in; the cookie
    is then cleared through the API when it can be reached (it no longer works either way)."""
    raw = cookie_secret()
    if raw is not None and raw != st.session_state.get(_ENDED):
        with session_scope(get_world().engine) as s:
            end_browser_session(s, raw)
        st.session_state[_ENDED] = raw
        target = handoff_target(get_world().settings)
        if target is not None and api_answers(get_world().settings):
            st.session_state[_POST] = {"action": "end", "fields": {}, "api": target.api, "back": target.back}
    for key in (_KEY, _TAB_ONLY, _NOTICE):
        st.session_state.pop(key, None)


def _client_address() -> str:
    """The browser's address as the app server sees it (``st.context.ip_address``; None on localhost), the key
    the core throttles failed sign-ins by together with the username."""
    try:
        return st.context.ip_address or "localhost"
    except Exception:  # noqa: BLE001 - outside a browser session (bare script runs, AppTest)
        return "localhost"


def _sign_in(username: str, password: str) -> None:
    """Check the password; with an API this browser can reach, start a browser session and queue the cookie post."""
    world = get_world()
    target = handoff_target(world.settings)
    failure, ticket = None, None
    with session_scope(world.engine) as s:  # the attempt is recorded (and committed) even when it fails
        try:
            if target is not None:
                user, ticket = sign_in_browser(s, world.settings, username, password, client=_client_address())
            else:
                user = authenticate_password(s, world.settings, username, password, client=_client_address())
        except CanvasError as exc:
            failure = exc
    if failure is not None:
        raise failure
    st.session_state[_KEY] = user.id  # this tab is signed in now, cookie or not
    st.session_state.pop(_NOTICE, None)
    if target is not None and ticket is not None and ticket_accepted(world.settings, ticket):
        st.session_state[_POST] = {"action": "start", "fields": {"ticket": ticket}, "api": target.api, "back": target.back}
    else:
        st.session_state[_TAB_ONLY] = True


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
    notice = st.session_state.pop(_NOTICE, None)
    if notice:
        st.info(notice)
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


def _hidden_page(title: str, body) -> None:
    """Run ``body`` as the only page of a hidden navigation, then stop: until some run calls ``st.navigation``,
    Streamlit lists the ``pages/`` folder's raw file names in the sidebar, which a person should not see."""
    st.navigation([st.Page(body, title=title, icon=":material/login:", url_path="sign-in", default=True)],
                  position="hidden").run()
    st.stop()


def _cookie_post(app_title: str, post: dict) -> None:
    def body() -> None:
        st.title(app_title)
        note = "Signing you in on this browser…" if post["action"] == "start" else "Signing you out on this browser…"
        post_to_api(Handoff(post["api"], post["back"]), post["action"], post["fields"], note)
        if post["action"] == "start":
            st.caption("The page reloads by itself. If it does not, you can go on in this tab only.")
            st.button("Go on in this tab", key="tab_only")  # a rerun: the post is not drawn again

    _hidden_page("Sign in", body)


def require_login(app_title: str, *, roles: set[str] | None = None, hint: str = "") -> UserPublic:
    """The signed-in user, or a sign-in form and ``st.stop()``. ``roles``: any of these may use the app.

    The form is the only page of a hidden navigation (see :func:`_hidden_page`); so is the short page that posts
    the cookie request to the API after a sign-in or a sign-out.
    """
    post = st.session_state.pop(_POST, None)
    if post is not None:
        _cookie_post(app_title, post)
    user = current_user()
    if user is None:
        _hidden_page("Sign in", lambda: _sign_in_form(app_title, hint))
    if roles and not (user.role_set & roles):
        st.title(app_title)
        st.warning(f"You are signed in as {user.username} ({user.roles}); this app is for: {', '.join(sorted(roles))}.")
        if st.button("Sign out"):
            sign_out()
            st.rerun()
        st.stop()
    with st.sidebar:
        st.caption(signed_in_words(user))
        if st.session_state.get(_TAB_ONLY):
            st.caption("Signed in for this tab only (the approval API is not reachable): a reload signs you out.")
        if st.button("Sign out", key="sign_out"):
            sign_out()
            st.rerun()
    return user
