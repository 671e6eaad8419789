"""Datasets: multipart upload (streamed to disk, size-limited), read, list."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from automl_canvas.datasets.service import get_dataset, ingest_file, list_datasets
from automl_canvas.models import DatasetPublic

from ..deps import Id, ctx_dep
from ..uploads import UPLOAD_BODY, receive_upload

router = APIRouter(tags=["datasets"])


@router.post("/projects/{project_id}/datasets", response_model=DatasetPublic, status_code=201, openapi_extra=UPLOAD_BODY,
             summary="Upload a CSV, Excel or Parquet file (multipart field 'file')")
async def upload_dataset(project_id: Id, request: Request, ctx: ctx_dep):
    upload = await receive_upload(request, ctx.settings.artifact_dir / "uploads", ctx.settings.max_upload_bytes)
    try:
        return await run_in_threadpool(ingest_file, ctx.engine, ctx.settings, ctx.actor, project_id, upload.path, upload.filename)
    finally:
        upload.discard()


@router.get("/projects/{project_id}/datasets", response_model=list[DatasetPublic])
def datasets(project_id: Id, ctx: ctx_dep):
    with ctx.session() as s:
        return list_datasets(s, ctx.actor, project_id)


@router.get("/datasets/{dataset_id}", response_model=DatasetPublic)
def dataset(dataset_id: Id, ctx: ctx_dep):
    with ctx.session() as s:
        return get_dataset(s, ctx.actor, dataset_id)
