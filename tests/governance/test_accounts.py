"""Passwords, throttled sign-in, API tokens: the bad inputs the governance issue lists."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from automl_canvas.audit import list_events
from automl_canvas.auth.bootstrap import ensure_admin, seed_demo_users
from automl_canvas.auth.login import authenticate_password
from automl_canvas.auth.tokens import authenticate_token, create_token, list_tokens, revoke_token
from automl_canvas.auth.users import create_user, ensure_user, set_active, set_password
from automl_canvas.db import session_scope, utcnow
from automl_canvas.errors import AuthenticationError, ConflictError, PermissionDeniedError, TooManyAttemptsError, ValidationError
from automl_canvas.models import ApiToken, User

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


def _login(engine, settings, username, password, client=None):
    """Like the doors do: the attempt is committed even when it fails."""
    failure = None
    with session_scope(engine) as s:
        try:
            return authenticate_password(s, settings, username, password, client=client)
        except AuthenticationError as exc:
            failure = exc
    raise failure


def test_password_is_hashed_with_argon2_and_login_works(engine, settings, ana):
    with session_scope(engine) as s:
        row = s.exec(sa.select(User).where(User.username == "ana")).scalar_one()
        assert row.password_hash.startswith("$argon2id$") and PASSWORD not in row.password_hash
    assert _login(engine, settings, "ana", PASSWORD).username == "ana"


def test_wrong_password_and_unknown_user_get_the_same_answer(engine, settings, ana):
    with pytest.raises(AuthenticationError) as wrong:
        _login(engine, settings, "ana", "nope nope nope")
    with pytest.raises(AuthenticationError) as unknown:
        _login(engine, settings, "nobody", "nope nope nope")
    assert wrong.value.message == unknown.value.message == "Wrong username or password."


def _answer(engine, settings, username, password, client):
    """What the caller sees, with the seconds to wait blanked (they count down with the clock, not the user)."""
    try:
        _login(engine, settings, username, password, client)
    except AuthenticationError as exc:
        return (type(exc).__name__, exc.code, re.sub(r"\d+ seconds", "N seconds", exc.message),
                {k: v for k, v in exc.details.items() if k != "retry_after_seconds"})
    return "signed in"


def test_twenty_wrong_passwords_answer_the_same_for_real_and_unknown_users_and_lock_no_one_out(engine, settings, ana):
    real = [_answer(engine, settings, "ana", "wrong password!", "203.0.113.7") for _ in range(20)]
    unknown = [_answer(engine, settings, "nobody", "wrong password!", "203.0.113.8") for _ in range(20)]
    assert real == unknown  # same type, code, message and details, attempt by attempt
    assert real[0][1] == "unauthenticated" and real[-1][1] == "too_many_attempts"
    assert real.count(real[0]) == settings.login_max_failures  # then refused, the same way for both
    # the guesser's address stays refused, even with the right password...
    with pytest.raises(TooManyAttemptsError) as refused:
        _login(engine, settings, "ana", PASSWORD, "203.0.113.7")
    assert refused.value.details["retry_after_seconds"] > 0 and "ana" not in refused.value.message
    # ...but Ana, signing in from her own machine, is not locked out
    assert _login(engine, settings, "ana", PASSWORD, "198.51.100.20").username == "ana"
    with session_scope(engine) as s:
        events = list_events(s, limit=1000)
        row = s.exec(sa.select(User).where(User.username == "ana")).scalar_one()
    actions = [e.action for e in events]
    assert actions.count("auth.login_failed") == 2 * settings.login_max_failures
    # only the first refusal per (client, name) is audited: a script cannot flood the log
    assert actions.count("auth.login_throttled") == 2
    assert row.locked_until is None and row.failed_logins == 0


def test_a_client_spraying_many_usernames_is_throttled_as_a_whole(engine, settings, ana):
    narrow = settings.model_copy(update={"login_client_max_failures": 3})
    for name in ("a1", "a2", "a3"):
        with pytest.raises(AuthenticationError):
            _login(engine, narrow, name, "wrong password!", "192.0.2.9")
    with pytest.raises(TooManyAttemptsError):
        _login(engine, narrow, "ana", PASSWORD, "192.0.2.9")
    assert _login(engine, narrow, "ana", PASSWORD, "192.0.2.10").username == "ana"


def test_the_right_password_clears_the_count_for_that_client(engine, settings, ana):
    for _ in range(settings.login_max_failures - 1):
        with pytest.raises(AuthenticationError):
            _login(engine, settings, "ana", "wrong password!", "10.1.1.1")
    assert _login(engine, settings, "ana", PASSWORD, "10.1.1.1").username == "ana"
    with pytest.raises(AuthenticationError) as again:
        _login(engine, settings, "ana", "wrong password!", "10.1.1.1")
    assert not isinstance(again.value, TooManyAttemptsError)


def test_disabled_user_cannot_sign_in_or_use_tokens(engine, settings, admin, ana):
    with session_scope(engine) as s:
        _, raw = create_token(s, settings, ana, name="laptop")
    with session_scope(engine) as s:
        set_active(s, admin, "ana", False)
    with pytest.raises(AuthenticationError, match="disabled"):
        _login(engine, settings, "ana", PASSWORD)
    with session_scope(engine) as s, pytest.raises(AuthenticationError, match="disabled"):
        authenticate_token(s, raw)


def test_weak_passwords_and_bad_usernames_are_refused(engine, settings, admin):
    with session_scope(engine) as s:
        with pytest.raises(ValidationError, match="at least 10 characters"):
            create_user(s, settings, admin, "bob", ["analyst"], password="short")
        with pytest.raises(ValidationError, match="Unknown role"):
            create_user(s, settings, admin, "bob", ["wizard"], password=PASSWORD)
        with pytest.raises(ValidationError, match="username"):
            create_user(s, settings, admin, "bob smith", ["analyst"], password=PASSWORD)
        create_user(s, settings, admin, "bob", ["analyst"], password=PASSWORD)
        with pytest.raises(ConflictError):
            create_user(s, settings, admin, "bob", ["analyst"], password=PASSWORD)


def test_only_admins_manage_users_but_everyone_changes_their_own_password(engine, settings, ana):
    with session_scope(engine) as s:
        with pytest.raises(PermissionDeniedError):
            create_user(s, settings, ana, "eve", ["admin"], password=PASSWORD)
        with pytest.raises(PermissionDeniedError):
            set_password(s, settings, ana, "root", "a new password here")
        set_password(s, settings, ana, "ana", "a new password here")
    assert _login(engine, settings, "ana", "a new password here").username == "ana"


def test_tokens_are_shown_once_stored_hashed_and_expire_or_revoke(engine, settings, ana):
    with session_scope(engine) as s:
        record, raw = create_token(s, settings, ana, name="ci", days=1)
    assert raw.startswith("acv_") and len(raw) == 47
    with session_scope(engine) as s:
        row = s.get(ApiToken, record.id)
        assert raw not in (row.token_sha256, row.prefix) and row.prefix == raw[:12]
        assert authenticate_token(s, raw).username == "ana"
    for bad, match in [(None, "No API token"), ("", "No API token"), ("Bearer x", "not an AutoML Canvas API token"),
                       ("acv_" + "x" * 43, "Unknown API token")]:
        with session_scope(engine) as s, pytest.raises(AuthenticationError, match=match):
            authenticate_token(s, bad)
    with session_scope(engine) as s:
        s.execute(sa.update(ApiToken).where(ApiToken.id == record.id).values(expires_at=utcnow() - timedelta(minutes=1)))
    with session_scope(engine) as s, pytest.raises(AuthenticationError, match="expired"):
        authenticate_token(s, raw)
    with session_scope(engine) as s:
        record2, raw2 = create_token(s, settings, ana, name="ci-2")
        revoke_token(s, ana, record2.id)
    with session_scope(engine) as s, pytest.raises(AuthenticationError, match="revoked"):
        authenticate_token(s, raw2)
    with session_scope(engine) as s:
        assert [t.name for t in list_tokens(s, ana)] == ["ci", "ci-2"]
        with pytest.raises(ValidationError, match="between 1 and"):
            create_token(s, settings, ana, name="forever", days=10_000)


def test_tokens_for_service_accounts_need_an_admin(engine, settings, admin, ana):
    with session_scope(engine) as s:
        ensure_user(s, "deploy-bot", ("deployer",))
        with pytest.raises(PermissionDeniedError):
            create_token(s, settings, ana, name="steal", username="deploy-bot")
        _, raw = create_token(s, settings, admin, name="pipeline", username="deploy-bot")
        assert authenticate_token(s, raw).username == "deploy-bot"


def test_init_admin_and_demo_users(engine, settings):
    with session_scope(engine) as s:
        generated = ensure_admin(s, settings)
        assert generated and len(generated) >= 16
        assert ensure_admin(s, settings) is None  # only once
        created = seed_demo_users(s, settings.model_copy(update={"demo_password": "demo password 123"}))
        assert set(created) == {"ana", "sam", "sky", "dee", "max"}
        assert seed_demo_users(s, settings) == {}
    assert _login(engine, settings, "admin", generated).role_set == {"admin"}
    assert _login(engine, settings, "dee", "demo password 123").role_set == {"deployer"}
