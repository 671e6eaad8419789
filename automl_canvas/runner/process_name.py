"""A job process's name, as ``ps -o comm``, ``top`` and ``/proc/PID/comm`` show it (standard library only).

``canvas-warming`` (a warm process importing), ``canvas-idle`` (imported, waiting for its job),
``canvas-job-ID`` (running job ID): an operator sees at a glance which processes hold jobs, and the
benchmarks tell a waiting process from a busy one.
"""

from __future__ import annotations

import ctypes
import sys

__all__ = ["name_process"]

#: linux/prctl.h
PR_SET_NAME = 15


def name_process(name: str) -> None:
    """Set this process's name (15 bytes at most); a no-op off Linux."""
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL(None).prctl(PR_SET_NAME, ctypes.c_char_p(name.encode()[:15]), 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - no libc prctl
        pass
