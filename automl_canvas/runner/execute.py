"""Running one claimed job in this process: the handler, the fenced outcome, the job process's set-up.

Apart from the worker loop (``worker.py``) so the job's process (``child.py``) can load it without the
loop, and the loop can run a job inline without a child.  A warm job process (``warm.py``) runs
:func:`child_process_main` too: the same set-up, then its imports, then it waits for its job.
"""

from __future__ import annotations

import importlib
import logging
import traceback

from sqlalchemy.engine import Engine

from ..config import Settings
from ..db import make_engine
from ..errors import CanvasError
from ..jobs import queue
from ..jobs.context import JobContext
from ..models import JobPublic, JobStatus
from ..training.anytime import install_wrap_up_handler
from .handlers import resolve_handler
from .process_name import name_process

__all__ = ["child_process_main", "run_job_inline", "warm_up"]

log = logging.getLogger("automl_canvas.worker")

def _error_dict(exc: BaseException) -> dict:
    if isinstance(exc, CanvasError):
        return exc.to_dict()
    return {
        "code": "internal_error",
        "message": f"The job failed unexpectedly ({type(exc).__name__}: {str(exc)[:300]}). "
        "The details are in the worker log.",
    }


def run_job_inline(settings: Settings, engine: Engine, job: JobPublic, worker_id: str | None, on_ready=None) -> None:
    """Run a claimed job in this process and record its outcome.

    Handlers finish their job themselves (``ctx.write``/``ctx.succeed``) when they must commit the
    outcome atomically with their own rows; otherwise the returned dict is the result, recorded
    through the same fence.  ``on_ready`` is called once the handler is loaded (the worker's clock starts).
    """
    from threadpoolctl import threadpool_limits

    ctx = JobContext(job=job, settings=settings, engine=engine, worker_id=worker_id)
    try:
        handler = resolve_handler(job.kind)
        if on_ready is not None:
            on_ready()
        # Native thread pools (OpenMP in HistGradientBoosting and LightGBM, BLAS) held to n_jobs: on a busy
        # machine unbounded pools spin against each other and a seconds-long fit takes minutes. A job's child
        # process also gets the thread variables before any library loads (child.limit_threads); this covers the
        # libraries already loaded, and jobs run inline.
        with threadpool_limits(settings.n_jobs if settings.n_jobs > 0 else None):
            result = handler(ctx)
        if result is not None:
            with ctx.write() as s:
                ctx.succeed(s, result)
    except queue.LeaseLost:
        log.warning("job %s was taken over by another worker; this attempt's results were discarded", job.id)
    except BaseException as exc:
        if not isinstance(exc, CanvasError):
            log.error("job %s failed:\n%s", job.id, traceback.format_exc())
        queue.finish(engine, job.id, worker_id, JobStatus.failed, error=_error_dict(exc), token=job.lease_token)
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise


def warm_up(modules: tuple[str, ...] | list[str], stop=None) -> list[str]:
    """Import ``modules`` in order (a warm job process, before its job); returns those that failed to import.

    ``stop()`` is asked before each module: once it is true (the job has come) the rest is left to the job,
    which imports what it needs itself, so a job that comes early does not wait for imports it may not
    need.  A module that fails to import is logged and skipped: the job that needs it imports it again and
    fails with the real error, in its own process, instead of this process dying before it had a job.
    """
    failed = []
    for name in modules:
        if stop is not None and stop():
            break
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - see the docstring
            log.warning("warm job process: could not import %s in advance (%s: %s)", name, type(exc).__name__, exc)
            failed.append(name)
    return failed


def child_process_main(settings_args: dict, job: dict | None, worker_id: str, parent_pid: int, ready=None,
                       jobs=None, preload: tuple[str, ...] | list[str] = ()) -> None:
    """The job's process after ``child.child_main`` tied it to the worker and muted the stop signals.

    ``job`` None: a warm process (``warm.py``).  The thread policy was set by ``child_main`` before this
    module loaded (``child.limit_threads``); the warm process builds its engine (no connection yet), imports
    ``preload`` until its job comes, and waits on ``jobs`` for its one job.
    """
    install_wrap_up_handler()  # the worker's "wrap up now" at the hard limit (training/anytime.py)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings(**settings_args)
    engine = make_engine(settings)
    if job is None:
        # threadpoolctl: run_job_inline's limits. Stop importing as soon as the job is in the pipe (or the pipe
        # closed): poll(0) does not block.
        warm_up(("threadpoolctl", *preload), stop=lambda: jobs.poll(0))
        if not jobs.poll(0):
            name_process("canvas-idle")
        try:
            job = jobs.recv()  # blocks in the kernel: an idle warm process uses no CPU
        except (EOFError, OSError):  # the worker closed the pipe (it stopped, or replaced this process) or died
            engine.dispose()
            return
        finally:
            jobs.close()
        name_process(f"canvas-job-{job['id']}")
    # Ready (the worker's clock starts) once the handler is loaded; the wrap-up handler is installed by then.
    run_job_inline(settings, engine, JobPublic.model_validate(job), worker_id, on_ready=ready.set if ready else None)
    engine.dispose()
