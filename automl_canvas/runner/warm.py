"""Warm job processes: started and imported before there is a job, then one job each.

Why (issue 18): a job's process was started after the claim, and before the
job could begin it started an interpreter and imported the stack its handler
needs (pandas, scikit-learn, SQLAlchemy, the project): 0.8 s on SQLite, 1.0 s
p50 and 1.7 s p95 on PostgreSQL on a 2-core machine (benchmarks/results/
jobs-2026-12-02.md), against a pickup target of 1 s p95.  A warm process pays
that before the claim: each worker slot keeps one process that has started,
imported and then waits on a pipe; a claimed job is sent down the pipe and
starts at once.  The next warm process is started right after the hand-off and
imports in its own process while the job runs.

**One job per process (what "reuse where it is safe" means here).** The process
that is reused is one that has run nothing yet: a warm process runs exactly one
job and exits, like a cold one.  Running successive jobs in one long-lived
process would also save the interpreter start, but the second job would inherit
whatever the first left behind: module-level caches (loaded models, SHAP and
numba state), threads a library started and never stopped, FLAML's and
LightGBM's global logger handlers, OpenMP and BLAS pools sized for another job,
a wrap-up request, a heap grown by a large dataset that is never returned to
the system, or an extension module left in a broken state by a crash it
survived.  A job's result would then depend on which job ran before it in the
same process, and the memory of one process would grow across jobs: the
failure the process-per-job design exists to contain (an out-of-memory kill
fails one job, not the next ones).  So nothing is carried from one job to the
next; what is saved is the start-up, moved off the critical path.

What a warm process keeps from the cold one (``child.py``, ``execute.py``, ``worker.py``):

- its first instructions tie it to its worker (``PR_SET_PDEATHSIG`` and a
  parent check) and ignore the stop signals, before any import; the pipe adds a
  third line: the worker's end closes when the worker dies and the waiting
  process reads end of file and exits;
- the thread policy (``OMP_NUM_THREADS`` and friends, ``threads.WAIT_POLICY``)
  is set before numpy or scikit-learn load, because OpenMP and OpenBLAS read it
  only then (``child.limit_threads``); a worker's thread settings are the same
  for every job it runs, and a warm process is handed a job only under the
  settings it was started with (else a fresh process is started for the job);
- the clock starts when the process is *ready*: it has received its job and
  loaded the handler (for a warm process that is immediate; one still importing
  when its job comes is timed from when it is done);
- fencing, cancel, the hard limit with its wrap-up request, and the graceful
  stop are the worker's, unchanged: the warm process is supervised exactly as a
  cold one from the hand-off on.

An idle warm process is blocked in ``read()`` on its pipe: it uses no CPU (the
parent-check thread wakes twice a second).  It holds its imports in memory
(about 150-250 MB resident for a general worker's).  When the worker stops it
closes the pipe and kills the waiting process.  A warm process that dies before
it gets a job (an operator, the out-of-memory killer) is replaced; three in a
row turn warming off for that worker, which then starts each job's process after
the claim as before (logged).

PR_SET_PDEATHSIG fires when the *thread* that started the process ends, not the
whole worker: warm processes are started by the worker's loop thread, which
dismisses them before it returns.

The switch: ``AUTOML_CANVAS_JOB_WARM_CHILDREN=false`` (``Settings.job_warm_children``).
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field
from typing import Any

__all__ = ["WarmChild"]


@dataclass
class WarmChild:
    """A started job process waiting for its job, and the worker's ends of it."""

    proc: Any  # multiprocessing's SpawnProcess
    #: set by the process once it has its job and its handler is loaded (the worker's clock starts)
    ready: Any
    #: the worker's (writing) end of the pipe the job is sent down
    pipe: Any
    #: the settings it was started with: it is handed only a job to run under the same ones
    settings_args: dict
    started: float = field(default_factory=time.monotonic)

    @property
    def pid(self) -> int | None:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.is_alive()

    def hand(self, job: dict) -> bool:
        """Send the job; False (and the process is killed) when it cannot take it.

        The write does not block: a job that does not fit the pipe's buffer while the process is still
        importing (or a process that died) leaves the job to a fresh process instead of stalling the worker.
        """
        if not self.alive():
            self.dismiss()
            return False
        try:
            os.set_blocking(self.pipe.fileno(), False)
            self.pipe.send(job)
        except OSError:  # BrokenPipeError (it died), BlockingIOError (the pipe is full)
            self.dismiss()
            return False
        with contextlib.suppress(OSError):
            self.pipe.close()
        return True

    def dismiss(self) -> None:
        """Not needed (the worker stops, or the process cannot take the job): close the pipe, kill, reap."""
        with contextlib.suppress(OSError):
            self.pipe.close()
        if self.proc.is_alive():
            self.proc.kill()  # it holds nothing: no job, no lease, no rows
        self.proc.join(10)
