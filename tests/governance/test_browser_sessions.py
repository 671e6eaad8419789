"""Browser sessions (the apps' sign-in cookie) and the current project per user, on a real database.

Sign in -> one-time ticket -> exchanged once for a secret -> the secret resolves to its user until it expires,
is signed out, or the user is disabled; only digests are stored. The current project is kept per user and is
never handed back for a project the user may no longer see.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import sqlalchemy as sa

from automl_canvas.audit import list_events
from automl_canvas.auth.browser_sessions import (
    check_ticket,
    end_browser_session,
    exchange_ticket,
    resolve_browser_session,
    sign_in_browser,
)
from automl_canvas.auth.users import create_user, ensure_user, set_active
from automl_canvas.db import session_scope, utcnow
from automl_canvas.errors import AuthenticationError, NotFoundError
from automl_canvas.models import BrowserSession, ProjectCreate, UserPreference
from automl_canvas.projects import add_member, create_project, current_project, remove_member, set_current_project

pytestmark = pytest.mark.db

PASSWORD = "correct horse battery"


@pytest.fixture
def admin(engine):
    with session_scope(engine) as s:
        return ensure_user(s, "root", ("admin",), "Root")


@pytest.fixture
def ana(engine, settings, admin):
    with session_scope(engine) as s:
        return create_user(s, settings, admin, "ana", ["analyst"], password=PASSWORD)


def _ticket(engine, settings, username="ana", password=PASSWORD) -> str:
    with session_scope(engine) as s:
        return sign_in_browser(s, settings, username, password, client="203.0.113.9")[1]


def _cookie(engine, settings) -> str:
    ticket = _ticket(engine, settings)
    with session_scope(engine) as s:
        return exchange_ticket(s, settings, ticket)[0]


def _resolve(engine, raw):
    with session_scope(engine) as s:
        return resolve_browser_session(s, raw)


def _age(engine, **delta) -> None:
    """Move every session's clocks into the past by ``delta`` (as if that much time had gone by)."""
    with session_scope(engine) as s:
        for row in s.exec(sa.select(BrowserSession)).scalars():
            row.created_at -= timedelta(**delta)
            row.expires_at -= timedelta(**delta)
            row.ticket_expires_at -= timedelta(**delta)
            s.add(row)


def test_a_ticket_becomes_a_session_once_and_only_digests_are_stored(engine, settings, ana):
    ticket = _ticket(engine, settings)
    with session_scope(engine) as s:
        check_ticket(s, ticket)  # the app's server-side question changes nothing
        secret, live = exchange_ticket(s, settings, ticket)
    assert live.user.username == "ana" and secret.startswith("acs_") and secret != ticket
    assert timedelta(hours=11.9) < live.expires_at - utcnow() <= timedelta(hours=12)  # session_hours, default 12
    assert _resolve(engine, secret).user.id == ana.id
    with session_scope(engine) as s:
        row = s.exec(sa.select(BrowserSession)).scalar_one()
        assert row.ticket_sha256 == hashlib.sha256(ticket.encode()).hexdigest()
        assert row.secret_sha256 == hashlib.sha256(secret.encode()).hexdigest()
        stored = " ".join(str(v) for v in row.model_dump().values())
        assert ticket not in stored and secret not in stored
        with pytest.raises(AuthenticationError, match="already used"):
            exchange_ticket(s, settings, ticket)
        with pytest.raises(AuthenticationError, match="already used"):
            check_ticket(s, ticket)


def test_a_wrong_password_makes_no_session_and_is_throttled_as_before(engine, settings, ana):
    for _ in range(settings.login_max_failures):
        with pytest.raises(AuthenticationError, match="Wrong username or password"), session_scope(engine) as s:
            sign_in_browser(s, settings, "ana", "not it", client="198.51.100.4")
    with pytest.raises(AuthenticationError, match="Too many failed sign-ins"), session_scope(engine) as s:
        sign_in_browser(s, settings, "ana", PASSWORD, client="198.51.100.4")
    with session_scope(engine) as s:
        assert s.exec(sa.select(sa.func.count()).select_from(BrowserSession)).scalar_one() == 0


@pytest.mark.parametrize("ticket,words", [("", "not a sign-in ticket"), ("acv_" + "x" * 43, "not a sign-in ticket"),
                                          ("act_" + "x" * 43, "Unknown sign-in ticket")])
def test_bad_tickets_are_refused_with_a_reason(engine, settings, ana, ticket, words):
    with session_scope(engine) as s, pytest.raises(AuthenticationError, match=words):
        exchange_ticket(s, settings, ticket)


def test_a_ticket_expires_after_two_minutes(engine, settings, ana):
    ticket = _ticket(engine, settings)
    _age(engine, seconds=121)
    with session_scope(engine) as s, pytest.raises(AuthenticationError, match="expired"):
        exchange_ticket(s, settings, ticket)


def test_a_session_expires_after_session_hours(engine, settings, ana):
    short = settings.model_copy(update={"session_hours": 2})
    ticket = _ticket(engine, short)
    with session_scope(engine) as s:
        secret = exchange_ticket(s, short, ticket)[0]
    _age(engine, hours=1, minutes=59)
    assert _resolve(engine, secret).user.username == "ana"
    _age(engine, minutes=2)
    with pytest.raises(AuthenticationError, match="expired .*2 hours"):
        _resolve(engine, secret)


def test_signing_out_ends_the_session_at_once_and_is_audited(engine, settings, ana):
    secret = _cookie(engine, settings)
    other = _cookie(engine, settings)  # another browser of the same person
    with session_scope(engine) as s:
        assert end_browser_session(s, secret) is True
        assert end_browser_session(s, secret) is False  # twice is not an error
        assert end_browser_session(s, "acs_" + "y" * 43) is False
    with pytest.raises(AuthenticationError, match="signed out"):
        _resolve(engine, secret)
    assert _resolve(engine, other).user.username == "ana"  # only that browser's session ended
    with session_scope(engine) as s:
        assert [e.actor_name for e in list_events(s, actions=["auth.logout"])] == ["ana"]


def test_a_disabled_user_is_signed_out_everywhere_and_cannot_start_again(engine, settings, admin, ana):
    secret = _cookie(engine, settings)
    ticket = _ticket(engine, settings)  # shown to a browser, not exchanged yet
    with session_scope(engine) as s:
        set_active(s, admin, "ana", False)
    with pytest.raises(AuthenticationError, match="disabled"):
        _resolve(engine, secret)
    with session_scope(engine) as s, pytest.raises(AuthenticationError, match="disabled"):
        exchange_ticket(s, settings, ticket)
    with session_scope(engine) as s:
        set_active(s, admin, "ana", True)
    assert _resolve(engine, secret).user.username == "ana"  # still within its lifetime and never signed out


def test_unknown_or_malformed_cookies_resolve_to_a_reason_not_a_user(engine, settings, ana):
    for raw in (None, "", "garbage", "acs_" + "z" * 43):
        with pytest.raises(AuthenticationError, match="not known"):
            _resolve(engine, raw)


def test_sessions_ended_over_a_day_ago_are_deleted_at_the_next_sign_in(engine, settings, ana):
    _cookie(engine, settings)
    _ticket(engine, settings)  # never exchanged
    _age(engine, hours=12 + 25)
    _ticket(engine, settings)
    with session_scope(engine) as s:
        assert s.exec(sa.select(sa.func.count()).select_from(BrowserSession)).scalar_one() == 1


# ------------------------------------------------------------------------------------------ current project per user
@pytest.fixture
def bob(engine):
    with session_scope(engine) as s:
        return ensure_user(s, "bob", ("analyst",), "Bob")


def test_the_current_project_is_the_users_and_survives_new_sessions(engine, analyst, project, bob):
    with session_scope(engine) as s:
        assert current_project(s, analyst) is None
        other = create_project(s, analyst, ProjectCreate(name="Loans"))
        set_current_project(s, analyst, other.id)
    with session_scope(engine) as s:  # a new session (another tab, a reload): the same project
        assert current_project(s, analyst).name == "Loans"
        set_current_project(s, analyst, project.id)
        set_current_project(s, analyst, project.id)  # writing it again is an upsert, not a second row
        assert current_project(s, analyst).id == project.id
        assert current_project(s, bob) is None  # each user has their own
        assert s.exec(sa.select(sa.func.count()).select_from(UserPreference)).scalar_one() == 1


def test_a_project_the_user_cannot_see_cannot_become_current(engine, analyst, project, bob):
    with session_scope(engine) as s, pytest.raises(NotFoundError):
        set_current_project(s, bob, project.id)
    with session_scope(engine) as s:
        assert current_project(s, bob) is None


def test_losing_membership_clears_the_current_project(engine, analyst, project, bob):
    with session_scope(engine) as s:
        add_member(s, analyst, project.id, "bob", "viewer")
        set_current_project(s, bob, project.id)
    with session_scope(engine) as s:
        assert current_project(s, bob).id == project.id
        remove_member(s, analyst, project.id, "bob")
    with session_scope(engine) as s:
        assert current_project(s, bob) is None  # not shown, and forgotten
    with session_scope(engine) as s:
        assert s.get(UserPreference, bob.id).current_project_id is None
