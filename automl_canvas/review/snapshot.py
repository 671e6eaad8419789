"""The evidence a decision is taken on, frozen into the decision record.

Later readers (auditors, the model card, deployment tooling) see exactly what
the reviewer saw, even if the evidence is recomputed afterwards.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from ..models import Evidence, ModelVersion
from ..registry.grade import grade_version
from .policy import CheckResult

__all__ = ["build_snapshot"]


def build_snapshot(session: Session, version: ModelVersion, checks: list[CheckResult]) -> dict[str, Any]:
    evidence = {r.kind: r for r in session.exec(select(Evidence).where(Evidence.version_id == version.id,
                                                                     Evidence.candidate == 0))}
    cv = version.cv_metrics or {}
    explanations = evidence.get("explanations")
    fairness = evidence.get("fairness")
    reproduced = evidence.get("reproducibility")
    return {
        "artifact_sha256": version.artifact_sha256,
        "version": {"id": version.id, "project_id": version.project_id, "version": version.version,
                    "task": version.task, "target": version.target, "best_learner": version.best_learner},
        "grade": grade_version(version).to_dict(),
        "metrics": {
            "metric": version.metric, "higher_is_better": version.higher_is_better,
            "holdout": version.holdout_score, "baseline": version.baseline_score,
            "default_model": version.default_model_score, "validation": version.validation_score,
            "cv": cv, "holdout_all": version.metrics,
        },
        "policy": [c.to_dict() for c in checks],
        "fairness": [c.to_dict() for c in checks if c.name.startswith("fairness")],
        "fairness_findings": (fairness.summary.get("findings", []) if fairness else []),
        "top_features": (explanations.summary.get("top_features", []) if explanations else []),
        "leakage_suspects": list(version.leakage_suspects or []),
        # the cut-off every prediction of a binary version uses: part of what is approved
        "operating_point": ({k: version.operating_point.get(k) for k in ("mode", "value", "threshold", "chosen_on", "chosen_by",
                                                                          "holdout", "sentence")}
                            if version.operating_point else None),
        "reproducibility": (reproduced.summary if reproduced else None),
        "evidence": {k: {"id": r.id, "computed_at": r.created_at.isoformat(), "files": {n: f.get("sha256") for n, f in r.files.items()}}
                     for k, r in evidence.items()},
        "recipe": {k: version.recipe.get(k) for k in ("learner", "hyperparameters", "seed", "dataset_sha256", "libraries")},
    }
