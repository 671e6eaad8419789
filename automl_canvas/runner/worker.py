"""Workers: claim a job, run it in a child process, keep its lease alive.

The child process is what makes the service robust: FLAML, LightGBM or SHAP
may exhaust memory, segfault or overrun their budget; that kills one job, not
the worker.  The parent heartbeats, honours cancel requests, enforces the hard
wall-clock limit and records why a child ended if the child could not.

Many workers (on many machines) share one queue; a worker must outlive a
database that restarts or a network that blips, so a failed claim or heartbeat
is logged and retried instead of ending the worker.

Issue 18's rules live here and in ``child.py``:

- **Fencing.** A heartbeat that finds the job no longer carries this attempt's
  token (another worker reclaimed it while this one was paused) kills the child
  at once; whatever the child still tries to write is refused in the database
  (``queue.hold``), so a job has one result whoever ran it.
- **Stop signals.** SIGTERM or SIGINT, to the worker alone or to its whole
  process group (systemd, ``docker stop``, Ctrl-C), stops the child and hands the
  job back: ``queued``, no owner, the attempt not counted.  The child ignores the
  signals from birth; a second signal ends the worker at once.
- **The clock starts when the child is ready** (imports done, the handler
  loaded): a busy machine's start-up time is not the job's.  At the limit the
  job is asked to wrap up and is killed only after the wrap-up grace.
- **Lanes.** A worker may claim only some kinds (``kinds``); ``up`` runs one
  such short-lane worker beside the general ones (``lanes.py``).
- **Warm job processes.** A long-running worker keeps one job process started
  and imported before the claim, and hands it the job it claims; each process
  still runs one job only (``warm.py`` says why).  ``run(once=True)`` and
  ``job_warm_children=False`` start the job's process after the claim.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import os
import signal
import socket
import threading
import time
import uuid

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..config import Settings
from ..db import make_engine
from ..jobs import queue
from ..models import JobPublic, JobStatus
from ..training.anytime import WRAP_UP_SIGNAL
from .child import STOP_SIGNALS, child_main
from .handlers import HANDLERS, preload_modules
from .warm import WarmChild

__all__ = ["Worker", "new_worker_id"]

log = logging.getLogger("automl_canvas.worker")


def new_worker_id(lane: str | None = None) -> str:
    """``host:pid:random``; a lane's worker says its lane (``host:pid:short-random``) in the admin queue view."""
    tag = f"{lane}-" if lane else ""
    return f"{socket.gethostname()}:{os.getpid()}:{tag}{uuid.uuid4().hex[:6]}"


def _settings_args(settings: Settings) -> dict:
    return settings.model_dump(exclude={"database_url", "artifact_dir"})


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "it did not stop"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = " (often: out of memory)" if -code == signal.SIGKILL else ""
        return f"it was killed by {name}{hint}"
    return f"it exited with code {code}"


class Worker:
    """One worker loop. ``run()`` returns when ``stop`` is set (or after one job with ``once``).

    ``kinds``: claim only jobs of these kinds (a lane, see ``lanes.py``); None claims every kind.
    ``services``: also run the webhook dispatcher and the monitoring scheduler (one set per general worker;
    a lane's worker leaves them to the general workers).
    """

    def __init__(self, settings: Settings, worker_id: str | None = None, engine: Engine | None = None,
                 kinds: list[str] | None = None, lane: str | None = None, services: bool = True):
        self.settings = settings
        self.kinds = list(kinds) if kinds else None
        self.services = services
        self.worker_id = worker_id or new_worker_id(lane)
        self.engine = engine or make_engine(settings)
        self.stop = threading.Event()
        self._ctx = mp.get_context("spawn")
        #: the job process waiting for this worker's next job (warm.py), while warming is on
        self.warm: WarmChild | None = None
        self._warming = False
        self._warm_deaths = 0

    def run(self, once: bool = False, idle_exit_seconds: float | None = None) -> int:
        """Process jobs until stopped; returns how many jobs this worker ran.

        ``once``: run at most one job and return at once when none is queued.
        """
        # A long-running worker also sends webhooks (a thread beside the job loop, never inside a request).
        dispatcher = None
        if not once and self.services and self.settings.webhook_poll_seconds > 0:
            from ..webhooks import Dispatcher

            dispatcher = Dispatcher(self.engine, self.settings).start()
        # ... and queues the scheduled monitoring checks of deployed versions.
        scheduler = None
        if not once and self.services and self.settings.monitoring_interval_seconds > 0:
            from ..monitoring.service import Scheduler

            scheduler = Scheduler(self.engine, self.settings).start()
        try:
            return self._loop(once, idle_exit_seconds)
        finally:
            for thread in (dispatcher, scheduler):
                if thread is not None:
                    thread.close()

    def _loop(self, once: bool, idle_exit_seconds: float | None) -> int:
        # A one-job run starts its job's process after the claim: a warm one would outlive the run unused.
        self._warming = self.settings.job_warm_children and not once
        try:
            return self._claim_and_run(once, idle_exit_seconds)
        finally:
            self._dismiss_warm()

    def _claim_and_run(self, once: bool, idle_exit_seconds: float | None) -> int:
        ran = 0
        idle_since = time.monotonic()
        failures = 0
        while not self.stop.is_set():
            self._keep_warm()
            try:
                job = queue.claim_next(self.engine, self.worker_id, self.settings.job_lease_seconds, self.kinds)
                failures = 0
            except sa.exc.DBAPIError as exc:
                failures += 1
                pause = min(30.0, self.settings.job_poll_seconds * 2**failures)
                log.warning("worker %s could not reach the queue (%s); retrying in %.1f s",
                            self.worker_id, str(exc).splitlines()[0][:200], pause)
                self.stop.wait(pause)
                continue
            if job is None:
                if once:
                    break
                if idle_exit_seconds is not None and time.monotonic() - idle_since > idle_exit_seconds:
                    break
                self.stop.wait(self.settings.job_poll_seconds)
                continue
            log.info("worker %s runs job %s (%s, attempt %s)", self.worker_id, job.id, job.kind, job.attempts)
            self.supervise(job)
            ran += 1
            idle_since = time.monotonic()
            if once:
                break
        return ran

    #: A child that is not ready after this long (a hung import) is timed from here on instead.
    STARTUP_ALLOWANCE_SECONDS = 300.0

    def install_stop_signals(self) -> None:
        """SIGTERM/SIGINT: stop, handing the running job back; a second one ends this process at once."""

        def on_signal(signum, _frame):
            if self.stop.is_set():
                log.warning("worker %s: second %s, exiting now", self.worker_id, signal.Signals(signum).name)
                os._exit(128 + signum)
            log.info("worker %s: %s, handing the job back and stopping", self.worker_id, signal.Signals(signum).name)
            self.stop.set()

        for sig in STOP_SIGNALS:
            signal.signal(sig, on_signal)

    def _start(self, proc) -> None:
        """Start a job's process with the stop signals ignored from its first instruction (inherited through exec)."""
        if threading.current_thread() is not threading.main_thread():  # signal dispositions: main thread only
            proc.start()
            return
        saved = {sig: signal.signal(sig, signal.SIG_IGN) for sig in STOP_SIGNALS}
        try:
            proc.start()
        finally:
            for sig, handler in saved.items():
                signal.signal(sig, handler)

    def _spawn(self, job: JobPublic, ready):
        """A job's process started after the claim (a cold start: it imports, then runs ``job``)."""
        proc = self._ctx.Process(
            target=child_main,
            args=(_settings_args(self.settings), job.model_dump(mode="json"), self.worker_id, os.getpid(), ready),
            name=f"canvas-job-{job.id}",
            daemon=False,
        )
        self._start(proc)
        return proc

    def _spawn_warm(self) -> WarmChild:
        """A job process for the next job: it imports what this worker's kinds need, then waits on a pipe."""
        ready = self._ctx.Event()
        reader, writer = self._ctx.Pipe(duplex=False)
        settings_args = _settings_args(self.settings)
        preload = preload_modules(self.kinds or list(HANDLERS))
        proc = self._ctx.Process(
            target=child_main,
            args=(settings_args, None, self.worker_id, os.getpid(), ready, reader, preload),
            name="canvas-warm-job",
            daemon=False,
        )
        try:
            self._start(proc)
        finally:
            reader.close()  # the child has its own copy; without ours, a send to a dead child fails at once
        return WarmChild(proc=proc, ready=ready, pipe=writer, settings_args=settings_args)

    def _keep_warm(self) -> None:
        """Have a warm job process waiting (warming on): start one if there is none or the last one died unused."""
        if not self._warming or self.stop.is_set():
            return
        if self.warm is not None:
            if self.warm.alive():
                return
            how = _describe_exit(self.warm.proc.exitcode)
            self.warm.dismiss()
            self.warm = None
            self._warm_deaths += 1
            if self._warm_deaths >= 3:
                log.warning("worker %s: %d waiting job processes in a row ended before they got a job (the last: %s); "
                            "from now on each job's process is started after its claim", self.worker_id,
                            self._warm_deaths, how)
                self._warming = False
                return
            log.warning("worker %s: its waiting job process ended before it got a job (%s); starting another",
                        self.worker_id, how)
        try:
            self.warm = self._spawn_warm()
        except OSError as exc:  # out of processes or memory: the job's process is then started after the claim
            log.warning("worker %s could not start a waiting job process: %s", self.worker_id, exc)

    def _dismiss_warm(self) -> None:
        if self.warm is not None:
            self.warm.dismiss()
            self.warm = None

    def _child_for(self, job: JobPublic):
        """The process that runs ``job``, with its ready event: the warm one if it can take it, else a fresh one."""
        warm, self.warm = self.warm, None
        if warm is not None:
            if warm.settings_args == _settings_args(self.settings) and warm.hand(job.model_dump(mode="json")):
                self._warm_deaths = 0
                log.info("worker %s handed job %s to its waiting process %s", self.worker_id, job.id, warm.pid)
                self._keep_warm()  # the next one imports in its own process while this job runs
                return warm.proc, warm.ready
            warm.dismiss()  # started under other settings, or dead, or it could not take the job
        ready = self._ctx.Event()
        proc = self._spawn(job, ready)
        self._keep_warm()
        return proc, ready

    def supervise(self, job: JobPublic) -> None:
        proc, ready = self._child_for(job)
        spawned = time.monotonic()
        ready_at: float | None = None
        wrap_up_asked: float | None = None
        outcome: tuple[JobStatus, dict] | None = None
        token = job.lease_token
        while proc.is_alive():
            proc.join(self.settings.job_heartbeat_seconds)
            if ready_at is None and ready.is_set():
                ready_at = time.monotonic()
            if not proc.is_alive():
                break
            if self.stop.is_set():
                self._hand_back(job, proc)
                return
            try:
                ours, cancel = queue.heartbeat(self.engine, job.id, self.worker_id, self.settings.job_lease_seconds, token)
            except sa.exc.DBAPIError as exc:  # keep the job running; the next beat tries again
                log.warning("worker %s missed a heartbeat for job %s: %s", self.worker_id, job.id, str(exc).splitlines()[0][:200])
                continue
            if not ours:
                # Finished by the child meanwhile (its commit is done), or reclaimed by another worker: either way
                # this attempt is over; a reclaimed job's child must not go on (its writes would be refused anyway).
                self._stop_child(proc)
                log.info("worker %s: job %s is no longer this attempt's; its process was stopped", self.worker_id, job.id)
                return
            started = ready_at if ready_at is not None else spawned + self.STARTUP_ALLOWANCE_SECONDS
            if cancel:
                outcome = (JobStatus.cancelled, {"code": "cancelled", "message": "Cancelled on request."})
            elif self._past_limit(job, started, ready, proc, wrap_up_asked):
                wrap_up_asked = wrap_up_asked or time.monotonic()
            elif self._past_grace(job, started, wrap_up_asked):
                outcome = (
                    JobStatus.failed,
                    {
                        "code": "time_limit",
                        "message": f"The job ran past its hard limit of {job.time_limit_seconds:.0f} s and did not finish "
                        f"within {self.settings.job_wrap_up_grace_seconds:.0f} s of being asked to wrap up, so it was stopped. "
                        "Try a smaller time budget or a smaller dataset.",
                    },
                )
            if outcome:
                self._stop_child(proc)
                break
        if outcome is None:
            if proc.exitcode == 0:
                # The child recorded the outcome itself; if it could not (lost lease), nothing to do.
                return
            if proc.exitcode is not None and -proc.exitcode in STOP_SIGNALS and self.stop.wait(2.0):
                # Killed by a stop signal sent to the group before it could ignore it: the worker is stopping too.
                self._hand_back(job, proc)
                return
            outcome = (
                JobStatus.failed,
                {
                    "code": "job_process_died",
                    "message": f"The process running this job ended unexpectedly: {_describe_exit(proc.exitcode)}.",
                },
            )
        status, err = outcome
        queue.finish(self.engine, job.id, self.worker_id, status, error=err, token=token)

    def _hand_back(self, job: JobPublic, proc) -> None:
        self._stop_child(proc)
        if queue.release(self.engine, job.id, self.worker_id, job.lease_token):
            log.info("worker %s stopping: job %s handed back to the queue", self.worker_id, job.id)

    def _past_limit(self, job: JobPublic, started: float, ready, proc, asked: float | None) -> bool:
        """At the hard limit, ask the job (once) to finish with what it has: a training job delivers its best model.

        ``started`` is when the child became ready.  Only a process whose handler is installed is asked
        (before that the signal would kill it).
        """
        if asked is not None or time.monotonic() - started <= job.time_limit_seconds or not ready.is_set():
            return False
        log.info("worker %s: job %s reached its limit of %.0f s; asking it to wrap up", self.worker_id, job.id,
                 job.time_limit_seconds)
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, WRAP_UP_SIGNAL)
        return True

    def _past_grace(self, job: JobPublic, started: float, asked: float | None) -> bool:
        """Killed only when it did not finish within the wrap-up grace (counted from the request, or from the limit)."""
        grace = self.settings.job_wrap_up_grace_seconds
        since = asked if asked is not None else started + job.time_limit_seconds
        return time.monotonic() - started > job.time_limit_seconds and time.monotonic() - since > grace

    @staticmethod
    def _stop_child(proc) -> None:
        """SIGKILL: the child ignores SIGTERM (stop signals are the worker's), and nothing it does now counts."""
        if proc.is_alive():
            proc.kill()
        proc.join(10)
