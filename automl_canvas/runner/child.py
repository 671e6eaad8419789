"""The first instructions of a job's process: die with the worker, ignore stop signals.

Why a module of its own with only the standard library at the top (and ``process_name``, which has only that too): a job's
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

A job's process may be started *warm*, before there is a job for it (``warm.py``):
it then ties itself to the worker, mutes the stop signals and sets the thread
policy exactly as above, imports the heavy stack, and waits for its one job on
a pipe.  Its name (``/proc/PID/comm``, what ``ps -o comm`` and ``top`` show) says
where it is: ``canvas-warming`` (importing), ``canvas-idle`` (ready, waiting),
``canvas-job-ID`` (running job ID).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

from ..threads import set_wait_policy
from .process_name import name_process

__all__ = ["THREAD_VARS", "child_main", "die_with_parent", "ignore_stop_signals", "limit_threads"]

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


#: Thread-pool variables read by OpenMP (LightGBM, scikit-learn's HistGradientBoosting) and BLAS at load time.
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def limit_threads(n_jobs: int) -> None:
    """Hold the job to ``n_jobs`` cores (AUTOML_CANVAS_N_JOBS), whatever library it calls.

    Several workers share a machine; a library that starts one thread per core
    in each job (HistGradientBoosting does, whatever ``n_jobs`` FLAML was given)
    oversubscribes it, and OpenMP threads that wait for each other on a busy
    machine run several times slower.

    Set here, before numpy or scikit-learn load, because that is when they are
    read: OpenMP (libgomp) reads ``OMP_NUM_THREADS`` and its wait policy once,
    as the library loads, and OpenBLAS its variable likewise.  threadpoolctl can
    lower a pool's size later (``run_job_inline`` does, as a second line) but
    cannot change the wait policy at all, so a warm process, which has loaded
    them long before its job, must have both from its first instruction.  That
    is possible because a worker's thread settings are the same for every job it
    runs (the short lane's worker is single-threaded for all of its jobs), and
    the worker never hands a warm process a job under other settings.
    """
    if n_jobs > 0:
        for var in THREAD_VARS:
            os.environ[var] = str(n_jobs)
    # Idle OpenMP threads spin briefly, then sleep (threads.py says why: neither burning the cores their
    # siblings wait for on a busy machine, nor paying a wake-up at every parallel region on a quiet one).
    set_wait_policy()


def child_main(settings_args: dict, job: dict | None, worker_id: str, parent_pid: int, ready=None,
               jobs=None, preload: tuple[str, ...] = ()) -> None:
    """Target of a job's process (``multiprocessing`` spawn).

    ``job`` None: a warm process (``warm.py``) that imports ``preload`` and then waits for its job on ``jobs``
    (the reading end of a pipe; end of file there means "not needed": it exits without running anything).
    """
    die_with_parent(parent_pid)
    ignore_stop_signals()
    limit_threads(int(settings_args.get("n_jobs", -1)))
    name_process("canvas-warming" if job is None else f"canvas-job-{job['id']}")
    from .execute import child_process_main  # after the lines above, before anything heavy

    child_process_main(settings_args, job, worker_id, parent_pid, ready, jobs, preload)
