"""`automl-canvas feasibility | inputs | portfolio`: is ML the right hammer for a
project, its business inputs, and projects ranked by their assessments.

Thin like the rest of the CLI: parse, call one service function, print.  The
feasibility package imports the ML stack, so even the choices of ``--delivery``
and ``--freshness`` are read from it only when one of these commands runs or
shows its help.
"""

from __future__ import annotations

import json

import click

from ._common import State, friendly, wait_succeeded
from .data import resolve_dataset_id, resolve_project_id

__all__ = ["feasibility", "inputs", "portfolio"]

#: CLI option -> business input name
_INPUT_OPTIONS = {
    "decision": "decision", "acted_on_by": "acted_on_by", "decisions_per_month": "decisions_per_month",
    "value_per_decision": "value_per_decision", "cost_fp": "cost_false_positive", "cost_fn": "cost_false_negative",
    "cost_per_unit_error": "cost_per_unit_error", "status_quo_accuracy": "status_quo_accuracy",
    "status_quo_error": "status_quo_error", "delivery": "delivery", "freshness": "freshness",
}


class _InputChoice(click.Choice):
    """A choice among the values ``automl_canvas.feasibility.inputs`` defines under ``name``, read on first use."""

    def __init__(self, name: str):
        self._name = name
        self.case_sensitive = True

    @property
    def choices(self) -> tuple[str, ...]:
        from ..feasibility import inputs

        return tuple(getattr(inputs, self._name))


def _input_options(fn):
    opts = [
        click.option("--decision", default=None, help="The decision the model informs."),
        click.option("--acted-on-by", default=None, help="Who acts on the prediction."),
        click.option("--decisions-per-month", type=float, default=None),
        click.option("--value-per-decision", type=float, default=None, help="Value of a correct decision."),
        click.option("--cost-fp", type=float, default=None, help="Cost of a false positive."),
        click.option("--cost-fn", type=float, default=None, help="Cost of a false negative."),
        click.option("--cost-per-unit-error", type=float, default=None, help="Regression: cost of one unit of error."),
        click.option("--status-quo-accuracy", type=float, default=None, help="Today's accuracy, a share (0.8)."),
        click.option("--status-quo-error", type=float, default=None, help="Regression: today's mean absolute error."),
        click.option("--delivery", type=_InputChoice("DELIVERY"), default=None),
        click.option("--freshness", type=_InputChoice("FRESHNESS"), default=None),
    ]
    for opt in reversed(opts):
        fn = opt(fn)
    return fn


def _save_inputs(state: State, actor, project_id: int, given: dict):
    from ..db import session_scope
    from ..feasibility import get_inputs, set_inputs

    values = {_INPUT_OPTIONS[k]: v for k, v in given.items() if k in _INPUT_OPTIONS and v is not None}
    with session_scope(state.engine) as s:
        return set_inputs(s, actor, project_id, values) if values else get_inputs(s, actor, project_id)


def _print_scorecard(a) -> None:
    card = a.scorecard
    score = "n/a" if a.score is None else f"{a.score:.0f}/100"
    click.echo(f"{card['verdict_label']}  (score {score}, assessment {a.id}, target '{a.target}', {a.task})")
    if card.get("expected_value_per_month") is not None:
        interval = card.get("expected_value_interval")
        shown = "" if not interval else f" (95% interval {interval[0]:,.0f} to {interval[1]:,.0f})"
        click.echo(f"expected value ≈ {card['expected_value_per_month']:,.0f} a month{shown}")
    for c in card["components"]:
        pts = "  –" if c["points"] is None else f"{c['points']:>3.0f}"
        click.echo(f"  {c['label']:<34} {pts}  weight {c['weight']:.2f}  {c['summary']}")
    click.echo("why:")
    for r in card["reasons"]:
        click.echo(f"  [{r['severity']}] {r['message']}")
    if card["missing_inputs"]:
        click.echo("missing inputs: " + ", ".join(card["missing_inputs"]))


@click.command()
@click.argument("project")
@click.option("--dataset", "source", required=True, help="A dataset id, or a file to ingest into the project.")
@click.option("--target", required=True)
@click.option("--task", type=click.Choice(["binary", "multiclass", "regression"]), default=None)
@click.option("--metric", default=None)
@click.option("--budget", default=None, help="Safety cap of the search: quick, standard or seconds (default: settings).")
@click.option("--max-trials", type=int, default=None, help="Trials of the quick search (default 24): the same table gives the same trials.")
@click.option("--exclude", multiple=True)
@click.option("--seed", type=int, default=None)
@click.option("--max-rows", type=int, default=None, help="Assess a seeded sample of at most this many rows.")
@_input_options
@click.option("--json", "as_json", is_flag=True, help="Print the assessment as one JSON object.")
@click.option("--local-worker/--no-local-worker", default=True, show_default=True)
@click.pass_obj
@friendly
def feasibility(state: State, project, source, target, task, metric, budget, max_trials, exclude, seed, max_rows,
                as_json, local_worker, **given) -> None:
    """Is ML the right hammer? Score PROJECT's feasibility on a dataset and target (creates the project if new)."""
    from ..db import session_scope
    from ..feasibility import FeasibilityRequest, get_assessment, submit_feasibility

    actor = state.actor()
    project_id = resolve_project_id(state, actor, project)
    dataset_id = resolve_dataset_id(state, actor, source, project_id)
    _save_inputs(state, actor, project_id, given)
    request = FeasibilityRequest(dataset_id=dataset_id, target=target, task=task, metric=metric, budget=budget,
                                 excluded_columns=list(exclude), seed=seed, max_rows=max_rows, max_trials=max_trials)
    job = submit_feasibility(state.engine, state.settings, actor, project_id, request)
    job = wait_succeeded(state, job.id, "feasibility", quiet=as_json, local_worker=local_worker)
    with session_scope(state.engine) as s:
        a = get_assessment(s, actor, job.result["assessment_id"])
    if as_json:
        click.echo(json.dumps(a.model_dump(mode="json")))
        return
    _print_scorecard(a)


@click.command()
@click.argument("project")
@_input_options
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@friendly
def inputs(state: State, project, as_json, **given) -> None:
    """Show PROJECT's business inputs, or set those given (its assessments are re-scored)."""
    actor = state.actor()
    out = _save_inputs(state, actor, resolve_project_id(state, actor, project), given)
    if as_json:
        click.echo(json.dumps(out.model_dump(mode="json")))
        return
    for name, value in out.inputs.model_dump().items():
        click.echo(f"  {name:<22} {'–' if value is None else value}")
    if out.missing:
        click.echo("missing: " + ", ".join(out.missing))


@click.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@friendly
def portfolio(state: State, as_json: bool) -> None:
    """Projects ranked by feasibility score, then expected value per month."""
    from ..db import session_scope
    from ..feasibility import portfolio as rank_projects

    with session_scope(state.engine) as s:
        entries = rank_projects(s, state.actor())
    if as_json:
        click.echo(json.dumps([e.model_dump(mode="json") for e in entries]))
        return
    if not entries:
        click.echo("no projects yet")
    for e in entries:
        bar = "#" * round((e.score or 0) / 5)
        ev = "" if e.expected_value_per_month is None else f"  ≈ {e.expected_value_per_month:,.0f}/month"
        score = "  –" if e.score is None else f"{e.score:>3.0f}"
        click.echo(f"{e.rank:>3}. {e.project_name:<24} {score} {bar:<20} {e.verdict_label}{ev}")
