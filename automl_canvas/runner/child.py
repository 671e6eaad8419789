"""The first instructions of a job's process: die with the worker, ignore stop signals.

Why a module of its own with only the standard library at the top: a job's
process must not outlive its worker (the job would be reclaimed and run twice),
and the earliest moment our code runs in a spawned process is when this module
is imported to find the process's target.  The heavy imports (the worker, the
database layer, the handlers) come after the parent-death signal is set, so a
worker killed while its child is still importing takes the child with it at once
instead of after the imports (issue 18, point 4).

Stop signals (SIGTERM, SIGINT) are the worker's to handle: systemd, ``docker
stop`` and Ctrl-C deliver them to the whole process group, and a child killed by
them made the job fail for good.  The child ignores them from birth (the worker
starts it with them ignored, ``Worker._spawn``) and keeps them ignored here; the
worker decides to hand the job back and stops the child itself (SIGKILL).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

__all__ = ["child_main", "die_with_parent", "ignore_stop_signals"]

#: linux/prctl.h
PR_SET_PDEATHSIG = 1
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _exit_with_parent(parent_pid: int) -> None:
    while True:
        time.sleep(0.5)
        if os.getppid() != parent_pid:
            os._exit(70)


def die_with_parent(parent_pid: int) -> str:
    """Make this process end when its worker does; returns how ("pdeathsig" or "polling").

    On Linux the kernel sends SIGKILL the moment the parent dies (``prctl(PR_SET_PDEATHSIG)``);
    elsewhere, and as a second line, a thread checks the parent id twice a second.
    """
    how = "polling"
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0:
                how = "pdeathsig"
        except (OSError, AttributeError):  # pragma: no cover - no libc prctl
            pass
    if os.getppid() != parent_pid:  # the worker died before we asked: nobody would tell us
        os._exit(70)
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True, name="exit-with-worker").start()
    return how


def ignore_stop_signals() -> None:
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)


def child_main(settings_args: dict, job: dict, worker_id: str, parent_pid: int, ready=None) -> None:
    """Target of a job's process (``multiprocessing`` spawn)."""
    die_with_parent(parent_pid)
    ignore_stop_signals()
    from .execute import child_process_main  # after the two lines above, before anything heavy

    child_process_main(settings_args, job, worker_id, parent_pid, ready)
