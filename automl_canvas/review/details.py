"""What a reviewer reads under the hood of one version, as plain data.

The dashboard's tabs only render; what they show is decided here, so the
analyst app, a model card or the API can show the same facts: the leaderboard
and the search trajectory, the data findings that matter for this version, the
explained rows with their identifiers (a reviewer searches by application id,
which the model never saw), the reproducibility record against the libraries
installed now, and the mitigated candidates of a version with their
before/after comparison.
"""

from __future__ import annotations

import math
from importlib import metadata
from typing import Any

import pandas as pd
from sqlmodel import Session, select

from ..auth.policy import require
from ..auth.resources import Access
from ..config import Settings
from ..datasets.service import get_dataset, load_frame
from ..errors import ValidationError
from ..evidence.service import list_evidence
from ..models import Deployment, Evidence, EvidencePublic, Job, ModelVersion, ModelVersionPublic, Project, ReviewDecision, User
from ..registry.service import get_version
from ..training.trainer import prepare_rows

__all__ = ["ROW_POSITION", "data_summary", "evidence_by_kind", "explained_rows", "find_rows", "leaderboard_rows", "library_drift",
           "mitigated_candidates", "released_versions", "reproducibility_record", "search_trajectory"]

#: Column of :func:`explained_rows` holding the row's position in the explanation (what a waterfall takes).
ROW_POSITION = "explained_row"


def _compact(config: dict[str, Any]) -> str:
    def fmt(v: Any) -> str:
        return f"{v:.4g}" if isinstance(v, float) else str(v)

    return ", ".join(f"{k}={fmt(v)}" for k, v in sorted((config or {}).items())) or "(library defaults)"


def leaderboard_rows(version: ModelVersionPublic, learner: str | None = None) -> list[dict[str, Any]]:
    """Every candidate of the search (and the default model), best validation loss first."""
    rows = []
    for r in sorted(version.leaderboard, key=lambda r: r.get("rank", math.inf)):
        if learner and r.get("learner") != learner:
            continue
        rows.append({
            "rank": r.get("rank"), "learner": r.get("learner"), "source": r.get("source", "search"),
            "chosen": bool(r.get("chosen")), "validation_loss": r.get("validation_loss"),
            "validation_score": r.get("validation_score"), "train_seconds": r.get("train_seconds"),
            "found_after_seconds": r.get("wall_clock_seconds"), "sample_size": r.get("sample_size"),
            "hyperparameters": _compact(r.get("config") or {}), "trial": r.get("trial"),
        })
    return rows


def search_trajectory(version: ModelVersionPublic) -> list[dict[str, Any]]:
    """Search trials in the order they finished, with the best validation loss so far (the convergence curve)."""
    trials = [r for r in version.leaderboard if r.get("source", "search") == "search" and r.get("wall_clock_seconds") is not None]
    trials.sort(key=lambda r: (r["wall_clock_seconds"], r.get("trial", 0)))
    out, best = [], math.inf
    for r in trials:
        loss = r.get("validation_loss")
        if loss is not None and math.isfinite(loss):
            best = min(best, loss)
        out.append({"trial": r.get("trial"), "learner": r.get("learner"), "seconds": r["wall_clock_seconds"],
                    "validation_loss": loss, "best_so_far": None if math.isinf(best) else best})
    return out


def data_summary(session: Session, settings: Settings, actor, version_id: int) -> dict[str, Any]:
    """The dataset profile's findings plus what training did with the columns, for one version.

    Readiness: a dataset with a critical finding is not ready; the version's own
    leakage suspects (computed for its target when it was shared) are listed
    with the profile's.
    """
    require(actor, "review.read")
    version = get_version(session, actor, version_id)
    dataset = get_dataset(session, actor, version.dataset_id)
    profile, recipe = dataset.profile or {}, version.recipe or {}
    findings = [{"severity": f.get("severity"), "message": f.get("message"), "fix": f.get("fix"), "column": f.get("column")}
                for f in profile.get("findings", [])]
    critical = [f for f in findings if f["severity"] == "critical"]
    features = recipe.get("features") or {}
    sensitive = list(recipe.get("sensitive_columns") or [])
    inputs = set(version.feature_schema.get("input_columns") or [])
    leakage = list(version.leakage_suspects or [])
    warnings = [f"The model uses '{c}', which the leakage check flags as possibly leaking '{version.target}'." for c in leakage]
    warnings += [f"The dataset profile flags '{c}' as a possible leak." for c in profile.get("leakage_suspects") or []
                 if c not in leakage]
    split = recipe.get("n_rows") or {}
    return {
        "dataset": {"id": dataset.id, "name": dataset.name, "n_rows": dataset.n_rows, "n_columns": dataset.n_columns,
                    "sha256": dataset.sha256},
        "ready": not critical,
        "readiness": ("Ready: no critical finding in the data profile." if not critical else
                      f"Not ready: {len(critical)} critical finding(s) in the data profile."),
        "findings": findings,
        "leakage_suspects": leakage,
        "leakage_warnings": warnings,
        "split": {"train": split.get("train"), "validation": split.get("validation"), "holdout": split.get("holdout"),
                  "method": recipe.get("split", ""), "seed": recipe.get("seed"),
                  "model_selection": recipe.get("model_selection", "")},
        "dropped_columns": dict(features.get("dropped") or {}),
        "excluded_columns": list(recipe.get("excluded_columns") or []),
        "sensitive_columns": [{"column": c, "used_as_feature": c in inputs} for c in sensitive],
        "feature_kinds": dict(features.get("kinds") or {}),
        "class_balance": profile.get("class_balance"),
        "columns": [{"column": c.get("name"), "type": c.get("semantic_type"), "missing": c.get("missing_ratio"),
                     "distinct": c.get("n_unique")} for c in profile.get("columns", [])],
    }


def explained_rows(session: Session, settings: Settings, actor, version: ModelVersionPublic, explanation) -> pd.DataFrame:
    """The explained holdout rows with every original column (identifiers and target too), one per explanation row.

    The explanation keeps only the model's inputs; identifiers are dropped from
    the features, so they are joined back from the dataset by the recorded split.
    """
    require(actor, "evidence.read")
    dataset = get_dataset(session, actor, version.dataset_id)
    recipe = version.recipe
    rows = prepare_rows(load_frame(settings, dataset), recipe["task"], recipe["target"], int(recipe["seed"]),
                        recipe["holdout_fraction"], recipe["validation_fraction"]).X_raw
    labels = [r for r in explanation.row_index if r in rows.index]
    if len(labels) != len(explanation.row_index):  # a mitigated or foreign explanation: show what it holds
        frame = explanation.data.reset_index(drop=True)
    else:
        frame = rows.loc[labels].reset_index(drop=True)
    frame.insert(0, ROW_POSITION, range(len(frame)))
    return frame


def find_rows(frame: pd.DataFrame, query: str, limit: int = 50) -> pd.DataFrame:
    """Rows where any value contains ``query`` (case-insensitive); numbers also match exactly (``700`` finds 700.0)."""
    query = (query or "").strip()
    if not query:
        return frame.head(limit)
    if len(query) > 200:
        raise ValidationError("A row search can have at most 200 characters.")
    text = frame.astype("string").apply(lambda s: s.str.contains(query, case=False, regex=False, na=False))
    hit = text.any(axis=1)
    try:
        number = float(query)
    except ValueError:
        number = None
    if number is not None:
        numeric = frame.apply(lambda s: pd.to_numeric(s, errors="coerce")).eq(number).any(axis=1)
        hit |= numeric
    return frame[hit].head(limit)


def _installed(name: str) -> str | None:
    if name == "python":
        import platform

        return platform.python_version()
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def library_drift(recorded: dict[str, str]) -> list[dict[str, Any]]:
    """Each library the recipe recorded, against the version installed now (a refit may differ when they differ)."""
    out = []
    for name, then in sorted((recorded or {}).items()):
        now = _installed(name)
        out.append({"library": name, "at_training": then, "installed_now": now, "same": now == then})
    return out


def reproducibility_record(session: Session, actor, version_id: int) -> dict[str, Any]:
    """The recipe, the library versions then and now, and the latest reproduce result (None before one ran)."""
    require(actor, "review.read")
    version = get_version(session, actor, version_id)
    row = session.exec(select(Evidence).where(Evidence.version_id == version_id, Evidence.kind == "reproducibility",
                                              Evidence.candidate == 0)).one_or_none()
    result = None
    if row is not None:
        s = row.summary
        diff = s.get("difference")
        result = {**s, "computed_at": row.created_at,
                  "verdict": ("reproduced exactly" if diff == 0 else
                              f"reproduced within {abs(diff):.2g}" if diff is not None and abs(diff) < 1e-3 else
                              f"differs by {diff:+.4f}" if diff is not None else "no result")}
    recipe = dict(version.recipe or {})
    return {"recipe": recipe, "libraries": library_drift(recipe.get("libraries") or {}), "result": result,
            "artifact_sha256": version.artifact_sha256}


def mitigated_candidates(session: Session, actor, version_id: int) -> list[dict[str, Any]]:
    """Versions made from ``version_id`` by mitigation, each with the job's before/after comparison on the holdout."""
    require(actor, "review.read")
    get_version(session, actor, version_id)
    children = Access(session, actor).filter("review.read", session.exec(
        select(ModelVersion).where(ModelVersion.parent_version_id == version_id, ModelVersion.origin == "mitigation")
        .order_by(ModelVersion.id)), "version")
    out = []
    for child in children:
        job = session.get(Job, child.job_id) if child.job_id else None
        mitigation = (child.recipe or {}).get("mitigation") or {}
        out.append({"version": ModelVersionPublic.model_validate(child),
                    "sensitive_column": mitigation.get("sensitive_column"), "constraint": mitigation.get("constraint"),
                    "comparison": (job.result or {}).get("comparison") if job else None})
    return out


def evidence_by_kind(session: Session, actor, version_id: int, candidate: int = 0) -> dict[str, EvidencePublic]:
    """The version's evidence rows keyed by kind (what is there; missing kinds are simply absent)."""
    return {e.kind: e for e in list_evidence(session, actor, version_id) if e.candidate == candidate}



def released_versions(session: Session, actor) -> list[dict[str, Any]]:
    """Approved and deployed versions with who approved them, when, and where each runs now (or ran)."""
    require(actor, "review.read")
    rows = Access(session, actor).filter("review.read", session.exec(
        select(ModelVersion).where(ModelVersion.status.in_(("approved", "deployed")))
        .order_by(ModelVersion.status_changed_at.desc(), ModelVersion.id.desc())), "version")
    ids = [r.id for r in rows] or [-1]
    projects = {p.id: p.name for p in session.exec(select(Project))}
    users = {u.id: u.username for u in session.exec(select(User))}
    approvals: dict[int, Any] = {}
    for d in session.exec(select(ReviewDecision).where(ReviewDecision.version_id.in_(ids), ReviewDecision.decision == "approve")
                          .order_by(ReviewDecision.id)):
        approvals[d.version_id] = d  # the latest approval
    deployments: dict[int, list[dict[str, Any]]] = {}
    for d in session.exec(select(Deployment).where(Deployment.version_id.in_(ids)).order_by(Deployment.id)):
        deployments.setdefault(d.version_id, []).append(
            {"deployment_id": d.id, "environment": d.environment, "status": d.status, "reference": d.reference,
             "deployed_at": d.created_at, "ended_at": d.ended_at})
    out = []
    for r in rows:
        a = approvals.get(r.id)
        live = [d["environment"] for d in deployments.get(r.id, []) if d["status"] == "active"]
        out.append({"version_id": r.id, "project": projects.get(r.project_id, ""), "version": r.version, "status": r.status,
                    "task": r.task, "metric": r.metric, "holdout_score": r.holdout_score,
                    "artifact_sha256": r.artifact_sha256, "approved_by": users.get(a.actor_id, "") if a else "",
                    "approved_at": a.created_at if a else None, "overridden": bool(a and a.override_justification),
                    "running_in": ", ".join(live) or "not deployed", "deployments": deployments.get(r.id, [])})
    return out
