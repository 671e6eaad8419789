"""Monitoring: true outcomes, pushed predictions, health, checks over time, and retraining from an alert."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from automl_canvas.models import JobPublic, MonitoringCheckPublic
from automl_canvas.monitoring.feedback import feedback_from_file, push_predictions, record_feedback
from automl_canvas.monitoring.retrain import retrain_from_feedback
from automl_canvas.monitoring.service import list_checks, monitored_versions, monitoring_overview, submit_check, version_health

from ..deps import Id, RequestCtx, ctx_dep
from ..outputs import FeedbackOut, MonitoredVersionOut, MonitoringOut, PushOut, RetrainOut, VersionHealthOut
from ..responses import error_responses
from ..schemas import FeedbackIn, PushPredictionsIn, RetrainIn
from ..uploads import UPLOAD_BODY, receive_upload

router = APIRouter(tags=["monitoring"])

#: Monitoring follows deployed versions: asking about one that never was is a state conflict, not a missing thing.
_NEVER_DEPLOYED = error_responses(409, words={409: "The version was never deployed; monitoring follows deployed "
                                              "versions (record a deployment first)."})


def _flush(ctx: RequestCtx) -> None:
    """Predictions this process served a moment ago are written before feedback looks for them."""
    if ctx.prediction_log is not None:
        ctx.prediction_log.flush()


@router.post("/model-versions/{version_id}/feedback", responses={200: {"model": FeedbackOut}},
             summary="True outcomes of logged predictions (by request id and row); unknown ids are reported")
def feedback(version_id: Id, body: FeedbackIn, ctx: ctx_dep):
    _flush(ctx)
    with ctx.session() as s:
        return record_feedback(s, ctx.settings, ctx.actor, version_id, body.feedback)


@router.post("/model-versions/{version_id}/feedback/file", openapi_extra=UPLOAD_BODY, responses={200: {"model": FeedbackOut}},
             summary="True outcomes as a CSV/Excel/Parquet file: request_id, actual (or the target's name), row")
async def feedback_file(version_id: Id, request: Request, ctx: ctx_dep):
    upload = await receive_upload(request, ctx.settings.artifact_dir / "tmp", ctx.settings.max_upload_bytes)
    try:
        await run_in_threadpool(_flush, ctx)

        def work():
            with ctx.session() as s:
                return feedback_from_file(s, ctx.settings, ctx.actor, version_id, upload.path, upload.filename)

        return await run_in_threadpool(work)
    finally:
        upload.discard()


@router.post("/model-versions/{version_id}/predictions", responses={200: {"model": PushOut}},
             summary="Log predictions served outside AutoML Canvas (deployment tooling that runs the model itself)")
def push(version_id: Id, body: PushPredictionsIn, ctx: ctx_dep):
    with ctx.session() as s:
        return push_predictions(s, ctx.settings, ctx.actor, version_id, body.predictions)


@router.get("/model-versions/{version_id}/health", responses={200: {"model": VersionHealthOut}, **_NEVER_DEPLOYED},
            summary="One-word health for the analyst: still accurate / needs attention")
def health(version_id: Id, ctx: ctx_dep):
    with ctx.session() as s:
        return version_health(s, ctx.actor, version_id)


@router.get("/model-versions/{version_id}/monitoring", responses={200: {"model": MonitoringOut}, **_NEVER_DEPLOYED},
            summary="Health, prediction-log counts, every check (drift per feature, live vs holdout metric) and alerts")
def overview(version_id: Id, ctx: ctx_dep, limit: Annotated[int, Query(ge=1, le=1000)] = 100):
    _flush(ctx)
    with ctx.session() as s:
        return monitoring_overview(s, ctx.actor, version_id, limit)


@router.get("/model-versions/{version_id}/monitoring/checks", response_model=list[MonitoringCheckPublic],
            responses=_NEVER_DEPLOYED)
def checks(version_id: Id, ctx: ctx_dep, limit: Annotated[int, Query(ge=1, le=1000)] = 100):
    with ctx.session() as s:
        return list_checks(s, ctx.actor, version_id, limit)


@router.post("/model-versions/{version_id}/monitoring/checks", response_model=JobPublic, status_code=202,
             summary="Check now (a job: poll /jobs/{id}); the worker also checks deployed versions on a schedule")
def check_now(version_id: Id, ctx: ctx_dep):
    _flush(ctx)
    return submit_check(ctx.engine, ctx.settings, ctx.actor, version_id)


@router.post("/model-versions/{version_id}/retrain", status_code=202, responses={202: {"model": RetrainOut}},
             summary="Retrain on the original data plus the labelled feedback; the new version is shared for review")
def retrain(version_id: Id, ctx: ctx_dep, body: RetrainIn | None = None):
    _flush(ctx)
    out = retrain_from_feedback(ctx.engine, ctx.settings, ctx.actor, version_id,
                                body.alert_event_id if body is not None else None)
    return {**out, "job": out["job"].model_dump(mode="json")}


@router.get("/monitoring", responses={200: {"model": list[MonitoredVersionOut]}}, summary="Every deployed (or once deployed) version with its health")
def monitored(ctx: ctx_dep):
    with ctx.session() as s:
        return monitored_versions(s, ctx.actor)
