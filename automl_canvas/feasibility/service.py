"""Feasibility use cases: business inputs, the feasibility job, assessments, the portfolio.

Doors call these with the acting user; each checks the role first.  Results are
pydantic objects (``BusinessInputsPublic``, ``FeasibilityPublic``,
``PortfolioEntry``) that ``model_dump(mode="json")`` turns into JSON.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from ..auth.policy import allowed, require
from ..auth.resources import Access, project_for
from ..config import Settings
from ..datasets.profiling import profile_frame
from ..datasets.service import get_dataset, load_columns, load_frame
from ..db import session_scope, utcnow
from ..errors import NotFoundError, ValidationError
from ..jobs import queue
from ..jobs.context import JobContext
from ..models import BusinessInputsRow, FeasibilityAssessment, FeasibilityPublic, JobPublic, Project, User, UserPublic
from ..serialization import json_safe
from ..training.spec import TrainingRequest, parse_budget, resolve_spec
from .inputs import BusinessInputs, missing_inputs, parse_inputs, write_inputs_row
from .measure import MeasureOptions, measure
from .rules import ScoringRules
from .scoring import VERDICTS, score_assessment

__all__ = ["BusinessInputsPublic", "FeasibilityRequest", "PortfolioEntry", "get_assessment", "get_inputs",
           "latest_assessment", "list_assessments", "portfolio", "run_feasibility_job", "set_inputs", "submit_feasibility"]


#: Smallest sample (``max_rows``) a feasibility job accepts.
MIN_SAMPLE_ROWS = 50


class BusinessInputsPublic(BaseModel):
    project_id: int
    inputs: BusinessInputs
    missing: list[str]
    updated_at: datetime | None = None


class FeasibilityRequest(BaseModel):
    dataset_id: int = Field(ge=1, le=2_147_483_647)
    target: str = Field(json_schema_extra={"minLength": 1})
    task: str | None = None
    metric: str | None = None
    budget: str | float | None = Field(default=None, description="search budget; default: settings.feasibility_budget")
    excluded_columns: list[str] = Field(default_factory=list)
    seed: int | None = None
    max_rows: int | None = Field(default=None, description="assess a seeded sample of at most this many rows (50 or more)",
                                 json_schema_extra={"minimum": MIN_SAMPLE_ROWS})
    max_trials: int | None = Field(default=None, ge=1, le=1000,
                                   description="trials of the quick search (default 24); the budget is only its safety cap")


class PortfolioEntry(BaseModel):
    rank: int
    project_id: int
    project_name: str
    question: str = ""
    assessment_id: int | None = None
    dataset_id: int | None = None
    target: str | None = None
    score: float | None = None
    verdict: str = "not_assessed"
    verdict_label: str = "Not assessed yet"
    expected_value_per_month: float | None = None
    impact_level: str = "unknown"
    components: dict[str, float | None] = Field(default_factory=dict)
    missing_inputs: list[str] = Field(default_factory=list)
    assessed_at: datetime | None = None


def _project(session: Session, project_id: int) -> Project:
    project = session.get(Project, project_id)
    if project is None:
        raise NotFoundError(f"Project {project_id} does not exist.")
    return project


def _stored_inputs(session: Session, project: Project) -> tuple[BusinessInputs, datetime | None]:
    row = session.get(BusinessInputsRow, project.id)
    inputs = BusinessInputs.model_validate(row.inputs) if row else BusinessInputs()
    if inputs.decision is None and project.decision:  # the decision typed when the project was created
        inputs = inputs.model_copy(update={"decision": project.decision})
    return inputs, (row.updated_at if row else None)


def _latest_task(session: Session, project_id: int) -> str | None:
    row = session.exec(select(FeasibilityAssessment).where(FeasibilityAssessment.project_id == project_id)
                       .order_by(FeasibilityAssessment.id.desc())).first()
    return row.task if row else None


def get_inputs(session: Session, actor, project_id: int) -> BusinessInputsPublic:
    project = project_for(session, actor, "feasibility.read", project_id)
    inputs, updated = _stored_inputs(session, project)
    return BusinessInputsPublic(project_id=project_id, inputs=inputs, missing=missing_inputs(inputs, _latest_task(session, project_id)),
                                updated_at=updated)


def set_inputs(session: Session, actor, project_id: int, values: dict[str, Any] | BusinessInputs, *,
               replace: bool = False) -> BusinessInputsPublic:
    """Merge ``values`` into the project's inputs (a value of None clears it; ``replace`` starts from empty).

    The project's stored assessments are re-scored with the new inputs (and the
    rules each was scored with), so the portfolio never shows a stale number.
    """
    project = project_for(session, actor, "feasibility.inputs", project_id)  # editors and owners
    current, _ = _stored_inputs(session, project)
    given = values.model_dump(exclude_unset=True) if isinstance(values, BusinessInputs) else dict(values)
    merged = parse_inputs({**({} if replace else current.model_dump()), **given})
    updated_at = write_inputs_row(session, project_id, merged.model_dump(), actor.id)  # an upsert: safe for concurrent first writes
    for assessment in session.exec(select(FeasibilityAssessment).where(FeasibilityAssessment.project_id == project_id)):
        _apply_scorecard(assessment, merged, ScoringRules.from_overrides(**_stored_rules(assessment)))
        session.add(assessment)
    session.flush()
    return BusinessInputsPublic(project_id=project_id, inputs=merged, missing=missing_inputs(merged, _latest_task(session, project_id)),
                                updated_at=updated_at)


def _stored_rules(assessment: FeasibilityAssessment) -> dict[str, dict]:
    rules = (assessment.scorecard or {}).get("rules") or {}
    return {"weights": rules.get("weights"), "thresholds": rules.get("thresholds")}


def _apply_scorecard(row: FeasibilityAssessment, inputs: BusinessInputs, rules: ScoringRules) -> None:
    card = score_assessment(row.measurements, inputs, rules)
    row.scorecard = json_safe(card.model_dump(mode="json"))
    row.inputs = inputs.model_dump()
    row.score, row.verdict, row.expected_value_per_month = card.score, card.verdict, card.expected_value_per_month
    row.scored_at = utcnow()


def submit_feasibility(engine: Engine, settings: Settings, actor, project_id: int, request: FeasibilityRequest) -> JobPublic:
    """Check the request against the dataset now (clear errors before anything is queued), then queue the job."""
    require(actor, "feasibility.run")
    if request.max_rows is not None and request.max_rows < MIN_SAMPLE_ROWS:
        raise ValidationError(f"A sample of {request.max_rows} rows is too small to judge anything; use at least {MIN_SAMPLE_ROWS}.")
    with session_scope(engine) as s:
        project_for(s, actor, "feasibility.run", project_id)  # editors and owners
        dataset = get_dataset(s, actor, request.dataset_id)
    if dataset.project_id != project_id:
        raise ValidationError(f"Dataset {dataset.id} belongs to another project (project {dataset.project_id}); "
                              f"upload it to project {project_id} or assess that project instead.")
    budget = parse_budget(request.budget if request.budget is not None else settings.feasibility_budget)
    treq = TrainingRequest(target=request.target, task=request.task, metric=request.metric, budget=budget,
                           excluded_columns=request.excluded_columns, seed=request.seed)
    resolve_spec(treq, dataset.profile, lambda col: load_columns(settings, dataset, [col])[col],
                 max_classes=settings.max_classes, default_seed=settings.default_seed)
    with session_scope(engine) as s:
        job = queue.enqueue(s, kind="feasibility", payload={"project_id": project_id, "request": request.model_dump()},
                            created_by_id=actor.id, project_id=project_id,
                            # the learning curve and the rule come on top of a training job: about one more of it
                            time_limit_seconds=settings.time_limit_for(2 * budget),
                            max_attempts=settings.job_max_attempts)
        return JobPublic.model_validate(job)


def run_feasibility_job(ctx: JobContext) -> None:
    """Job handler: profile with the target, leave leakage suspects out, measure, score, store."""
    settings, engine = ctx.settings, ctx.engine
    request = FeasibilityRequest.model_validate(ctx.job.payload["request"])
    project_id = int(ctx.job.payload["project_id"])
    with session_scope(engine) as s:
        actor = UserPublic.model_validate(s.get(User, ctx.job.created_by_id))
        dataset = get_dataset(s, actor, request.dataset_id)
    seed = request.seed if request.seed is not None else settings.default_seed
    df = load_frame(settings, dataset)
    limit = min(request.max_rows or settings.feasibility_max_rows, settings.feasibility_max_rows)
    sampled_from = None
    if len(df) > limit:
        sampled_from = len(df)
        df = df.sample(n=limit, random_state=seed).reset_index(drop=True)
    ctx.progress(stage="profiling the data with the target", force=True)
    profile = profile_frame(df, request.target, max_classes=settings.max_classes, seed=seed).to_dict()
    leaks = [c for c in profile.get("leakage_suspects", []) if c not in request.excluded_columns]
    budget = request.budget if request.budget is not None else settings.feasibility_budget
    treq = TrainingRequest(target=request.target, task=request.task, metric=request.metric, budget=budget,
                           excluded_columns=[*request.excluded_columns, *leaks], seed=seed)
    spec = resolve_spec(treq, profile, lambda col: df[col], max_classes=settings.max_classes, default_seed=seed)
    rules = ScoringRules.from_settings(settings)
    options = MeasureOptions.from_settings(settings)
    if request.max_trials is not None:
        options.max_trials = request.max_trials
    m = measure(df, spec, profile, options=options,
                plateau_gain=rules.thresholds.plateau_gain, progress=lambda **kw: ctx.progress(**kw))
    m["leakage_excluded"] = leaks
    m["sampled_from_rows"] = sampled_from
    m["dataset_id"] = dataset.id
    ctx.progress(stage="scoring", force=True)
    with ctx.write() as s:  # fenced: nothing is committed if another worker took the job over
        inputs, _ = _stored_inputs(s, _project(s, project_id))
        row = FeasibilityAssessment(project_id=project_id, dataset_id=dataset.id, job_id=ctx.job.id, created_by_id=actor.id,
                                    target=spec.target, task=spec.task, metric=spec.metric.name, verdict="not_ready",
                                    measurements=m)
        _apply_scorecard(row, inputs, rules)
        s.add(row)
        s.flush()
        result = {"assessment_id": row.id, "score": row.score, "verdict": row.verdict,
                  "verdict_label": VERDICTS[row.verdict], "expected_value_per_month": row.expected_value_per_month}
        ctx.succeed(s, json_safe(result))


def get_assessment(session: Session, actor, assessment_id: int) -> FeasibilityPublic:
    require(actor, "feasibility.read")
    row = session.get(FeasibilityAssessment, assessment_id)
    if row is None or not allowed(actor, "feasibility.read", Access(session, actor).project(row.project_id)):
        raise NotFoundError(f"Feasibility assessment {assessment_id} does not exist.")
    return FeasibilityPublic.model_validate(row)


def list_assessments(session: Session, actor, project_id: int) -> list[FeasibilityPublic]:
    project_for(session, actor, "feasibility.read", project_id)
    rows = session.exec(select(FeasibilityAssessment).where(FeasibilityAssessment.project_id == project_id)
                        .order_by(FeasibilityAssessment.id.desc()))
    return [FeasibilityPublic.model_validate(r) for r in rows]


def latest_assessment(session: Session, actor, project_id: int) -> FeasibilityPublic:
    found = list_assessments(session, actor, project_id)
    if not found:
        raise NotFoundError(f"Project {project_id} has no feasibility assessment yet; run one first "
                            "(automl-canvas feasibility PROJECT --dataset ... --target ...).")
    return found[0]


def portfolio(session: Session, actor, *, include_archived: bool = False) -> list[PortfolioEntry]:
    """Every project the actor may see, with its latest assessment, ranked by score, then expected value (unassessed last)."""
    require(actor, "portfolio.read")
    latest: dict[int, FeasibilityAssessment] = {}
    for row in session.exec(select(FeasibilityAssessment).order_by(FeasibilityAssessment.id)):
        latest[row.project_id] = row
    entries = []
    for p in Access(session, actor).filter("project.read", session.exec(select(Project).order_by(Project.id)), "project"):
        if p.archived and not include_archived:
            continue
        a = latest.get(p.id)
        entry = PortfolioEntry(rank=0, project_id=p.id, project_name=p.name, question=p.question)
        if a is not None:
            card = a.scorecard or {}
            entry = entry.model_copy(update={
                "assessment_id": a.id, "dataset_id": a.dataset_id, "target": a.target, "score": a.score,
                "verdict": a.verdict, "verdict_label": VERDICTS.get(a.verdict, a.verdict),
                "expected_value_per_month": a.expected_value_per_month, "impact_level": card.get("impact_level", "unknown"),
                "components": {c["name"]: c["points"] for c in card.get("components", [])},
                "missing_inputs": card.get("missing_inputs", []), "assessed_at": a.scored_at})
        entries.append(entry)
    entries.sort(key=lambda e: (e.assessment_id is None, -(e.score if e.score is not None else -1),
                                -(e.expected_value_per_month if e.expected_value_per_month is not None else float("-inf")),
                                e.project_name.lower()))
    return [e.model_copy(update={"rank": i}) for i, e in enumerate(entries, start=1)]
