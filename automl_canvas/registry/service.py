"""Model-version use cases: list, read, load (digest-checked), predict, reproduce."""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from ..audit import append
from ..auth.policy import require
from ..auth.resources import Access, project_for, version_for
from ..config import Settings
from ..datasets.parsing import read_table
from ..datasets.service import get_dataset, load_frame
from ..db import session_scope
from ..errors import ValidationError
from ..jobs import queue
from ..jobs.context import JobContext
from ..jobs.quotas import check_quota
from ..models import Evidence, JobPublic, ModelVersion, ModelVersionPublic, User, UserPublic
from ..serialization import json_safe
from ..training.metrics import resolve_metric, score
from ..training.pipeline import CanvasModel
from ..training.refit import rebuild
from .artifacts import load_verified_model

__all__ = ["append_predictions", "attach_predictions", "get_version", "list_versions", "load_model", "predict_file", "predict_frame", "reproduce_version", "run_reproduce_job", "submit_reproduce", "version_threshold"]


def list_versions(session: Session, actor, project_id: int | None = None, status: str | None = None) -> list[ModelVersionPublic]:
    """The versions the actor may see (of one project: NotFound when the actor may not see the project)."""
    require(actor, "model.read")
    stmt = select(ModelVersion).order_by(ModelVersion.id)
    if project_id is not None:
        project_for(session, actor, "model.read", project_id)
        stmt = stmt.where(ModelVersion.project_id == project_id)
    if status is not None:
        stmt = stmt.where(ModelVersion.status == status)
    rows = Access(session, actor).filter("model.read", session.exec(stmt), "version")
    return [ModelVersionPublic.model_validate(v) for v in rows]


def next_version_number(session: Session, project_id: int) -> int:
    """1, 2, 3… within a project (a unique constraint catches two writers racing)."""
    latest = session.exec(select(sa.func.max(ModelVersion.version)).where(ModelVersion.project_id == project_id)).one()
    return (latest or 0) + 1


def get_version(session: Session, actor, version_id: int) -> ModelVersionPublic:
    return ModelVersionPublic.model_validate(version_for(session, actor, "model.read", version_id))


_LOADED: OrderedDict[tuple[str, str], Any] = OrderedDict()
_LOADED_MAX = 8


def version_threshold(version) -> float | None:
    """The cut-off a binary version decides at: its stored operating point (None: the larger probability)."""
    point = getattr(version, "operating_point", None) or {}
    return point.get("threshold")


def load_model(settings: Settings, version: ModelVersionPublic):
    """The fitted model, unpickled only after its bytes match the recorded sha256, deciding at the version's
    operating point.

    A few verified models are kept in memory per process (keyed by digest and cut-off), so
    what-if requests do not re-read and re-hash the artifact each time; the
    object kept is the one unpickled from verified bytes.  The cut-off comes from
    the version row, not the pickle, so every door (what-if, batch, API, monitoring)
    decides at the point that was reviewed, and a new choice needs no new artifact.
    """
    threshold = version_threshold(version)
    key = (str(settings.artifact_dir), version.artifact_sha256, threshold)
    if key in _LOADED:
        _LOADED.move_to_end(key)
        return _LOADED[key]
    model = load_verified_model(settings, version.artifact_path, version.artifact_sha256)
    if isinstance(model, CanvasModel) and model.task == "binary":
        model = dataclasses.replace(model, threshold=threshold)
    _LOADED[key] = model
    while len(_LOADED) > _LOADED_MAX:
        _LOADED.popitem(last=False)
    return model


def predict_frame(settings: Settings, actor, version: ModelVersionPublic, rows: pd.DataFrame) -> pd.DataFrame:
    """The input rows with prediction columns appended (clear error for missing columns)."""
    require(actor, "model.predict")
    return append_predictions(load_model(settings, version), rows)


def append_predictions(model, rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` with the model's prediction columns appended (a clashing name gets a trailing _)."""
    return attach_predictions(rows, model.predict_frame(rows))


def attach_predictions(rows: pd.DataFrame, preds: pd.DataFrame) -> pd.DataFrame:
    clash = [c for c in preds.columns if c in rows.columns]
    return pd.concat([rows, preds.rename(columns={c: f"{c}_" for c in clash})], axis=1)


def predict_file(engine: Engine, settings: Settings, actor, version_id: int, path: Path, filename: str | None = None) -> pd.DataFrame:
    with session_scope(engine) as s:
        version = get_version(s, actor, version_id)
    rows = read_table(Path(path), filename or Path(path).name, max_bytes=settings.max_upload_bytes, max_columns=settings.max_columns, min_rows=1)
    return predict_frame(settings, actor, version, rows)


def reproduce_version(engine: Engine, settings: Settings, actor, version_id: int) -> dict[str, Any]:
    """Refit the version's recipe on its dataset and compare the holdout metric."""
    require(actor, "model.reproduce")
    with session_scope(engine) as s:
        version = get_version(s, actor, version_id)
        dataset = get_dataset(s, actor, version.dataset_id)
    recipe = version.recipe
    if recipe.get("dataset_sha256") != dataset.sha256:
        raise ValidationError(f"Version {version_id}'s recipe names a different dataset than the one stored with it.")
    task = recipe["task"]
    setting = rebuild(load_frame(settings, dataset), recipe)
    model = setting.fit_model(task, recipe["target"], recipe["learner"], recipe["hyperparameters"], int(recipe["seed"]), settings.n_jobs,
                              threshold=version_threshold(version))
    X_ho, y_ho = setting.encoded("holdout")
    metric = resolve_metric(task, recipe["metric"])
    proba, pred = model.predict_encoded(X_ho)
    value = score(task, metric.name, y_ho, proba, pred)
    return {
        "version_id": version.id,
        "metric": metric.name,
        "recorded_holdout_score": version.holdout_score,
        "reproduced_holdout_score": value,
        "difference": value - version.holdout_score,
        "learner": recipe["learner"],
        "libraries_then": recipe.get("libraries", {}),
    }


def submit_reproduce(engine: Engine, settings: Settings, actor, version_id: int) -> JobPublic:
    with session_scope(engine) as s:
        version = version_for(s, actor, "model.reproduce", version_id)
        check_quota(s, settings, actor)
        job = queue.enqueue(
            s,
            kind="reproduce",
            payload={"version_id": version_id},
            created_by_id=actor.id,
            project_id=version.project_id,
            time_limit_seconds=settings.job_default_time_limit_seconds,
        )
        return JobPublic.model_validate(job)


def run_reproduce_job(ctx: JobContext) -> None:
    """Refit and compare; the result joins the version's evidence (kind "reproducibility") and the audit log."""
    with session_scope(ctx.engine) as s:
        actor = UserPublic.model_validate(s.get(User, ctx.job.created_by_id))
    ctx.progress(stage="refitting from the recipe", force=True)
    result = json_safe(reproduce_version(ctx.engine, ctx.settings, actor, ctx.job.payload["version_id"]))
    with ctx.write() as s:  # fenced: the evidence row, the audit entry and the outcome commit together, or not at all
        version_id = ctx.job.payload["version_id"]
        row = s.exec(select(Evidence).where(Evidence.version_id == version_id, Evidence.kind == "reproducibility",
                                            Evidence.candidate == 0)).one_or_none()
        row = row or Evidence(version_id=version_id, kind="reproducibility", candidate=0, files={})
        row.summary, row.job_id = {**result, "job_id": ctx.job.id}, ctx.job.id
        s.add(row)
        append(s, actor, "version.reproduced", "model_version", version_id,
               {"difference": result.get("difference"), "job_id": ctx.job.id})
        ctx.succeed(s, result)


