"""The apps' half of the sign-in cookie: read it, and send the browser to the API that sets or clears it.

Streamlit's Python code reads cookies (``st.context.cookies``: those sent with the
page's WebSocket handshake, HttpOnly ones included) but cannot set them, so the
API does (apps/api/routes/browser_session.py; the rules are the core's,
automl_canvas/auth/browser_sessions.py).  The page posts a small form to the API
with a script (``st.html(..., unsafe_allow_javascript=True)``: not iframed, so
the post navigates the tab itself); the one-time ticket travels in the form
body, never in a URL.  The API sends the browser back here with the cookie, and
the new page load's handshake carries it.

When there is no API this browser can reach (``up --no-api``, AppTest, which has
no browser at all), :func:`handoff_target` says so and the apps sign in per tab
as before.  Before sending a browser away the app asks the API, server to
server, whether it knows the new ticket (:func:`ticket_accepted`): an API that is
down or serves another database is found out without an error page.
"""

from __future__ import annotations

import html
import ipaddress
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

import streamlit as st

from automl_canvas.auth.browser_sessions import COOKIE_NAME
from automl_canvas.config import Settings

__all__ = ["Handoff", "api_answers", "cookie_secret", "handoff_target", "post_to_api", "ticket_accepted"]

_PATH = "/api/v1/browser-session"


@dataclass(frozen=True)
class Handoff:
    """Where the browser posts (the API as the browser reaches it) and where it comes back to (this app's start)."""

    api: str
    back: str


def cookie_secret() -> str | None:
    """The session cookie this tab's page load sent, if any (AppTest and bare runs have none)."""
    try:
        raw = st.context.cookies.get(COOKIE_NAME)
    except Exception:  # noqa: BLE001 - outside a browser session
        return None
    return raw if isinstance(raw, str) and raw else None  # (AppTest's context hands back a stand-in object)


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


#: Server-to-server calls go straight to the API, never through an HTTP(S)_PROXY from the environment.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _netloc(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _server_side_api(settings: Settings) -> str:
    """The API as this app server reaches it (``api_host``; a wildcard address means this machine)."""
    host = settings.api_host if settings.api_host not in ("", "0.0.0.0", "::") else "127.0.0.1"
    return f"http://{_netloc(host, settings.api_port)}"


def handoff_target(settings: Settings) -> Handoff | None:
    """Where this browser can get its cookie, or None (then the tab signs in on its own).

    The API is reached on the host the browser used for this app (cookies ignore ports), at ``api_port``, unless
    ``browser_api_url`` says otherwise (a proxy).  An API listening on a loopback address only cannot be reached by
    a browser on another machine, so that case signs in per tab instead of sending the browser to a dead address."""
    try:
        page = st.context.url
    except Exception:  # noqa: BLE001 - outside a browser session
        page = None
    if not isinstance(page, str) or not page:  # AppTest: a stand-in object, no browser
        return None
    parts = urllib.parse.urlsplit(page)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    if settings.browser_api_url:
        api = settings.browser_api_url.rstrip("/")
    else:
        if _is_loopback(settings.api_host) and not _is_loopback(parts.hostname):
            return None
        api = f"{parts.scheme}://{_netloc(parts.hostname, settings.api_port)}"
    # Back to the app's start page, not the page's own path: after a sign-out the sign-in form is the only page,
    # and Streamlit answers a path it does not know with "page not found".
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return Handoff(api=api, back=urllib.parse.urlunsplit((parts.scheme, parts.netloc, f"/{base}/" if base else "/", "", "")))


def ticket_accepted(settings: Settings, ticket: str, timeout: float = 3.0) -> bool:
    """Would the API exchange this ticket now? (False when it is down, slow, or serves another database.)"""
    request = urllib.request.Request(_server_side_api(settings) + _PATH + "/check", method="POST",
                                     data=urllib.parse.urlencode({"ticket": ticket}).encode(),
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        with _DIRECT.open(request, timeout=timeout) as response:
            return response.status == 204
    except (urllib.error.URLError, OSError, ValueError):
        return False


def api_answers(settings: Settings, timeout: float = 2.0) -> bool:
    """Is the API up (its ``/health`` answers 200)? Asked before a sign-out sends the browser there to clear the
    cookie: when it is not, the cookie stays but no longer works (the session ended in the core)."""
    try:
        with _DIRECT.open(_server_side_api(settings) + "/health", timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def post_to_api(target: Handoff, action: str, fields: dict[str, str], note: str) -> None:
    """Show ``note`` and post ``fields`` (plus the way back) to the API's ``action`` ("start" or "end") from the page.

    The form is built by the script, so nothing depends on which tags the HTML sanitiser keeps; a flag on the
    window makes a re-drawn element post once only (a second post of a used ticket would meet an error)."""
    url = f"{target.api}{_PATH}/{action}"
    data = json.dumps({"url": url, "fields": {**fields, "next": target.back}}).replace("</", "<\\/")
    st.info(note)
    st.html(f"""<div data-testid="canvas-session-handoff" data-action="{html.escape(action)}"></div>
<script>(function () {{
  var go = {data};
  var key = JSON.stringify(go);
  if (window.__canvasSessionPost === key) return;
  window.__canvasSessionPost = key;
  var form = document.createElement("form");
  form.method = "post"; form.action = go.url; form.style.display = "none";
  Object.keys(go.fields).forEach(function (name) {{
    var input = document.createElement("input");
    input.type = "hidden"; input.name = name; input.value = go.fields[name];
    form.appendChild(input);
  }});
  document.body.appendChild(form);
  form.submit();
}})();</script>""", unsafe_allow_javascript=True)
