"""`automl-canvas monitor ...`: check a deployed version, read its health, send outcomes, retrain.

For platform engineers' scripts and cron jobs; the same service functions as the API.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from ._common import State, friendly, wait_succeeded

__all__ = ["monitor"]


@click.group()
def monitor() -> None:
    """Monitoring of deployed versions: health, checks, true outcomes, retraining."""


@monitor.command("status")
@click.argument("version_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@friendly
def status(state: State, version_id: int, as_json: bool) -> None:
    """Health and the latest check of VERSION_ID."""
    from ..db import session_scope
    from ..monitoring.service import monitoring_overview

    with session_scope(state.engine) as s:
        out = monitoring_overview(s, state.actor(), version_id, limit=1)
    if as_json:
        click.echo(json.dumps(out))
        return
    h, log = out["health"], out["log"]
    click.echo(f"version {version_id}: {h['label']} - {h['sentence']}")
    click.echo(f"logged predictions {log['predictions']:,}, with a true outcome {log['with_outcome']:,}")
    if out["checks"]:
        c = out["checks"][0]
        drifted = [k for k, f in c["features"].items() if f["drifted"]]
        live = "n/a" if c["live_metric"] is None else f"{c['live_metric']:.4f}"
        click.echo(f"last check {c['checked_at']}: {c['status']}; drifted: {', '.join(drifted) or 'none'}; "
                   f"live {c['metric']} {live} vs holdout {c['holdout_metric']}")
        for f in c["findings"]:
            click.echo(f"  ! {f['message']}")


@monitor.command("check")
@click.argument("version_id", type=int)
@click.option("--local-worker/--no-local-worker", default=True, show_default=True,
              help="Run the check here if no worker is running.")
@click.pass_obj
@friendly
def check(state: State, version_id: int, local_worker: bool) -> None:
    """Check VERSION_ID now (drift per feature, prediction drift, live quality)."""
    from ..monitoring.service import submit_check

    job = submit_check(state.engine, state.settings, state.actor(), version_id)
    job = wait_succeeded(state, job.id, "monitoring check", quiet=True, local_worker=local_worker)
    click.echo(f"check {job.result['check_id']}: {job.result['status']}")
    for f in job.result["findings"]:
        click.echo(f"  ! {f['message']}")


@monitor.command("feedback")
@click.argument("version_id", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
@friendly
def feedback(state: State, version_id: int, file: Path) -> None:
    """Send true outcomes from FILE (columns request_id, actual or the target's name, optional row)."""
    from ..db import session_scope
    from ..monitoring.feedback import feedback_from_file

    with session_scope(state.engine) as s:
        out = feedback_from_file(s, state.settings, state.actor(), version_id, file)
    click.echo(out["message"])


@monitor.command("retrain")
@click.argument("version_id", type=int)
@click.option("--alert", "alert_id", type=int, default=None, help="The alert (event id) this answers.")
@click.option("--local-worker/--no-local-worker", default=True, show_default=True)
@click.pass_obj
@friendly
def retrain(state: State, version_id: int, alert_id: int | None, local_worker: bool) -> None:
    """Retrain VERSION_ID on its data plus the labelled feedback; the new version goes to review."""
    from ..monitoring.retrain import retrain_from_feedback

    out = retrain_from_feedback(state.engine, state.settings, state.actor(), version_id, alert_id)
    click.echo(f"training on {out['original_rows']:,} original + {out['feedback_rows']:,} labelled rows (job {out['job'].id})")
    job = wait_succeeded(state, out["job"].id, "retraining", quiet=False, local_worker=local_worker)
    c = job.result.get("comparison") or {}
    click.echo(f"\nversion {job.result['version_id']} is waiting for review; on the same holdout "
               f"{c.get('metric')}: new {c.get('new_version')} vs deployed {c.get('deployed_version')}")
