"""Jobs: queue a training job, poll its progress, cancel it."""

from __future__ import annotations

from fastapi import APIRouter

from automl_canvas.jobs.position import queue_position
from automl_canvas.jobs.service import cancel_job, get_job_for
from automl_canvas.models import JobPublic
from automl_canvas.services.training import submit_training
from automl_canvas.training.spec import TrainingRequest

from ..deps import Id, ctx_dep

router = APIRouter(tags=["jobs"])


@router.post("/datasets/{dataset_id}/training-jobs", response_model=JobPublic, status_code=202)
def train(dataset_id: Id, body: TrainingRequest, ctx: ctx_dep):
    return submit_training(ctx.engine, ctx.settings, ctx.actor, dataset_id, body)


@router.get("/jobs/{job_id}", response_model=JobPublic,
            summary="Status, progress (stage, trials, best score) and, while it waits, its place in the queue")
def job(job_id: Id, ctx: ctx_dep):
    with ctx.session() as s:
        found = get_job_for(s, ctx.actor, job_id)
        return found.model_copy(update={"queue": queue_position(s, found)})


@router.post("/jobs/{job_id}/cancel", response_model=JobPublic)
def cancel(job_id: Id, ctx: ctx_dep):
    with ctx.session() as s:
        return cancel_job(s, ctx.actor, job_id)
