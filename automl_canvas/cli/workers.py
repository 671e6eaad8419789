"""`automl-canvas worker`: claim and run jobs from the queue, and the worker
processes `automl-canvas up` starts (a general lane and the short-job lane).
"""

from __future__ import annotations

import click

from ._common import State, friendly

__all__ = ["short_lane_worker", "worker", "worker_process"]

_LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def short_lane_worker(settings, engine=None):
    """The short lane's worker (runner/lanes.py): short kinds only, single-threaded, lower CPU priority."""
    from ..runner.lanes import SHORT_KINDS, lower_priority, short_lane_settings
    from ..runner.worker import Worker

    lower_priority()
    return Worker(short_lane_settings(settings), engine=engine, kinds=list(SHORT_KINDS), lane="short", services=False)


def worker_process(short_lane: bool = False) -> None:
    """The target of a spawned worker process: run until SIGTERM/SIGINT."""
    import logging

    from ..config import get_settings
    from ..runner.worker import Worker

    logging.basicConfig(level=logging.INFO, format=_LOG_FORMAT)
    worker = short_lane_worker(get_settings()) if short_lane else Worker(get_settings())
    worker.install_stop_signals()  # SIGTERM/SIGINT hand the job back; a second one exits at once
    worker.run()


@click.command()
@click.option("--once", is_flag=True, help="Run at most one queued job, then exit (at once when none is queued).")
@click.option("--idle-exit", type=float, default=None, help="Exit after this many idle seconds.")
@click.option("--ray", "ray_address", default=None, metavar="ADDRESS",
              help="Run training searches' trials on this Ray cluster (host:port, 'auto' or 'local'); "
              "default: AUTOML_CANVAS_RAY_ADDRESS.")
@click.option("--kinds", default=None, metavar="KIND[,KIND...]",
              help="Claim only jobs of these kinds ('short' stands for evidence,reproduce,monitor); default: every kind.")
@click.option("--short-lane", is_flag=True,
              help="Be the short-job lane: short kinds only, single-threaded, lower CPU priority, no webhook/monitoring threads.")
@click.pass_obj
@friendly
def worker(state: State, once: bool, idle_exit: float | None, ray_address: str | None, kinds: str | None,
           short_lane: bool) -> None:
    """Claim and run jobs from the queue."""
    import logging

    from ..runner.lanes import parse_kinds
    from ..runner.worker import Worker

    if ray_address:
        state.settings = state.settings.model_copy(update={"ray_address": ray_address})

    logging.basicConfig(level=logging.INFO, format=_LOG_FORMAT)
    if short_lane:
        w = short_lane_worker(state.settings, engine=state.engine)
    else:
        w = Worker(state.settings, engine=state.engine, kinds=parse_kinds(kinds))
    w.install_stop_signals()  # SIGTERM/SIGINT hand the job back; a second one exits at once
    ran = w.run(once=once, idle_exit_seconds=idle_exit)
    click.echo(f"worker {w.worker_id} stopped after {ran} job(s)", err=True)
