"""`automl-canvas jobs | cancel`: the queue as the acting user may see it, and
stopping a job.

Listing needs only the database: no ML library is imported on this path.
"""

from __future__ import annotations

import json

import click

from ._common import State, friendly

__all__ = ["cancel", "jobs"]


def _age(seconds) -> str:
    if seconds is None:
        return "-"
    return f"{seconds:.0f}s" if seconds < 120 else (f"{seconds / 60:.0f}m" if seconds < 7200 else f"{seconds / 3600:.1f}h")


def _echo_queue(view: dict) -> None:
    """The admin queue view: running jobs (worker, ages), then queued jobs in the order workers will claim them."""
    click.echo(f"running ({len(view['running'])}):")
    for r in view["running"]:
        click.echo(f"{r['id']:>5}  {r['kind']:<11} {r['worker'] or '-':<40} age {_age(r['age_seconds']):>5}  "
                   f"beat {_age(r['heartbeat_age_seconds']):>4} ago  attempt {r['attempt']}  {r['stage']}")
    click.echo(f"queued ({len(view['queued'])}):")
    for q in view["queued"]:
        click.echo(f"{q['id']:>5}  {q['kind']:<11} #{q['position']:<3} waiting {_age(q['waiting_seconds']):>5}  "
                   f"priority {q['priority']}  {q['message']}")


@click.command()
@click.option("--status", default=None)
@click.option("--all", "show_all", is_flag=True, help="Admins: the whole queue, running jobs with their workers and ages, "
              "queued jobs with their position.")
@click.option("--json", "as_json", is_flag=True, help="With --all: print the queue view as JSON.")
@click.pass_obj
@friendly
def jobs(state: State, status: str | None, show_all: bool, as_json: bool) -> None:
    """List recent jobs."""
    from ..db import session_scope
    from ..jobs.service import list_jobs_for, queue_overview_for

    actor = state.actor()
    with session_scope(state.engine) as s:
        if show_all:
            view = queue_overview_for(s, actor)
            click.echo(json.dumps(view, indent=2)) if as_json else _echo_queue(view)
            return
        for j in list_jobs_for(s, actor, status=status):
            err = j.error.get("message", "") if j.error else ""
            click.echo(f"{j.id:>5}  {j.kind:<10} {j.status:<10} {j.progress.get('stage', ''):<28} {err}")


@click.command()
@click.argument("job_id", type=int)
@click.pass_obj
@friendly
def cancel(state: State, job_id: int) -> None:
    """Cancel a queued or running job."""
    from ..db import session_scope
    from ..jobs.service import cancel_job

    actor = state.actor()
    with session_scope(state.engine) as s:
        job = cancel_job(s, actor, job_id)
    click.echo(f"job {job_id}: cancel requested ({job.status})")
