"""Training use cases: check a request against its dataset and queue it.

The job that runs it is ``automl_canvas.runner.training_job`` (one layer up: once the version exists it
reacts across workflows: the retrain comparison, the review, the evidence job).
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

from ..auth.resources import dataset_for
from ..config import Settings
from ..datasets.leakage import ensure_probe, probe_target, stored_probe
from ..datasets.service import load_columns, load_frame
from ..db import session_scope
from ..jobs import queue
from ..jobs.quotas import check_quota
from ..models import DatasetPublic, JobPublic
from ..training.spec import ResolvedSpec, TrainingRequest, resolve_spec

__all__ = ["resolve_for_dataset", "submit_training"]


def resolve_for_dataset(settings: Settings, dataset, request: TrainingRequest, engine: Engine | None = None) -> ResolvedSpec:
    """Check ``request`` against ``dataset``, with the leakage probe for its target (stored once, then reused).

    With ``engine`` the probe is computed on first use and stored on the dataset; without, a stored one is used
    or it is computed in memory.
    """
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
    deployed version and share it for review; see automl_canvas/monitoring/retrain.py; run by automl_canvas/runner/training_job.py).
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
