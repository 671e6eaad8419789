"""A background thread that runs one function every few seconds until closed.

Worker-side loops (webhook delivery, the monitoring schedule) and the API's prediction-log
writer all need the same thing: run a round, wait, repeat; a failing round is logged and the
next one tries again, so one bad round never kills the thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

__all__ = ["Periodic"]

log = logging.getLogger(__name__)


class Periodic:
    """Call ``fn()`` every ``interval`` seconds in a daemon thread named ``name``; ``close()`` stops and joins it."""

    def __init__(self, name: str, interval: float, fn: Callable[[], object], join_timeout: float = 10.0):
        self.name, self.interval, self.fn, self.join_timeout = name, interval, fn, join_timeout
        self.stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _loop(self) -> None:
        while not self.stop.wait(self.interval):
            try:
                self.fn()
            except Exception:  # the next round tries again
                log.exception("%s round failed", self.name)

    def start(self) -> Periodic:
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()
        return self

    @property
    def started(self) -> bool:
        return self._thread is not None

    def close(self) -> None:
        self.stop.set()
        if self._thread is not None:
            self._thread.join(self.join_timeout)
