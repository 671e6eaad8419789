"""Throttles for guessing: failed sign-ins and bad API tokens, counted per client.

Sign-in failures are counted per (client address, username) and per client
address alone, never per account: a guesser elsewhere cannot lock a person
out, and the answer is the same whether the username exists or not.  Bad API
tokens are counted per client address.  The counting is the maintained
``limits`` library (moving windows, in-memory storage), so each process keeps
its own counters: with N API processes or app servers a client gets up to N
times the budget, and a restart forgets them (documented in docs/governance.md).
"""

from __future__ import annotations

import math
import threading
import time

from limits import RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from ..config import Settings

__all__ = ["Throttle", "default_throttle"]

#: Usernames are compared as typed but case-folded and cut, so "Ana", "ana " and a 10 kB name count together.
_NAME_CHARS = 64


def _name(username: str | None) -> str:
    return (username or "").strip().casefold()[:_NAME_CHARS]


def _client(client: str | None) -> str:
    return (client or "unknown")[:100]


class Throttle:
    """One process's counters. ``login_*`` for the password sign-in, ``token_*`` for bearer tokens."""

    def __init__(self) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    # ------------------------------------------------------------------ sign-in
    @staticmethod
    def _login_limits(settings: Settings):
        window = settings.login_lock_seconds
        return (RateLimitItemPerSecond(settings.login_max_failures, window, namespace="login-pair"),
                RateLimitItemPerSecond(settings.login_client_max_failures, window, namespace="login-client"))

    def login_wait(self, settings: Settings, client: str | None, username: str | None) -> int:
        """Seconds this (client, username) must wait before another try is even checked; 0: go ahead."""
        pair, per_client = self._login_limits(settings)
        ids_pair, ids_client = (_client(client), _name(username)), (_client(client),)
        waits = [self._wait(pair, ids_pair), self._wait(per_client, ids_client)]
        return max(waits)

    def login_failed(self, settings: Settings, client: str | None, username: str | None) -> None:
        pair, per_client = self._login_limits(settings)
        self._limiter.hit(pair, _client(client), _name(username))
        self._limiter.hit(per_client, _client(client))

    def login_succeeded(self, settings: Settings, client: str | None, username: str | None) -> None:
        """The right password from this client clears its count for this name (not the client's total)."""
        pair, _ = self._login_limits(settings)
        self._limiter.clear(pair, _client(client), _name(username))

    def first_refusal(self, settings: Settings, client: str | None, username: str | None) -> bool:
        """True once per window for a throttled pair: only that refusal is audited, so a script hammering a
        throttled sign-in cannot flood the audit log."""
        once = RateLimitItemPerSecond(1, settings.login_lock_seconds, namespace="login-refused")
        return self._limiter.hit(once, _client(client), _name(username))

    # ------------------------------------------------------------------ API tokens
    @staticmethod
    def _token_limit(settings: Settings):
        return RateLimitItemPerMinute(settings.bad_token_max_per_minute, namespace="bad-token")

    def token_wait(self, settings: Settings, client: str | None) -> int:
        return self._wait(self._token_limit(settings), (_client(client),))

    def token_failed(self, settings: Settings, client: str | None) -> None:
        self._limiter.hit(self._token_limit(settings), _client(client))

    # ------------------------------------------------------------------
    def _wait(self, item, ids: tuple[str, ...]) -> int:
        if self._limiter.test(item, *ids):
            return 0
        reset = self._limiter.get_window_stats(item, *ids).reset_time
        return max(1, math.ceil(reset - time.time()))


_BY_WORLD: dict[tuple[str, str], Throttle] = {}
_LOCK = threading.Lock()
#: Worlds (home + database) one process keeps counters for; a server has one, a test run has many.
_MAX_WORLDS = 64


def default_throttle(settings: Settings) -> Throttle:
    """The process's throttle for the world ``settings`` describe (its home and database), shared by every
    sign-in and token check that does not bring its own; two worlds in one process never share counts."""
    # the override, not ``database_url``: that one resolves a path on every call, and this runs on every request
    key = (str(settings.home), settings.database_url_override)
    with _LOCK:
        found = _BY_WORLD.get(key)
        if found is None:
            if len(_BY_WORLD) >= _MAX_WORLDS:
                _BY_WORLD.pop(next(iter(_BY_WORLD)))
            found = _BY_WORLD[key] = Throttle()
        return found
