"""`automl-canvas ingest`: a table into a project, with its readiness report; and
how every command turns a project name and a file-or-dataset-id into ids.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..errors import CanvasError
from ._common import State, friendly

__all__ = ["ingest", "resolve_dataset_id", "resolve_project_id"]


def resolve_project_id(state: State, actor, name: str) -> int:
    """The id of the project called ``name`` (created when new)."""
    from ..db import session_scope
    from ..projects import get_or_create_project

    with session_scope(state.engine) as s:
        return get_or_create_project(s, actor, name).id


def resolve_dataset_id(state: State, actor, source: str, project: int) -> int:
    """An existing dataset id, or a file ingested into the project first."""
    if source.isdigit() and not Path(source).exists():
        return int(source)
    path = Path(source)
    if not path.exists():
        raise CanvasError(f"The file {source} does not exist (and it is not a dataset id).")
    from ..datasets.service import ingest_file

    return ingest_file(state.engine, state.settings, actor, project, path).id


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--project", default="default", show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@friendly
def ingest(state: State, file: Path, project: str, as_json: bool) -> None:
    """Upload a CSV, Excel or Parquet file and print its readiness report."""
    from ..datasets.service import ingest_file

    if not file.exists():
        raise CanvasError(f"The file {file} does not exist.")
    actor = state.actor()
    ds = ingest_file(state.engine, state.settings, actor, resolve_project_id(state, actor, project), file)
    if as_json:
        click.echo(json.dumps({"dataset_id": ds.id, "sha256": ds.sha256, "rows": ds.n_rows, "columns": ds.n_columns, "findings": ds.profile.get("findings", [])}))
        return
    click.echo(f"dataset {ds.id}: {ds.name} — {ds.n_rows} rows × {ds.n_columns} columns (sha256 {ds.sha256[:12]}…)")
    for f in ds.profile.get("findings", []):
        click.echo(f"  [{f['severity']}] {f['message']} {f.get('fix', '')}")
