"""Training use cases: check and queue a request; run it as a job; record the version."""

from __future__ import annotations

import math

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from ..auth.resources import dataset_for
from ..config import Settings
from ..datasets.service import get_dataset, load_columns, load_frame
from ..db import session_scope
from ..jobs import queue
from ..jobs.context import JobContext
from ..jobs.quotas import check_quota
from ..models import DatasetPublic, JobPublic, ModelVersion, ModelVersionPublic, User, UserPublic
from ..registry.artifacts import save_model
from ..registry.service import next_version_number
from ..serialization import json_safe
from .spec import ResolvedSpec, TrainingRequest, resolve_spec

__all__ = ["resolve_for_dataset", "run_training_job", "submit_training"]


def resolve_for_dataset(settings: Settings, dataset, request: TrainingRequest, engine: Engine | None = None) -> ResolvedSpec:
    """Check ``request`` against ``dataset``, with the leakage probe for its target (stored once, then reused).

    With ``engine`` the probe is computed on first use and stored on the dataset; without, a stored one is used
    or it is computed in memory.
    """
    from ..datasets.leakage import ensure_probe, probe_target, stored_probe

    leakage = None
    if request.target in {c["name"] for c in dataset.profile.get("columns") or []}:
        leakage = stored_probe(dataset.profile, request.target)
        if leakage is None:
            leakage = (ensure_probe(engine, settings, dataset, request.target) if engine is not None else
                       probe_target(load_frame(settings, dataset), request.target, max_classes=settings.max_classes))
    return resolve_spec(
        request,
        dataset.profile,
        lambda col: load_columns(settings, dataset, [col])[col],
        max_classes=settings.max_classes,
        default_seed=settings.default_seed,
        leakage=leakage,
    )


def submit_training(engine: Engine, settings: Settings, actor, dataset_id: int, request: TrainingRequest, priority: int = 0,
                    extra_payload: dict | None = None) -> JobPublic:
    """Validate the request now (clear errors before anything is queued), then queue it.

    ``extra_payload``: what the job does once the version exists (``retrain``: compare with the
    deployed version and share it for review; see automl_canvas/monitoring/retrain.py).
    """
    with session_scope(engine) as s:  # editors and owners of the dataset's project
        dataset = DatasetPublic.model_validate(dataset_for(s, actor, "model.train", dataset_id))
    spec = resolve_for_dataset(settings, dataset, request, engine)
    with session_scope(engine) as s:
        check_quota(s, settings, actor, budget_seconds=spec.budget_seconds)
        job = queue.enqueue(
            s,
            kind="train",
            payload={"dataset_id": dataset_id, "request": request.model_dump(), "resolved": spec.to_dict(),
                     **(extra_payload or {})},
            created_by_id=actor.id,
            project_id=dataset.project_id,
            priority=priority,
            time_limit_seconds=settings.time_limit_for(spec.budget_seconds),
            max_attempts=settings.job_max_attempts,
        )
        return JobPublic.model_validate(job)


def _finite(x: float) -> float:
    return x if isinstance(x, (int, float)) and math.isfinite(x) else float("nan")


def run_training_job(ctx: JobContext) -> None:
    """Job handler: train, store the artifact, then record the version and finish the job in one commit."""
    settings, engine = ctx.settings, ctx.engine
    with session_scope(engine) as s:
        actor = UserPublic.model_validate(s.get(User, ctx.job.created_by_id))
        dataset = get_dataset(s, actor, ctx.job.payload["dataset_id"])
    request = TrainingRequest.model_validate(ctx.job.payload["request"])
    spec = resolve_for_dataset(settings, dataset, request, engine)
    df = load_frame(settings, dataset)
    from .trainer import train

    outcome = train(
        df,
        spec,
        n_jobs=settings.n_jobs,
        holdout_fraction=settings.holdout_fraction,
        validation_fraction=settings.validation_fraction,
        cv_max_rows=settings.cv_max_rows,
        cv_folds=settings.cv_folds,
        refit_full=settings.refit_full,
        portfolio_first=settings.portfolio,
        ensemble=settings.ensemble,
        dataset_sha256=dataset.sha256,
        progress=lambda **kw: ctx.progress(**kw),
        ray_address=settings.ray_address,
        concurrent_trials=settings.ray_concurrent_trials,
    )
    retrain = ctx.job.payload.get("retrain")
    comparison = None
    if retrain:
        from ..monitoring.retrain import compare_with_deployed
        from ..registry.service import get_version

        ctx.progress(stage="comparing with the deployed version", force=True)
        with session_scope(engine) as s:
            parent = get_version(s, actor, retrain["version_id"])
        comparison = compare_with_deployed(settings, parent, outcome.model, df, spec, settings.holdout_fraction,
                                           settings.validation_fraction)
    ctx.progress(stage="saving the model", force=True)
    digest, rel, size = save_model(settings, outcome.model)
    for attempt in range(5):
        try:
            with ctx.write() as s:  # fenced: nothing is committed if another worker took the job over
                version = _record_version(s, ctx, dataset, spec, outcome, digest, rel, size)
                result = {
                    "version_id": version.id,
                    "version": version.version,
                    "task": version.task,
                    "metric": version.metric,
                    "holdout_score": version.holdout_score,
                    "baseline_score": version.baseline_score,
                    "default_model_score": version.default_model_score,
                    "best_learner": version.best_learner,
                    "artifact_sha256": version.artifact_sha256,
                }
                if retrain:
                    from ..monitoring.retrain import enter_review

                    enter_review(s, settings, actor, version.id, retrain, comparison)
                    result["comparison"] = json_safe(comparison)
                    result["retrain_of_version_id"] = retrain["version_id"]
                if settings.evidence_after_training:
                    from ..evidence.service import enqueue_evidence

                    evidence_job = enqueue_evidence(s, settings, version_id=version.id, project_id=version.project_id,
                                                    created_by_id=version.created_by_id)
                    result["evidence_job_id"] = evidence_job.id
                ctx.succeed(s, result)
                return
        except sa.exc.IntegrityError:  # two versions numbered at once in one project: renumber
            if attempt == 4:
                raise


def _record_version(s: Session, ctx: JobContext, dataset, spec: ResolvedSpec, outcome, digest: str, rel: str, size: int) -> ModelVersionPublic:
    version = ModelVersion(
        project_id=dataset.project_id,
        dataset_id=dataset.id,
        job_id=ctx.job.id,
        version=next_version_number(s, dataset.project_id),
        created_by_id=ctx.job.created_by_id,
        task=spec.task,
        target=spec.target,
        metric=spec.metric.name,
        higher_is_better=spec.metric.higher_is_better,
        best_learner=outcome.best_learner,
        holdout_score=_finite(outcome.holdout_score),
        baseline_score=_finite(outcome.baseline_score),
        default_model_score=_finite(outcome.default_model_score),
        validation_score=_finite(outcome.validation_score),
        artifact_sha256=digest,
        artifact_path=rel,
        artifact_size=size,
        metrics=json_safe(outcome.metrics),
        cv_metrics=json_safe(outcome.cv_metrics),
        leaderboard=json_safe(outcome.leaderboard),
        recipe=json_safe(outcome.recipe),
        feature_schema=json_safe(outcome.feature_schema),
        notes=outcome.notes,
        leakage_suspects=list(spec.leaks_kept),  # suspected leaks it uses (put back by the analyst)
        operating_point=json_safe(outcome.operating_point),
    )
    s.add(version)
    s.flush()
    return ModelVersionPublic.model_validate(version)
