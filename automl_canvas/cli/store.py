"""`automl-canvas store ...`: operate the object store (datasets, model artifacts, evidence files).

For the operator moving a home onto object storage (or back): ``store migrate --to
s3://bucket/prefix`` copies every object and verifies it; run it again after an
interruption and it carries on where it stopped.  Then set
``AUTOML_CANVAS_STORE_URL`` on every machine (docs/deployment.md).
"""

from __future__ import annotations

import click

from ._common import State, friendly

__all__ = ["store"]


@click.group()
def store() -> None:
    """The object store: where datasets, model artifacts and evidence files live."""


@store.command("migrate")
@click.option("--to", "to_url", required=True, help="Destination: s3://bucket/prefix, or a directory.")
@click.option("--from", "from_url", default=None, help="Source (default: the configured store).")
@click.option("--quiet", is_flag=True, help="Print only the summary.")
@click.pass_obj
@friendly
def migrate_cmd(state: State, to_url: str, from_url: str | None, quiet: bool) -> None:
    """Copy every object to the store at --to, verifying each digest (idempotent, resumable)."""
    from ..storage import open_store
    from ..storage.migrate import expected_digests, migrate

    settings = state.settings
    source = open_store(from_url if from_url is not None else settings.store_url, settings)
    dest = open_store(to_url, settings)
    if source.url == dest.url:
        raise click.UsageError("The source and the destination are the same store.")

    def progress(key: str, copied: bool) -> None:
        if not quiet:
            click.echo(f"{'copied ' if copied else 'present'} {key}")

    report = migrate(source, dest, expected_digests(state.engine), progress)
    click.echo(f"{report.total} objects: {len(report.copied)} copied and verified, {len(report.skipped)} already there.")
    click.echo(f"Set AUTOML_CANVAS_STORE_URL={to_url} on every machine to use it.")
