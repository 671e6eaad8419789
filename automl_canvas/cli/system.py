"""`automl-canvas init | health`: the product's home — its database schema, the
bootstrap accounts and the artifact directory — created, upgraded and checked.
"""

from __future__ import annotations

import sys

import click

from ._common import State, friendly

__all__ = ["health", "init"]


@click.command()
@click.pass_obj
@friendly
def init(state: State) -> None:
    """Create or upgrade the database schema and the local user."""
    from ..auth.bootstrap import ensure_admin
    from ..auth.users import LOCAL_USER, ensure_user
    from ..db import init_db, session_scope

    state.settings.ensure_dirs()
    rev = init_db(state.engine)
    with session_scope(state.engine) as s:
        ensure_user(s, LOCAL_USER, ("analyst", "scientist"), "Local user")
        admin_password = ensure_admin(s, state.settings)
    click.echo(f"database ready (schema {rev}) at {_safe_url(state.settings.database_url)}")
    if admin_password:
        click.echo(f"created the admin account 'admin'; its password (shown once): {admin_password}")
    click.echo(f"artifacts in {state.settings.artifact_dir}")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@click.command()
@click.pass_obj
def health(state: State) -> None:
    """Check the database answers, its schema is current and artifacts are writable (exit 1 if not)."""
    import tempfile

    from ..db import schema_status

    problems = []
    try:
        current, head = schema_status(state.engine)
        if current != head:
            problems.append(f"database schema is at '{current or 'empty'}', newest is '{head}': run `automl-canvas init`")
    except Exception as exc:  # noqa: BLE001 - any failure to reach the database is the answer
        problems.append(f"database not reachable: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
    try:
        state.settings.ensure_dirs()
        with tempfile.NamedTemporaryFile(dir=state.settings.artifact_dir / "tmp"):
            pass
    except OSError as exc:
        problems.append(f"artifact directory {state.settings.artifact_dir} is not writable: {exc.strerror}")
    for p in problems:
        click.echo(f"unhealthy: {p}", err=True)
    if problems:
        sys.exit(1)
    click.echo("ok")
