"""The apps' sign-in cookie: exchange a one-time ticket for it, clear it on sign-out.

Why the API sets it.  Streamlit's Python code can read cookies but cannot set
them (and never HttpOnly ones), so after a person signs in with their password
in an app, the page posts the ticket the core gave it here (a form body, so no
secret is in a URL, a log line or the browser's history); this route sets an
HttpOnly, SameSite=Lax cookie (Secure when the request came over https: behind a
TLS proxy run uvicorn with ``--proxy-headers``) and answers 303 back to the app.
Cookies ignore ports, so the cookie set for ``host:8000`` reaches both apps on
``host:8501`` / ``host:8502``.  Page scripts can never read it.

The way back is checked (no open redirect) by the core's
``safe_return_url``: one of this host's apps, or an origin listed in
``session_return_origins`` (apps behind a proxy).

The ticket rules (once, within two minutes, for an active account) are the
core's: automl_canvas/auth/browser_sessions.py.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from automl_canvas.auth.browser_sessions import (
    COOKIE_NAME,
    check_ticket,
    end_browser_session,
    exchange_ticket,
    safe_return_url,
)
from automl_canvas.db import session_scope, utcnow

from ..responses import error_responses

__all__ = ["router"]

router = APIRouter(tags=["browser session"])

Ticket = Annotated[str, Form(min_length=1, max_length=200, description="The one-time ticket the app's page was given.")]
Next = Annotated[str, Form(min_length=1, max_length=2000, description="The app URL to go back to.")]

def _errors(*statuses: int) -> dict:
    return error_responses(*statuses, words={
        401: "The ticket is not known, was already used or expired (each works once, for two minutes), or the "
             "account is disabled.",
        422: "A field is missing, or the address to go back to is not one of the apps on this host."})


def _redirect(description: str, cookie: str) -> dict:
    return {303: {"description": description, "headers": {
        "Location": {"description": "The app page to go back to.", "schema": {"type": "string"}},
        "Set-Cookie": {"description": cookie, "schema": {"type": "string"}}}}}


@router.post("/browser-session/start", status_code=303, response_class=RedirectResponse,
             responses={**_redirect("Signed in: back to the app with the session cookie.",
                                    f"{COOKIE_NAME}=…; HttpOnly; SameSite=Lax; Path=/ (Secure over https)"),
                        **_errors(401, 422)},
             summary="Exchange a sign-in ticket for the apps' session cookie (a browser form post)")
def start(request: Request, ticket: Ticket, next: Next):
    state = request.app.state.canvas
    target = safe_return_url(next, request.url.hostname, state.settings)  # before the ticket is spent
    with session_scope(state.engine) as s:
        secret, live = exchange_ticket(s, state.settings, ticket)
    response = RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})
    response.set_cookie(COOKIE_NAME, secret, max_age=max(1, int((live.expires_at - utcnow()).total_seconds())),
                        path="/", httponly=True, samesite="lax", secure=request.url.scheme == "https")
    return response


@router.post("/browser-session/check", status_code=204, response_class=Response,
             responses={204: {"description": "The ticket can be exchanged now."}, **_errors(401, 422)},
             summary="Could this ticket be exchanged now? (the app asks before it sends the browser here)")
def check(request: Request, ticket: Ticket) -> Response:
    with session_scope(request.app.state.canvas.engine) as s:
        check_ticket(s, ticket)
    return Response(status_code=204, headers={"Cache-Control": "no-store"})


@router.post("/browser-session/end", status_code=303, response_class=RedirectResponse,
             responses={**_redirect("Signed out: back to the app, the cookie cleared.",
                                    f"{COOKIE_NAME}=\"\"; Max-Age=0 (the cookie is removed)"),
                        **_errors(422)},
             summary="Sign this browser out (ends the cookie's session) and go back to the app")
def end(request: Request, next: Next):
    state = request.app.state.canvas
    target = safe_return_url(next, request.url.hostname, state.settings)
    raw = request.cookies.get(COOKIE_NAME)
    if raw:
        with session_scope(state.engine) as s:
            end_browser_session(s, raw)
    response = RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="lax", secure=request.url.scheme == "https")
    return response
