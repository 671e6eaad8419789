"""`automl-canvas`: the command line door. Parses, calls one service, prints.

Expected errors print one plain line and exit with status 2; no tracebacks.

One module per room of commands. At import time each loads only Click and
its sibling modules here (shared helpers in ``_common``); the settings, the
database and the ML stack are imported inside the command that needs them, so
``automl-canvas --help`` starts in a fraction of a second (tests/test_cli_startup.py):

- ``system``: init, health          - ``workers``: worker
- ``serve``: up, api                - ``data``: ingest
- ``training``: train               - ``versions``: models, cutoff, predict, reproduce
- ``evidence``: evidence, mitigate  - ``jobs``: jobs, cancel
- ``feasibility``: feasibility, inputs, portfolio
- ``monitoring``: monitor …         - ``store``: store …
- ``accounts``: users …, tokens …   - ``governance``: review …, deployments …, audit …
- ``members``: members … (who belongs to a project)
"""

from __future__ import annotations

import click

from . import (
    accounts,
    data,
    evidence,
    feasibility,
    governance,
    jobs,
    members,
    monitoring,
    serve,
    store,
    system,
    training,
    versions,
    workers,
)
from ._common import State

__all__ = ["main"]


@click.group()
@click.option("--user", envvar="AUTOML_CANVAS_USER", default="local", show_default=True, help="Act as this user.")
@click.pass_context
def main(ctx: click.Context, user: str) -> None:
    """AutoML Canvas: guided model development on your own machine."""
    ctx.obj = State(user)


for _command in (
    system.init, system.health, serve.up, serve.api, workers.worker, data.ingest, training.train,
    jobs.jobs, jobs.cancel, versions.models, versions.cutoff, versions.predict, versions.reproduce,
    evidence.evidence, evidence.mitigate, feasibility.feasibility, feasibility.inputs, feasibility.portfolio,
    monitoring.monitor, store.store, accounts.users, accounts.tokens, governance.review, governance.deployments,
    governance.audit, members.members,
):
    main.add_command(_command)
del _command
