"""The apps' sign-in cookie through the API: a one-time ticket becomes an HttpOnly cookie and a 303 back to the
app; used, expired and made-up tickets are refused with a sentence; the way back cannot point anywhere else (no
open redirect); signing out ends the session and clears the cookie. A small real world of its own."""

from __future__ import annotations

from datetime import timedelta
from http.cookies import SimpleCookie

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from automl_canvas.auth.browser_sessions import COOKIE_NAME, resolve_browser_session, sign_in_browser
from automl_canvas.auth.users import create_user, ensure_user
from automl_canvas.db import init_db, make_engine, session_scope, utcnow
from automl_canvas.errors import AuthenticationError
from automl_canvas.models import BrowserSession
from tests.conftest import make_settings

PASSWORD = "correct horse battery"
APP = "http://testserver:8501/projects"
START, END, CHECK = "/api/v1/browser-session/start", "/api/v1/browser-session/end", "/api/v1/browser-session/check"


@pytest.fixture
def small(tmp_path):
    from apps.api import create_app

    s = make_settings(tmp_path / "home", None, session_return_origins=["https://canvas.example.com"])
    engine = make_engine(s)
    init_db(engine)
    with session_scope(engine) as ss:
        root = ensure_user(ss, "root", ("admin",))
        create_user(ss, s, root, "ana", ["analyst"], password=PASSWORD)
    yield create_app(s, engine=engine), s, engine
    engine.dispose()


def _ticket(world) -> str:
    _app, settings, engine = world
    with session_scope(engine) as s:
        return sign_in_browser(s, settings, "ana", PASSWORD)[1]


def _client(app, base: str = "http://testserver") -> TestClient:
    return TestClient(app, base_url=base, follow_redirects=False, raise_server_exceptions=False)


def _set_cookie(response) -> SimpleCookie:
    jar = SimpleCookie()
    jar.load(response.headers["set-cookie"])
    return jar


def test_a_ticket_becomes_an_httponly_cookie_and_a_303_back_to_the_app(small):
    app, settings, engine = small
    ticket = _ticket(small)
    with _client(app) as c:
        assert c.post(CHECK, data={"ticket": ticket}).status_code == 204
        r = c.post(START, data={"ticket": ticket, "next": APP})
    assert r.status_code == 303, r.text
    assert r.headers["location"] == APP and r.headers["cache-control"] == "no-store"
    header = r.headers["set-cookie"]
    morsel = _set_cookie(r)[COOKIE_NAME]
    assert morsel["httponly"] and morsel["samesite"].lower() == "lax" and morsel["path"] == "/"
    assert "secure" not in header.lower()  # plain http: a Secure cookie would never come back
    assert 12 * 3600 - 60 < int(morsel["max-age"]) <= 12 * 3600
    with session_scope(engine) as s:
        assert resolve_browser_session(s, morsel.value).user.username == "ana"
    assert ticket not in header and ticket not in r.headers["location"]


def test_over_https_the_cookie_is_secure(small):
    app, _settings, _engine = small
    with _client(app, "https://testserver") as c:
        r = c.post(START, data={"ticket": _ticket(small), "next": "https://testserver:8502/"})
    assert r.status_code == 303, r.text
    assert _set_cookie(r)[COOKIE_NAME]["secure"]


def _refused(r, words: str) -> None:
    assert r.status_code == 401, r.text
    body = r.json()["error"]
    assert body["code"] == "unauthenticated" and words in body["message"] and "set-cookie" not in r.headers


def test_used_expired_and_made_up_tickets_are_refused_with_a_reason(small):
    app, _settings, engine = small
    ticket = _ticket(small)
    with _client(app) as c:
        assert c.post(START, data={"ticket": ticket, "next": APP}).status_code == 303
        _refused(c.post(START, data={"ticket": ticket, "next": APP}), "already used")
        _refused(c.post(CHECK, data={"ticket": ticket}), "already used")
        _refused(c.post(START, data={"ticket": "act_" + "q" * 43, "next": APP}), "Unknown sign-in ticket")
        _refused(c.post(START, data={"ticket": "hello", "next": APP}), "not a sign-in ticket")
        late = _ticket(small)
        with session_scope(engine) as s:
            s.execute(sa.update(BrowserSession).values(ticket_expires_at=utcnow() - timedelta(seconds=1)))
        _refused(c.post(START, data={"ticket": late, "next": APP}), "expired")
        missing = c.post(START, data={"next": APP})
        assert missing.status_code == 422 and missing.json()["error"]["code"] == "invalid_input"


@pytest.mark.parametrize("target", [
    "http://evil.example/",                       # another host
    "http://testserver:9999/",                    # this host, a port that is no app
    "http://testserver/",                         # this host, port 80
    "http://evil.example\\@testserver:8501/",     # a browser reads the backslash as a slash: evil.example
    "http://user@testserver:8501/",               # user info
    "//evil.example/",                            # scheme-relative
    "javascript:alert(1)",
    "https://canvas.example.com.evil.example/",   # looks like the listed origin
    "http://testserver:8501/\n",                  # a control character
])
def test_the_way_back_cannot_point_elsewhere_and_the_ticket_is_not_spent(small, target):
    app, _settings, _engine = small
    ticket = _ticket(small)
    with _client(app) as c:
        r = c.post(START, data={"ticket": ticket, "next": target})
        assert r.status_code == 422, (target, r.status_code, r.headers.get("location"))
        assert "location" not in r.headers and "set-cookie" not in r.headers
        assert "not one of the apps" in r.json()["error"]["message"]
        assert c.post(CHECK, data={"ticket": ticket}).status_code == 204  # refused before the ticket was used
        end = c.post(END, data={"next": target})
        assert end.status_code == 422 and "location" not in end.headers


def test_a_listed_origin_behind_a_proxy_is_allowed(small):
    app, _settings, _engine = small
    with _client(app) as c:
        r = c.post(START, data={"ticket": _ticket(small), "next": "https://canvas.example.com/analyst/"})
    assert r.status_code == 303 and r.headers["location"] == "https://canvas.example.com/analyst/"


def test_signing_out_ends_the_session_and_clears_the_cookie(small):
    app, _settings, engine = small
    with _client(app) as c:
        secret = _set_cookie(c.post(START, data={"ticket": _ticket(small), "next": APP}))[COOKIE_NAME].value
        c.cookies.clear()
        r = c.post(END, data={"next": APP}, headers={"Cookie": f"{COOKIE_NAME}={secret}"})
        assert r.status_code == 303 and r.headers["location"] == APP
        cleared = _set_cookie(r)[COOKIE_NAME]
        assert cleared.value == "" and cleared["max-age"] == "0" and cleared["httponly"]
        with session_scope(engine) as s, pytest.raises(AuthenticationError, match="signed out"):
            resolve_browser_session(s, secret)
        assert c.post(END, data={"next": APP}).status_code == 303  # without a cookie: just cleared again


def test_the_openapi_schema_declares_the_redirects_and_their_errors(small):
    app, _settings, _engine = small
    with _client(app) as c:
        paths = c.get("/openapi.json").json()["paths"]
    assert set(paths[START]["post"]["responses"]) == {"303", "401", "422"}
    assert set(paths[END]["post"]["responses"]) == {"303", "422"}
    assert set(paths[CHECK]["post"]["responses"]) == {"204", "401", "422"}
