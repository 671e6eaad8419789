"""The "wrap up now" request a training job can receive, and how the work hears it.

Why: a job that reaches its hard limit used to be killed with every model it had
found thrown away.  Now the worker first *asks* the job to wrap up (SIGUSR1 to the
job's process); the training engine checks between phases and inside the FLAML
search, and ends with the best model it has (marked as such), well before the
worker's grace period runs out and it kills the process.

This module imports nothing heavy: the job process installs the signal handler
before the ML libraries load.
"""

from __future__ import annotations

import signal
import threading

__all__ = ["WRAP_UP_SIGNAL", "WrapUp", "install_wrap_up_handler", "request_wrap_up", "reset_wrap_up", "wrap_up_requested"]

WRAP_UP_SIGNAL = signal.SIGUSR1
_REQUESTED = threading.Event()


class WrapUp(Exception):
    """Raised inside the search to stop it at the next trial boundary."""


def request_wrap_up(*_args) -> None:
    """Ask the running work to finish with what it has (a signal handler, or a direct call in tests)."""
    _REQUESTED.set()


def wrap_up_requested() -> bool:
    return _REQUESTED.is_set()


def reset_wrap_up() -> None:
    _REQUESTED.clear()


def install_wrap_up_handler() -> None:
    signal.signal(WRAP_UP_SIGNAL, request_wrap_up)
