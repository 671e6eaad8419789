"""`automl-canvas evidence | mitigate`: a version's performance detail, SHAP
explanations and fairness findings, and a fairness-mitigated candidate.
"""

from __future__ import annotations

import json

import click

from ._common import State, friendly, wait_succeeded

__all__ = ["evidence", "mitigate"]


@click.command()
@click.argument("version_id", type=int)
@click.option("--candidate", type=int, default=0, help="Leaderboard rank to explain instead of the version's model.")
@click.option("--compute", is_flag=True, help="Queue the evidence job (and wait, with a local worker).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@friendly
def evidence(state: State, version_id: int, candidate: int, compute: bool, as_json: bool) -> None:
    """Show (or compute) a version's performance detail, SHAP explanations and fairness report."""
    from ..db import session_scope
    from ..evidence.service import list_evidence, submit_evidence

    actor = state.actor()
    if compute or candidate:
        job = submit_evidence(state.engine, state.settings, actor, version_id, candidate=candidate)
        wait_succeeded(state, job.id, "evidence", quiet=as_json)
    with session_scope(state.engine) as s:
        rows = [e for e in list_evidence(s, actor, version_id) if e.candidate == candidate]
    if as_json:
        click.echo(json.dumps([{"kind": e.kind, "candidate": e.candidate, "summary": e.summary, "files": e.files} for e in rows]))
        return
    if not rows:
        click.echo(f"no evidence for version {version_id} yet: run `automl-canvas evidence {version_id} --compute`")
    for e in rows:
        click.echo(f"[{e.kind}]")
        if e.kind == "explanations":
            for f in e.summary.get("top_features", []):
                click.echo(f"  {f['column']}: mean |SHAP| {f['mean_abs_shap']:.4f}")
        elif e.kind == "fairness":
            for f in e.summary.get("findings", []):
                click.echo(f"  [{f.get('severity')}] {f.get('message')}")
        else:
            click.echo("  holdout: " + ", ".join(f"{k} {v:.4f}" for k, v in e.summary.get("holdout_metrics", {}).items()))


@click.command()
@click.argument("version_id", type=int)
@click.option("--sensitive", required=True, help="The sensitive column whose groups get their own thresholds.")
@click.option("--constraint", type=click.Choice(["demographic_parity", "equalized_odds"]), default="demographic_parity", show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@friendly
def mitigate(state: State, version_id: int, sensitive: str, constraint: str, as_json: bool) -> None:
    """Create a mitigated candidate (group thresholds) and compare it with its parent."""
    from ..evidence.mitigation import submit_mitigation

    job = submit_mitigation(state.engine, state.settings, state.actor(), version_id, sensitive, constraint)
    job = wait_succeeded(state, job.id, "mitigation", quiet=as_json)
    if as_json:
        click.echo(json.dumps(job.result))
        return
    click.echo(f"mitigated candidate: version id {job.result['version_id']} (parent {version_id})")
    click.echo(job.result["comparison"].get("summary", ""))
