"""The training job: train, store the artifact, record the version, then what follows it.

A handler above the workflows, so what follows a version is plain calls, not back-edges: a retrain is
compared with the deployed version and shared for review (``monitoring.retrain``), and the evidence job
is queued (``evidence.service``).
"""

from __future__ import annotations

import math

import sqlalchemy as sa
from sqlmodel import Session

from ..datasets.service import get_dataset, load_frame
from ..db import session_scope
from ..evidence.service import enqueue_evidence
from ..jobs.context import JobContext
from ..models import ModelVersion, ModelVersionPublic, User, UserPublic
from ..monitoring.retrain import compare_with_deployed, enter_review
from ..registry.artifacts import save_model
from ..registry.service import get_version, next_version_number
from ..serialization import json_safe
from ..services.training import resolve_for_dataset
from ..training.spec import ResolvedSpec, TrainingRequest
from ..training.trainer import train

__all__ = ["run_training_job"]


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
                    enter_review(s, settings, actor, version.id, retrain, comparison)
                    result["comparison"] = json_safe(comparison)
                    result["retrain_of_version_id"] = retrain["version_id"]
                if settings.evidence_after_training:
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
