"""`automl-canvas users|tokens|review|deployments|audit`: the governance commands.

Thin like the rest of the CLI: parse, call one service function, print.  The
CLI acts as ``--user`` (a person with shell access to the server is trusted
to say who they are, as with any admin console); the service layer still
checks that user's roles, maker-checker included.
"""

from __future__ import annotations

import json

import click

from .cli import _friendly, _State, main

__all__ = ["register"]


def _echo_json(obj) -> None:
    from .serialization import json_safe

    click.echo(json.dumps(json_safe(obj), indent=2, default=str))


def _scope(state: _State):
    from .db import session_scope

    return session_scope(state.engine)


# --------------------------------------------------------------------------- users
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
@_friendly
def users_create(state: _State, username, roles, display_name, password, no_password) -> None:
    from .auth.users import create_user, generate_password

    actor = state.actor()
    shown = None
    if not no_password and password is None:
        password = shown = generate_password()
    with _scope(state) as s:
        user = create_user(s, state.settings, actor, username, roles, display_name=display_name,
                           password=None if no_password else password)
    click.echo(f"created {user.username} ({user.roles})")
    if shown:
        click.echo(f"password (shown once): {shown}")


@users.command("list")
@click.pass_obj
@_friendly
def users_list(state: _State) -> None:
    from .auth.users import list_users

    actor = state.actor()
    with _scope(state) as s:
        for u in list_users(s, actor):
            click.echo(f"{u.id:>4}  {u.username:<20} {u.roles:<30} {'active' if u.is_active else 'DISABLED'}")


@users.command("set-password")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.pass_obj
@_friendly
def users_set_password(state: _State, username, password) -> None:
    from .auth.users import set_password

    actor = state.actor()
    with _scope(state) as s:
        set_password(s, state.settings, actor, username, password)
    click.echo(f"password changed for {username}")


@users.command("roles")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True)
@click.pass_obj
@_friendly
def users_roles(state: _State, username, roles) -> None:
    from .auth.users import set_roles

    actor = state.actor()
    with _scope(state) as s:
        user = set_roles(s, actor, username, roles)
    click.echo(f"{user.username} now has roles {user.roles}")


@users.command("disable")
@click.argument("username")
@click.option("--enable", is_flag=True, help="Re-enable instead.")
@click.pass_obj
@_friendly
def users_disable(state: _State, username, enable) -> None:
    from .auth.users import set_active

    actor = state.actor()
    with _scope(state) as s:
        user = set_active(s, actor, username, enable)
    click.echo(f"{user.username} is {'active' if user.is_active else 'disabled'}")


# --------------------------------------------------------------------------- tokens
@click.group()
def tokens() -> None:
    """API tokens for scripts and deployment tooling."""


@tokens.command("create")
@click.option("--name", required=True, help="What the token is for.")
@click.option("--for", "owner", default=None, help="Another user (admins only), e.g. a deployer service account.")
@click.option("--days", type=int, default=None, help="Lifetime in days (default: settings).")
@click.pass_obj
@_friendly
def tokens_create(state: _State, name, owner, days) -> None:
    from .auth.tokens import create_token

    actor = state.actor()
    with _scope(state) as s:
        record, raw = create_token(s, state.settings, actor, name=name, username=owner, days=days)
    click.echo(f"token {record.id} '{record.name}' expires {record.expires_at:%Y-%m-%d}; shown once:")
    click.echo(raw)


@tokens.command("list")
@click.option("--for", "owner", default=None)
@click.pass_obj
@_friendly
def tokens_list(state: _State, owner) -> None:
    from .auth.tokens import list_tokens

    actor = state.actor()
    with _scope(state) as s:
        for t in list_tokens(s, actor, owner):
            state_ = "revoked" if t.revoked_at else f"expires {t.expires_at:%Y-%m-%d}"
            click.echo(f"{t.id:>4}  {t.prefix}…  {t.name:<30} {state_}")


@tokens.command("revoke")
@click.argument("token_id", type=int)
@click.pass_obj
@_friendly
def tokens_revoke(state: _State, token_id) -> None:
    from .auth.tokens import revoke_token

    actor = state.actor()
    with _scope(state) as s:
        revoke_token(s, actor, token_id)
    click.echo(f"token {token_id} revoked")


# --------------------------------------------------------------------------- review
@click.group()
def review() -> None:
    """Share, claim and decide on model versions."""


def _decision_line(d) -> str:
    failed = [c["name"] for c in d.evidence_snapshot.get("policy", []) if not c["passed"]]
    extra = f"; overridden checks: {', '.join(failed)}" if d.override_justification else ""
    return f"decision {d.id}: {d.decision} of version {d.version_id} ({d.from_status} -> {d.to_status}){extra}"


@review.command("share")
@click.argument("version_id", type=int)
@click.option("--message", "-m", default="")
@click.option("--responds-to", type=int, default=None, help="The version whose requested changes this one answers.")
@click.pass_obj
@_friendly
def review_share(state: _State, version_id, message, responds_to) -> None:
    from .review import share

    actor = state.actor()
    with _scope(state) as s:
        v = share(s, state.settings, actor, version_id, message, responds_to)
    click.echo(f"version {v.id} is {v.status}")


def _simple(name: str, fn_name: str, needs_text: str | None = None):
    @click.argument("version_id", type=int)
    @click.pass_obj
    @_friendly
    def command(state: _State, version_id, **kw) -> None:
        from . import review as svc

        actor = state.actor()
        with _scope(state) as s:
            fn = getattr(svc, fn_name)
            if needs_text:
                out = fn(s, state.settings, actor, version_id, kw["comment"])
            else:
                out = fn(s, actor, version_id)
        click.echo(_decision_line(out) if hasattr(out, "decision") else f"version {out.id} is {out.status}")

    if needs_text:
        command = click.option("--comment", "-m", required=True, help=needs_text)(command)
    review.command(name)(command)


_simple("claim", "claim")
_simple("release", "release")
_simple("withdraw", "withdraw")
_simple("reject", "reject", "Why it is rejected.")
_simple("request-changes", "request_changes", "What should change.")
_simple("revoke", "revoke", "Why the approval is withdrawn.")


@review.command("approve")
@click.argument("version_id", type=int)
@click.option("--comment", "-m", default="")
@click.option("--override", "justification", default="", help="Approve although policy checks fail; your written justification.")
@click.pass_obj
@_friendly
def review_approve(state: _State, version_id, comment, justification) -> None:
    from .review import approve

    actor = state.actor()
    with _scope(state) as s:
        d = approve(s, state.settings, actor, version_id, comment, justification)
    click.echo(_decision_line(d))


@review.command("comment")
@click.argument("version_id", type=int)
@click.argument("body")
@click.pass_obj
@_friendly
def review_comment(state: _State, version_id, body) -> None:
    from .review import add_comment

    actor = state.actor()
    with _scope(state) as s:
        c = add_comment(s, actor, version_id, body)
    click.echo(f"comment {c.id} added")


@review.command("queue")
@click.option("--mine", is_flag=True, help="Only what I have claimed.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@_friendly
def review_queue_cmd(state: _State, mine, as_json) -> None:
    from .review import review_queue

    actor = state.actor()
    with _scope(state) as s:
        rows = review_queue(s, state.settings, actor, mine=mine)
    if as_json:
        return _echo_json(rows)
    for r in rows:
        click.echo(f"v{r['version_id']:<5} {r['project']:<20} {r['status']:<15} {r['grade']:<10} {r['policy_status']:<16} "
                   f"by {r['requested_by']}")


@review.command("show")
@click.argument("version_id", type=int)
@click.pass_obj
@_friendly
def review_show(state: _State, version_id) -> None:
    """The live policy checks, the decisions with their frozen evidence, the conversation."""
    from .review import get_review

    actor = state.actor()
    with _scope(state) as s:
        r = get_review(s, state.settings, actor, version_id)
    _echo_json({k: (v.model_dump(mode="json") if hasattr(v, "model_dump") else
                    [x.model_dump(mode="json") if hasattr(x, "model_dump") else x for x in v] if isinstance(v, list) else v)
                for k, v in r.items()})


@review.command("reproduce")
@click.argument("version_id", type=int)
@click.pass_obj
@_friendly
def review_reproduce(state: _State, version_id) -> None:
    from .review import submit_review_reproduce

    job = submit_review_reproduce(state.engine, state.settings, state.actor(), version_id)
    click.echo(f"reproduce job {job.id} queued; its result joins version {version_id}'s evidence")


@review.command("policy")
@click.argument("project_id", type=int)
@click.option("--set", "pairs", multiple=True, help="rule=value (JSON value), e.g. --set quorum=2 --set allow_override=false")
@click.pass_obj
@_friendly
def review_policy(state: _State, project_id, pairs) -> None:
    from .errors import ValidationError
    from .review import get_project_policy, set_project_policy

    actor = state.actor()
    rules = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep:
            raise ValidationError(f"'{pair}' is not rule=value.")
        try:
            rules[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            rules[key.strip()] = raw
    with _scope(state) as s:
        out = set_project_policy(s, actor, project_id, rules) if rules else get_project_policy(s, project_id)
    _echo_json(out)


# --------------------------------------------------------------------------- deployments, audit
@click.group()
def deployments() -> None:
    """Deployment records (deployment tooling usually writes these through the API)."""


@deployments.command("record")
@click.argument("version_id", type=int)
@click.option("--environment", "-e", required=True)
@click.option("--reference", default="")
@click.pass_obj
@_friendly
def deployments_record(state: _State, version_id, environment, reference) -> None:
    from .review import record_deployment

    actor = state.actor()
    with _scope(state) as s:
        d = record_deployment(s, actor, version_id, environment, reference)
    click.echo(f"deployment {d.id}: version {d.version_id} in {d.environment} (sha256 {d.artifact_sha256[:12]}…)")


@deployments.command("list")
@click.option("--environment", "-e", default=None)
@click.pass_obj
@_friendly
def deployments_list(state: _State, environment) -> None:
    from .review import list_deployments

    actor = state.actor()
    with _scope(state) as s:
        for d in list_deployments(s, actor, environment=environment):
            click.echo(f"{d.id:>4}  v{d.version_id:<5} {d.environment:<15} {d.status:<12} {d.reference}")


@deployments.command("rollback")
@click.argument("deployment_id", type=int)
@click.option("--reason", default="")
@click.pass_obj
@_friendly
def deployments_rollback(state: _State, deployment_id, reason) -> None:
    from .review import rollback

    actor = state.actor()
    with _scope(state) as s:
        out = rollback(s, actor, deployment_id, reason)
    prev = out["previous_version_id"]
    click.echo(f"deployment {deployment_id} rolled back; " + (f"go back to version {prev}" if prev else "no earlier approved version"))


@click.group()
def audit() -> None:
    """The tamper-evident audit log."""


@audit.command("verify")
@click.pass_obj
@_friendly
def audit_verify(state: _State) -> None:
    """Check the keyed hash chain and the newest checkpoint outside the database; exit 1 and say which check
    failed (and where) if either does not verify."""
    import sys

    from .review import verify_audit

    actor = state.actor()
    with _scope(state) as s:
        result = verify_audit(s, actor)
    click.echo(result.describe())
    if not result.ok:
        if result.failed_check == "checkpoint":
            click.echo(f"checkpoint folder: {state.settings.audit_checkpoint_dir}")
        sys.exit(1)


@audit.command("list")
@click.option("--after", type=int, default=0)
@click.option("--limit", type=int, default=50)
@click.pass_obj
@_friendly
def audit_list(state: _State, after, limit) -> None:
    from .review import list_audit_events

    actor = state.actor()
    with _scope(state) as s:
        for e in list_audit_events(s, actor, after=after, limit=limit):
            click.echo(f"{e.seq:>6} {e.at:%Y-%m-%d %H:%M:%S} {e.actor_name or '-':<12} {e.action:<28} {e.subject_type}:{e.subject_id}")


def register() -> None:
    for group in (users, tokens, review, deployments, audit):
        main.add_command(group)
