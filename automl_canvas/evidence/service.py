"""Evidence use cases: queue the evidence job, run it, read what it stored,
explain a what-if row.

The job writes its files first (content-addressed, so a failed job leaves at
worst unreferenced files, never a half-written row), then replaces the
version's evidence rows and finishes the job in one transaction.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine
from sqlmodel import Session, delete, select

from ..auth.policy import require
from ..auth.resources import version_for
from ..config import Settings
from ..datasets.service import get_dataset, load_frame
from ..db import session_scope
from ..errors import NotFoundError, ValidationError
from ..explain import Explanation, explain_row
from ..jobs import queue
from ..jobs.context import JobContext
from ..jobs.quotas import check_quota
from ..models import COMPUTED_EVIDENCE_KINDS, Evidence, EvidencePublic, JobPublic, ModelVersionPublic, User, UserPublic
from ..registry.plain_language import typical_row
from ..registry.service import get_version, load_model, version_threshold
from ..serialization import json_safe
from ..training.refit import candidate_config, rebuild
from . import store
from .compute import EvidenceOptions, compute_evidence

__all__ = ["enqueue_evidence", "explain_version_row", "explain_what_if", "explanation_background", "get_evidence", "list_evidence", "load_document", "load_explanation",
           "run_evidence_job", "submit_evidence"]


def enqueue_evidence(session: Session, settings: Settings, *, version_id: int, project_id: int, created_by_id: int,
                     candidate: int = 0) -> JobPublic:
    """Queue an evidence job in the caller's transaction (training uses this after recording a version)."""
    job = queue.enqueue(
        session, kind="evidence", payload={"version_id": version_id, "candidate": candidate},
        created_by_id=created_by_id, project_id=project_id,
        time_limit_seconds=settings.job_default_time_limit_seconds, max_attempts=settings.job_max_attempts,
    )
    return JobPublic.model_validate(job)


def submit_evidence(engine: Engine, settings: Settings, actor, version_id: int, candidate: int = 0) -> JobPublic:
    """Compute (again) the evidence of a version, or explain leaderboard candidate ``candidate``."""
    with session_scope(engine) as s:  # the project's editors, and reviewers
        version = ModelVersionPublic.model_validate(version_for(s, actor, "evidence.compute", version_id))
        if candidate:
            candidate_config(version.leaderboard, candidate)  # a clear error now, not in the job
        check_quota(s, settings, actor)
        return enqueue_evidence(s, settings, version_id=version.id, project_id=version.project_id,
                                created_by_id=actor.id, candidate=candidate)


def run_evidence_job(ctx: JobContext) -> None:
    settings, engine = ctx.settings, ctx.engine
    version_id, candidate = ctx.job.payload["version_id"], int(ctx.job.payload.get("candidate", 0))
    with session_scope(engine) as s:
        actor = UserPublic.model_validate(s.get(User, ctx.job.created_by_id))
        version = get_version(s, actor, version_id)
        dataset = get_dataset(s, actor, version.dataset_id)
    recipe = version.recipe
    ctx.progress(stage="rebuilding the holdout", force=True)
    setting = rebuild(load_frame(settings, dataset), recipe)
    task, seed = version.task, int(recipe["seed"])
    if candidate:
        learner, config = candidate_config(version.leaderboard, candidate)
        ctx.progress(stage=f"refitting candidate {candidate} ({learner})", force=True)
        eval_model = setting.fit_model(task, version.target, learner, config, seed, settings.n_jobs)
        explained = eval_model
    elif version.origin == "mitigation":
        eval_model = load_model(settings, version)  # fit on train + validation by construction
        explained = eval_model.parent  # the scores it thresholds
    else:
        explained = load_model(settings, version)
        ctx.progress(stage="refitting the evaluation model", force=True)
        eval_model = setting.fit_model(task, version.target, recipe["learner"], recipe["hyperparameters"], seed, settings.n_jobs,
                                       threshold=version_threshold(version))
    options = EvidenceOptions(shap_max_rows=settings.shap_max_rows, min_group_size=settings.fairness_min_group_size,
                              n_bootstrap=settings.fairness_bootstrap, seed=seed,
                              favourable_outcome=recipe.get("favourable_outcome"),
                              min_selection_rate=settings.fairness_min_selection_rate, min_tpr=settings.fairness_min_tpr)
    items = compute_evidence(task, setting, eval_model=eval_model, explained_model=explained,
                             sensitive=list(recipe.get("sensitive_columns") or []), classes=setting.rows.classes,
                             options=options, progress=lambda **kw: ctx.progress(**kw))
    ctx.progress(stage="saving the evidence", force=True)
    stored = []
    for item in items:
        files = {name: (store.save_frame(settings, doc) if isinstance(doc, pd.DataFrame) else store.save_json(settings, doc))
                 for name, doc in item.documents.items()}
        stored.append((item.kind, json_safe(item.summary), files))
    with ctx.write() as s:  # fenced: nothing is committed if another worker took the job over
        s.exec(delete(Evidence).where(Evidence.version_id == version_id, Evidence.candidate == candidate,
                                      Evidence.kind.in_(COMPUTED_EVIDENCE_KINDS)))
        for kind, summary, files in stored:
            s.add(Evidence(version_id=version_id, kind=kind, candidate=candidate, job_id=ctx.job.id, summary=summary, files=files))
        result = {"version_id": version_id, "candidate": candidate, "kinds": [k for k, _, _ in stored]}
        ctx.succeed(s, result)


def list_evidence(session: Session, actor, version_id: int) -> list[EvidencePublic]:
    require(actor, "evidence.read")
    get_version(session, actor, version_id)
    rows = session.exec(select(Evidence).where(Evidence.version_id == version_id).order_by(Evidence.candidate, Evidence.kind))
    return [EvidencePublic.model_validate(r) for r in rows]


def get_evidence(session: Session, actor, version_id: int, kind: str, candidate: int = 0) -> EvidencePublic:
    require(actor, "evidence.read")
    get_version(session, actor, version_id)
    row = session.exec(select(Evidence).where(Evidence.version_id == version_id, Evidence.kind == kind,
                                              Evidence.candidate == candidate)).one_or_none()
    if row is None:
        which = f"candidate {candidate} of version {version_id}" if candidate else f"version {version_id}"
        raise NotFoundError(f"No {kind} evidence has been computed for {which} yet; run the evidence job first.")
    return EvidencePublic.model_validate(row)


def load_explanation(settings: Settings, evidence: EvidencePublic):
    """The stored SHAP explanation as an :class:`automl_canvas.explain.Explanation` (digests checked)."""
    return Explanation.from_frames(load_document(settings, evidence, "values"), load_document(settings, evidence, "data"),
                                   load_document(settings, evidence, "meta"))


def load_document(settings: Settings, evidence: EvidencePublic, name: str) -> Any:
    """One stored document (a dict or a DataFrame), read only if its digest matches."""
    entry = evidence.files.get(name)
    if entry is None:
        raise NotFoundError(f"The {evidence.kind} evidence has no document named '{name}'.")
    return store.load_frame(settings, entry) if entry["format"] == "parquet" else store.load_json(settings, entry)


def explain_what_if(engine: Engine, settings: Settings, actor, version_id: int, row: dict[str, Any]) -> dict[str, Any]:
    """Prediction and SHAP contributions for one row a user typed in (fast: no job)."""
    require(actor, "model.predict")
    with session_scope(engine) as s:
        version = get_version(s, actor, version_id)
        background = explanation_background(s, settings, actor, version_id)
    if not isinstance(row, dict) or not row:
        raise ValidationError("A what-if row must be a non-empty mapping of column names to values.")
    return json_safe({"version_id": version_id, **explain_version_row(settings, version, background, row)})


def warm_what_if(engine: Engine, settings: Settings, actor, version_id: int) -> None:
    """Make this process's first what-if and batch for ``version_id`` fast: one what-if on the form's typical case.

    An analyst's first what-if took 31.6 s on a busy machine and a 100-row batch 32.6 s: the first call pays for
    importing SHAP, reading and hashing the artifact, loading the stored background rows and building the
    explainer. Run from a background thread when Results opens, it leaves all of that cached in the process
    (the verified model, the prepared explainer), so the questions the analyst asks next cost only themselves.
    Permission is the what-if's own (``model.predict``)."""
    with session_scope(engine) as s:
        schema = get_version(s, actor, version_id).feature_schema
    explain_what_if(engine, settings, actor, version_id, typical_row(schema))


#: Background rows already read and verified, by their store and the digest of their file: a what-if or an API explain
#: asks for them on every call, and re-reading, re-hashing and parsing the Parquet file each time was a large part
#: of the call.  A stored file never changes under its digest, so the frame read once is the frame; it is only
#: handed out to readers (the explainers encode their own copy).
_BACKGROUNDS: OrderedDict[tuple[str | None, str, str], pd.DataFrame] = OrderedDict()
_BACKGROUNDS_MAX = 8
_backgrounds_lock = threading.Lock()


def explanation_background(session: Session, settings: Settings, actor, version_id: int) -> pd.DataFrame | None:
    """The background rows stored with the version's explanations (None before the evidence job ran)."""
    try:
        evidence = get_evidence(session, actor, version_id, "explanations")
    except NotFoundError:
        return None
    entry = evidence.files.get("background") or {}
    key = (settings.store_url, str(settings.artifact_dir), str(entry.get("sha256")))
    with _backgrounds_lock:
        if entry and key in _BACKGROUNDS:
            _BACKGROUNDS.move_to_end(key)
            return _BACKGROUNDS[key]
    frame = load_document(settings, evidence, "background")  # verified against the digest, or IntegrityError
    if entry:
        with _backgrounds_lock:
            _BACKGROUNDS[key] = frame
            while len(_BACKGROUNDS) > _BACKGROUNDS_MAX:
                _BACKGROUNDS.popitem(last=False)
    return frame


def explain_version_row(settings: Settings, version, background: pd.DataFrame | None, row: dict[str, Any], *,
                        predict: bool = True) -> dict[str, Any]:
    """Prediction and per-feature SHAP contributions of one row (callers have checked the actor).

    ``predict=False``: the contributions alone, for a caller that has already scored the row (the API's
    ``explain=true`` path); a second prediction of the same row was a third of that request's time."""
    model = load_model(settings, version)
    base = getattr(model, "parent", model)  # a mitigated model explains through its parent
    # Columns of the dataset the model leaves out (IDs, sensitive ones) may come
    # with a row copied from the data; truly unknown fields are refused by name.
    ignored = set(version.feature_schema.get("dropped_columns") or {}) | {version.target}
    explanation = explain_row(base, {k: v for k, v in row.items() if k not in ignored}, background=background)
    outputs = []
    for k, name in enumerate(explanation.output_names):
        table = explanation.row(0, output=k)
        outputs.append({"output": name, "base_value": table.attrs["base_value"], "output_value": table.attrs["output_value"],
                        "contributions": table.to_dict(orient="records")})
    answer: dict[str, Any] = {"output_space": explanation.output_space, "explanation": outputs}
    if predict:
        answer["prediction"] = model.predict_frame(pd.DataFrame([row])).iloc[0].to_dict()
    return json_safe(answer)
