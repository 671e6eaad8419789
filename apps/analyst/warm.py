"""Warm a version's model in this app process while the analyst reads Results (automl_canvas.evidence.warm_what_if).

Once per (version, artifact) per process, in a daemon thread, so the page never waits for it: a failure is
logged and changes nothing (the first what-if then simply pays its own start-up, as before).
"""

from __future__ import annotations

import logging
import threading

from automl_canvas.evidence.service import warm_what_if

__all__ = ["warm_in_background"]

log = logging.getLogger("automl_canvas.apps.warm")
_STARTED: dict[tuple[int, str], threading.Thread] = {}
_LOCK = threading.Lock()


def warm_in_background(world, actor, version) -> threading.Thread:
    """Start (or return the running/finished) warm-up of ``version`` for this process."""
    key = (version.id, version.artifact_sha256)
    with _LOCK:
        thread = _STARTED.get(key)
        if thread is None:
            thread = _STARTED[key] = threading.Thread(target=_warm, args=(world, actor, version.id),
                                                      name=f"canvas-warm-{version.id}", daemon=True)
            thread.start()
    return thread


def _warm(world, actor, version_id: int) -> None:
    try:
        warm_what_if(world.engine, world.settings, actor, version_id)
    except Exception as exc:  # noqa: BLE001 - a warm-up is an optimisation; the page works without it
        log.warning("warming version %s failed: %s: %s", version_id, type(exc).__name__, exc)
