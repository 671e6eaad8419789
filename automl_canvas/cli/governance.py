"""`automl-canvas review | deployments | audit`: the governance commands — the
gated review workflow, deployment records and the tamper-evident audit log.

Thin like the rest of the CLI: parse, call one service function, print.  The
CLI acts as ``--user`` (a person with shell access to the server is trusted
to say who they are, as with any admin console); the service layer still
checks that user's roles, maker-checker included.
"""

from __future__ import annotations

import json

import click

from ._common import State, echo_json, friendly, scope

__all__ = ["audit", "deployments", "review"]


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
@friendly
def review_share(state: State, version_id, message, responds_to) -> None:
    from ..review import share

    actor = state.actor()
    with scope(state) as s:
        v = share(s, state.settings, actor, version_id, message, responds_to)
    click.echo(f"version {v.id} is {v.status}")


def _simple(name: str, fn_name: str, needs_text: str | None = None):
    @click.argument("version_id", type=int)
    @click.pass_obj
    @friendly
    def command(state: State, version_id, **kw) -> None:
        from .. import review as svc

        actor = state.actor()
        with scope(state) as s:
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
@friendly
def review_approve(state: State, version_id, comment, justification) -> None:
    from ..review import approve

    actor = state.actor()
    with scope(state) as s:
        d = approve(s, state.settings, actor, version_id, comment, justification)
    click.echo(_decision_line(d))


@review.command("comment")
@click.argument("version_id", type=int)
@click.argument("body")
@click.pass_obj
@friendly
def review_comment(state: State, version_id, body) -> None:
    from ..review import add_comment

    actor = state.actor()
    with scope(state) as s:
        c = add_comment(s, actor, version_id, body)
    click.echo(f"comment {c.id} added")


@review.command("queue")
@click.option("--mine", is_flag=True, help="Only what I have claimed.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@friendly
def review_queue_cmd(state: State, mine, as_json) -> None:
    from ..review import review_queue

    actor = state.actor()
    with scope(state) as s:
        rows = review_queue(s, state.settings, actor, mine=mine)
    if as_json:
        return echo_json(rows)
    for r in rows:
        click.echo(f"v{r['version_id']:<5} {r['project']:<20} {r['status']:<15} {r['grade']:<10} {r['policy_status']:<16} "
                   f"by {r['requested_by']}")


@review.command("show")
@click.argument("version_id", type=int)
@click.pass_obj
@friendly
def review_show(state: State, version_id) -> None:
    """The live policy checks, the decisions with their frozen evidence, the conversation."""
    from ..review import get_review

    actor = state.actor()
    with scope(state) as s:
        r = get_review(s, state.settings, actor, version_id)
    echo_json({k: (v.model_dump(mode="json") if hasattr(v, "model_dump") else
                    [x.model_dump(mode="json") if hasattr(x, "model_dump") else x for x in v] if isinstance(v, list) else v)
                for k, v in r.items()})


@review.command("reproduce")
@click.argument("version_id", type=int)
@click.pass_obj
@friendly
def review_reproduce(state: State, version_id) -> None:
    from ..review import submit_review_reproduce

    job = submit_review_reproduce(state.engine, state.settings, state.actor(), version_id)
    click.echo(f"reproduce job {job.id} queued; its result joins version {version_id}'s evidence")


@review.command("policy")
@click.argument("project_id", type=int)
@click.option("--set", "pairs", multiple=True, help="rule=value (JSON value), e.g. --set quorum=2 --set allow_override=false")
@click.pass_obj
@friendly
def review_policy(state: State, project_id, pairs) -> None:
    from ..errors import ValidationError
    from ..review import get_project_policy, set_project_policy

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
    with scope(state) as s:
        out = set_project_policy(s, actor, project_id, rules) if rules else get_project_policy(s, project_id)
    echo_json(out)


# --------------------------------------------------------------------------- deployments, audit
@click.group()
def deployments() -> None:
    """Deployment records (deployment tooling usually writes these through the API)."""


@deployments.command("record")
@click.argument("version_id", type=int)
@click.option("--environment", "-e", required=True)
@click.option("--reference", default="")
@click.pass_obj
@friendly
def deployments_record(state: State, version_id, environment, reference) -> None:
    from ..review import record_deployment

    actor = state.actor()
    with scope(state) as s:
        d = record_deployment(s, actor, version_id, environment, reference)
    click.echo(f"deployment {d.id}: version {d.version_id} in {d.environment} (sha256 {d.artifact_sha256[:12]}…)")


@deployments.command("list")
@click.option("--environment", "-e", default=None)
@click.pass_obj
@friendly
def deployments_list(state: State, environment) -> None:
    from ..review import list_deployments

    actor = state.actor()
    with scope(state) as s:
        for d in list_deployments(s, actor, environment=environment):
            click.echo(f"{d.id:>4}  v{d.version_id:<5} {d.environment:<15} {d.status:<12} {d.reference}")


@deployments.command("rollback")
@click.argument("deployment_id", type=int)
@click.option("--reason", default="")
@click.pass_obj
@friendly
def deployments_rollback(state: State, deployment_id, reason) -> None:
    from ..review import rollback

    actor = state.actor()
    with scope(state) as s:
        out = rollback(s, actor, deployment_id, reason)
    prev = out["previous_version_id"]
    click.echo(f"deployment {deployment_id} rolled back; " + (f"go back to version {prev}" if prev else "no earlier approved version"))


@click.group()
def audit() -> None:
    """The tamper-evident audit log."""


@audit.command("verify")
@click.pass_obj
@friendly
def audit_verify(state: State) -> None:
    """Check the keyed hash chain and the newest checkpoint outside the database; exit 1 and say which check
    failed (and where) if either does not verify."""
    import sys

    from ..review import verify_audit

    actor = state.actor()
    with scope(state) as s:
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
@friendly
def audit_list(state: State, after, limit) -> None:
    from ..review import list_audit_events

    actor = state.actor()
    with scope(state) as s:
        for e in list_audit_events(s, actor, after=after, limit=limit):
            click.echo(f"{e.seq:>6} {e.at:%Y-%m-%d %H:%M:%S} {e.actor_name or '-':<12} {e.action:<28} {e.subject_type}:{e.subject_id}")
