"""`automl-canvas train`: queue a training job on a file or a dataset and wait
for it with a progress line (and for the evidence job that follows it).
"""

from __future__ import annotations

import json

import click

from ._common import State, friendly, wait_for, wait_succeeded
from .data import resolve_dataset_id, resolve_project_id

__all__ = ["keep_pairs", "train"]


def keep_pairs(values) -> dict[str, str]:
    """``--keep COL=REASON`` values as {column: reason}; a missing reason is refused (the reviewer reads it)."""
    out: dict[str, str] = {}
    for value in values:
        col, sep, reason = value.partition("=")
        if not sep or not col.strip() or not reason.strip():
            raise click.BadParameter(f"'{value}' needs a column and a reason: write --keep COL=REASON, for example "
                                     "--keep refund_issued=\"known when the order is placed\".", param_hint="--keep")
        out[col.strip()] = reason.strip()
    return out


@click.command()
@click.argument("source")
@click.option("--target", required=True)
@click.option("--budget", default="quick", show_default=True, help="quick, standard or seconds of search.")
@click.option("--task", type=click.Choice(["binary", "multiclass", "regression"]), default=None)
@click.option("--metric", default=None)
@click.option("--exclude", multiple=True)
@click.option("--keep", multiple=True, metavar="COL=REASON", callback=lambda ctx, param, values: keep_pairs(values),
              help="Put back a column the product leaves out (ID-like, suspected leak), with the reason the reviewer sees.")
@click.option("--sensitive", multiple=True)
@click.option("--favourable", default=None, metavar="VALUE",
              help="The target value that is good for the person (e.g. approved): the four-fifths rule compares its rates.")
@click.option("--seed", type=int, default=None)
@click.option("--max-trials", type=click.IntRange(1, 10_000), default=None,
              help="A repeatable build: exactly this many search trials, every check run; the budget is then only a safety cap.")
@click.option("--project", default="default", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with the outcome.")
@click.option("--wait/--no-wait", default=True, show_default=True)
@click.option("--local-worker/--no-local-worker", default=True, show_default=True, help="Run a worker in this process while waiting.")
@click.pass_obj
@friendly
def train(state: State, source: str, target: str, budget: str, task, metric, exclude, sensitive, favourable, seed, project, as_json,
          wait, local_worker, keep, max_trials) -> None:
    """Train a model on FILE (ingested first) or on an existing dataset id."""
    from ..services.training import submit_training
    from ..training.spec import TrainingRequest

    actor = state.actor()
    dataset_id = resolve_dataset_id(state, actor, source, resolve_project_id(state, actor, project))
    request = TrainingRequest(
        target=target, task=task, metric=metric, budget=budget, excluded_columns=list(exclude), sensitive_columns=list(sensitive), seed=seed,
        favourable_outcome=favourable, keep_columns=keep, max_trials=max_trials,
    )
    job = submit_training(state.engine, state.settings, actor, dataset_id, request)
    if not wait:
        click.echo(json.dumps({"job_id": job.id}) if as_json else f"queued job {job.id}")
        return
    job = wait_succeeded(state, job.id, "training", quiet=as_json, local_worker=local_worker)
    r = dict(job.result)
    if r.get("evidence_job_id") and local_worker:
        # Explanations, fairness and performance detail follow the training job.
        ev = wait_for(state, r["evidence_job_id"], quiet=as_json, local_worker=True)
        r["evidence_status"] = ev.status
        if ev.status != "succeeded" and not as_json:
            click.echo(f"warning: the evidence job {ev.id} {ev.status}: {(ev.error or {}).get('message', '')}", err=True)
    if as_json:
        click.echo(json.dumps({"job_id": job.id, "dataset_id": dataset_id, **r}))
        return
    click.echo(
        f"model version {r['version_id']} ({r['best_learner']}): holdout {r['metric']} {r['holdout_score']:.4f} "
        f"vs baseline {r['baseline_score']:.4f} and default model {r['default_model_score']:.4f}"
    )
