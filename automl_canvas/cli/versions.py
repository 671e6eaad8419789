"""`automl-canvas models | cutoff | predict | reproduce`: model versions — list
them, choose a yes/no model's operating point, score a file, refit a recipe.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..errors import CanvasError
from ._common import State, friendly
from .data import resolve_project_id

__all__ = ["cutoff", "models", "predict", "reproduce"]


@click.command()
@click.option("--project", default=None)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@friendly
def models(state: State, project: str | None, as_json: bool) -> None:
    """List model versions."""
    from ..db import session_scope
    from ..registry.service import list_versions

    actor = state.actor()
    pid = resolve_project_id(state, actor, project) if project else None
    with session_scope(state.engine) as s:
        versions = list_versions(s, actor, project_id=pid)
    if as_json:
        click.echo(json.dumps([v.model_dump(mode="json", exclude={"leaderboard", "feature_schema"}) for v in versions]))
        return
    for v in versions:
        click.echo(f"{v.id:>5}  v{v.version:<3} {v.task:<10} {v.target:<20} {v.metric} {v.holdout_score:.4f}  {v.best_learner:<14} {v.status}  {v.artifact_sha256[:12]}")


@click.command("cutoff")
@click.argument("version_id", type=int)
@click.option("--mode", type=click.Choice(["balance", "recall", "top_share", "cost"]), default=None,
              help="balance the two mistakes; catch at least N in 100 'yes' cases (recall); flag the riskiest N % "
                   "(top_share); least cost from the project's business inputs (cost). Without it: show the current one.")
@click.option("--value", type=float, default=None, help="N for recall and top_share.")
@click.option("--preview", is_flag=True, help="Show what the choice would do without saving it.")
@click.pass_obj
@friendly
def cutoff(state: State, version_id: int, mode: str | None, value: float | None, preview: bool) -> None:
    """Show or choose a yes/no model's operating point (the cut-off every prediction uses)."""
    from ..db import session_scope
    from ..registry.operating_point import preview_operating_point, set_operating_point
    from ..registry.service import get_version

    actor = state.actor()
    with session_scope(state.engine) as s:
        if mode is None:
            point = get_version(s, actor, version_id).operating_point
        elif preview:
            point = preview_operating_point(s, actor, version_id, mode, value)
        else:
            point = set_operating_point(s, actor, version_id, mode, value).operating_point
    click.echo(point["sentence"] if point else f"Version {version_id} is not a yes/no model: it has no cut-off.")


@click.command()
@click.argument("version_id", type=int)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write: .parquet, .xlsx, or CSV for any other name.")
@click.option("--raw", is_flag=True, help="CSV/Excel: keep text cells that start with =, +, -, @ as they are "
              "(by default they get a leading ' so a spreadsheet does not run them as formulas).")
@click.pass_obj
@friendly
def predict(state: State, version_id: int, file: Path, output: Path, raw: bool) -> None:
    """Score FILE with a model version and write it back with prediction columns."""
    if not file.exists():
        raise CanvasError(f"The file {file} does not exist.")
    from ..exports import write_table
    from ..registry.service import predict_file

    out = predict_file(state.engine, state.settings, state.actor(), version_id, file)
    write_table(out, output, raw=raw)
    click.echo(f"wrote {len(out)} predictions to {output}")


@click.command()
@click.argument("version_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@friendly
def reproduce(state: State, version_id: int, as_json: bool) -> None:
    """Refit a version from its recipe and report the holdout metric difference."""
    from ..registry.service import reproduce_version

    r = reproduce_version(state.engine, state.settings, state.actor(), version_id)
    if as_json:
        click.echo(json.dumps(r))
        return
    click.echo(
        f"version {version_id}: recorded {r['metric']} {r['recorded_holdout_score']:.6f}, "
        f"reproduced {r['reproduced_holdout_score']:.6f} (difference {r['difference']:+.2e})"
    )
