"""`automl-canvas users | tokens`: accounts and API tokens.

Thin like the rest of the CLI: parse, call one service function, print.  The
CLI acts as ``--user`` (a person with shell access to the server is trusted
to say who they are, as with any admin console); the service layer still
checks that user's roles.
"""

from __future__ import annotations

import click

from ._common import State, friendly, scope

__all__ = ["tokens", "users"]


@click.group()
def users() -> None:
    """Manage accounts (admins)."""


@users.command("create")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True, help="analyst, scientist, deployer or admin (repeat for several).")
@click.option("--name", "display_name", default="")
@click.option("--password", default=None, help="Omit to generate one (printed once) or use --no-password for a service account.")
@click.option("--no-password", is_flag=True, help="A service account that signs in only with API tokens.")
@click.pass_obj
@friendly
def users_create(state: State, username, roles, display_name, password, no_password) -> None:
    from ..auth.users import create_user, generate_password

    actor = state.actor()
    shown = None
    if not no_password and password is None:
        password = shown = generate_password()
    with scope(state) as s:
        user = create_user(s, state.settings, actor, username, roles, display_name=display_name,
                           password=None if no_password else password)
    click.echo(f"created {user.username} ({user.roles})")
    if shown:
        click.echo(f"password (shown once): {shown}")


@users.command("list")
@click.pass_obj
@friendly
def users_list(state: State) -> None:
    from ..auth.users import list_users

    actor = state.actor()
    with scope(state) as s:
        for u in list_users(s, actor):
            click.echo(f"{u.id:>4}  {u.username:<20} {u.roles:<30} {'active' if u.is_active else 'DISABLED'}")


@users.command("set-password")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.pass_obj
@friendly
def users_set_password(state: State, username, password) -> None:
    from ..auth.users import set_password

    actor = state.actor()
    with scope(state) as s:
        set_password(s, state.settings, actor, username, password)
    click.echo(f"password changed for {username}")


@users.command("roles")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True)
@click.pass_obj
@friendly
def users_roles(state: State, username, roles) -> None:
    from ..auth.users import set_roles

    actor = state.actor()
    with scope(state) as s:
        user = set_roles(s, actor, username, roles)
    click.echo(f"{user.username} now has roles {user.roles}")


@users.command("disable")
@click.argument("username")
@click.option("--enable", is_flag=True, help="Re-enable instead.")
@click.pass_obj
@friendly
def users_disable(state: State, username, enable) -> None:
    from ..auth.users import set_active

    actor = state.actor()
    with scope(state) as s:
        user = set_active(s, actor, username, enable)
    click.echo(f"{user.username} is {'active' if user.is_active else 'disabled'}")


@click.group()
def tokens() -> None:
    """API tokens for scripts and deployment tooling."""


@tokens.command("create")
@click.option("--name", required=True, help="What the token is for.")
@click.option("--for", "owner", default=None, help="Another user (admins only), e.g. a deployer service account.")
@click.option("--days", type=int, default=None, help="Lifetime in days (default: settings).")
@click.pass_obj
@friendly
def tokens_create(state: State, name, owner, days) -> None:
    from ..auth.tokens import create_token

    actor = state.actor()
    with scope(state) as s:
        record, raw = create_token(s, state.settings, actor, name=name, username=owner, days=days)
    click.echo(f"token {record.id} '{record.name}' expires {record.expires_at:%Y-%m-%d}; shown once:")
    click.echo(raw)


@tokens.command("list")
@click.option("--for", "owner", default=None)
@click.pass_obj
@friendly
def tokens_list(state: State, owner) -> None:
    from ..auth.tokens import list_tokens

    actor = state.actor()
    with scope(state) as s:
        for t in list_tokens(s, actor, owner):
            state_ = "revoked" if t.revoked_at else f"expires {t.expires_at:%Y-%m-%d}"
            click.echo(f"{t.id:>4}  {t.prefix}…  {t.name:<30} {state_}")


@tokens.command("revoke")
@click.argument("token_id", type=int)
@click.pass_obj
@friendly
def tokens_revoke(state: State, token_id) -> None:
    from ..auth.tokens import revoke_token

    actor = state.actor()
    with scope(state) as s:
        revoke_token(s, actor, token_id)
    click.echo(f"token {token_id} revoked")
