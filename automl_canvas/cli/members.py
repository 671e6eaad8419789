"""`automl-canvas members`: who belongs to a project, with which project role (owner, editor, viewer).

Thin like the rest of the CLI: parse, call one service function, print.  The
project is named by its name or id; one the acting user may not see is "not
found", as through every other door.
"""

from __future__ import annotations

import click

from ._common import State, echo_json, friendly, scope

__all__ = ["members"]


@click.group()
def members() -> None:
    """A project's members: list them, add or change one, remove one (owners and admins)."""


def _project_id(s, actor, project: str) -> int:
    from ..projects import find_project

    return find_project(s, actor, project).id


@members.command("list")
@click.argument("project")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@friendly
def members_list(state: State, project: str, as_json: bool) -> None:
    """PROJECT's members and their roles."""
    from ..projects import list_members

    actor = state.actor()
    with scope(state) as s:
        team = list_members(s, actor, _project_id(s, actor, project))
    if as_json:
        echo_json([m.model_dump(mode="json") for m in team])
        return
    for m in team:
        click.echo(f"{m.username:<20} {m.role:<8} added {m.added_at:%Y-%m-%d}" + (f" by {m.added_by}" if m.added_by else ""))


@members.command("add")
@click.argument("project")
@click.argument("username")
@click.option("--role", type=click.Choice(["owner", "editor", "viewer"]), default="viewer", show_default=True)
@click.pass_obj
@friendly
def members_add(state: State, project: str, username: str, role: str) -> None:
    """Add USERNAME to PROJECT with a role, or change their role."""
    from ..projects import add_member

    actor = state.actor()
    with scope(state) as s:
        member = add_member(s, actor, _project_id(s, actor, project), username, role)
    click.echo(f"{member.username} is {'an' if member.role == 'owner' else 'a'} {member.role} of project {project}")


@members.command("remove")
@click.argument("project")
@click.argument("username")
@click.pass_obj
@friendly
def members_remove(state: State, project: str, username: str) -> None:
    """Take USERNAME out of PROJECT (the last owner stays)."""
    from ..projects import remove_member

    actor = state.actor()
    with scope(state) as s:
        member = remove_member(s, actor, _project_id(s, actor, project), username)
    click.echo(f"{member.username} is no longer a member of project {project}")
