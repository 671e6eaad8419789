"""Running one claimed job in this process: the handler, the fenced outcome, the job process's set-up.

Apart from the worker loop (``worker.py``) so the job's process (``child.py``) can load it without the
loop, and the loop can run a job inline without a child.
"""

from __future__ import annotations

import logging
import os
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

__all__ = ["child_process_main", "run_job_inline"]

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
        # process also gets the thread variables before any library loads (_limit_threads); this covers the
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


#: Thread-pool variables read by OpenMP (LightGBM, scikit-learn's HistGradientBoosting) and BLAS at load time.
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _limit_threads(n_jobs: int) -> None:
    """Hold the job to ``n_jobs`` cores (AUTOML_CANVAS_N_JOBS), whatever library it calls.

    Several workers share a machine; a library that starts one thread per core
    in each job (HistGradientBoosting does, whatever ``n_jobs`` FLAML was given)
    oversubscribes it, and OpenMP threads that wait for each other on a busy
    machine run several times slower.  Set before numpy or scikit-learn load.
    """
    if n_jobs > 0:
        for var in _THREAD_VARS:
            os.environ[var] = str(n_jobs)
    # Idle OpenMP threads sleep instead of spinning: on a loaded machine spinning threads made
    # HistGradientBoosting 80x slower (threads burn the cores their siblings wait for).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def child_process_main(settings_args: dict, job: dict, worker_id: str, parent_pid: int, ready=None) -> None:
    """The job's process after ``child.child_main`` tied it to the worker and muted the stop signals."""
    install_wrap_up_handler()  # the worker's "wrap up now" at the hard limit (training/anytime.py)
    _limit_threads(int(settings_args.get("n_jobs", -1)))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings(**settings_args)
    engine = make_engine(settings)
    # Ready (the worker's clock starts) once the handler is loaded; the wrap-up handler is installed by then.
    run_job_inline(settings, engine, JobPublic.model_validate(job), worker_id, on_ready=ready.set if ready else None)
    engine.dispose()
