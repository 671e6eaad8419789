"""Mitigated candidates: a new model version whose decisions are thresholded per
group of a sensitive column (fairlearn's ThresholdOptimizer), with lineage to
its parent and a before/after comparison.

Honest comparison: the parent's recorded configuration is refit on the
*train* rows only, the group thresholds are fitted on the *validation* rows
(scores the model did not learn from), and both the unmitigated and the
mitigated model are measured on the same untouched holdout.

Honest verdict: a candidate that widens the disparity it targets, or loses
more of the primary metric than ``settings.mitigation_max_metric_loss``, is
labelled "worse — not recommended" (``fairness.verdicts.mitigation_verdict``)
in its comparison, its notes and its recipe; the approval policy recomputes
the same verdict from the recipe's numbers, so the label and the check agree.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy.engine import Engine

from ..auth.policy import require
from ..config import Settings
from ..datasets.service import get_dataset, load_frame
from ..db import session_scope
from ..errors import ValidationError
from ..fairness import compare, fairness_report, mitigate, mitigation_verdict
from ..jobs import queue
from ..jobs.context import JobContext
from ..jobs.quotas import check_quota
from ..models import JobPublic, ModelVersion, User, UserPublic
from ..registry.artifacts import save_model
from ..registry.service import get_version, next_version_number
from ..serialization import json_safe
from ..training.metrics import evaluate, score
from ..training.pipeline import CanvasModel
from ..training.refit import rebuild
from ..training.trainer import fit_estimator
from .compute import predict_original
from .service import enqueue_evidence

__all__ = ["CONSTRAINTS", "run_mitigation_job", "submit_mitigation"]

CONSTRAINTS = ("demographic_parity", "equalized_odds")


def submit_mitigation(engine: Engine, settings: Settings, actor, version_id: int, sensitive_column: str,
                      constraint: str = "demographic_parity") -> JobPublic:
    """Check the request now (clear errors, nothing queued), then queue the mitigation job."""
    require(actor, "model.mitigate")
    if constraint not in CONSTRAINTS:
        raise ValidationError(f"Unknown fairness constraint '{constraint}'; choose one of: {', '.join(CONSTRAINTS)}.")
    with session_scope(engine) as s:
        version = get_version(s, actor, version_id)
        if version.task != "binary":
            raise ValidationError(f"Mitigation by group thresholds works for yes/no (binary) models; version {version_id} is {version.task}.")
        if version.origin == "mitigation":
            raise ValidationError(f"Version {version_id} is already a mitigated candidate; mitigate its parent {version.parent_version_id} instead.")
        dataset = get_dataset(s, actor, version.dataset_id)
        columns = [c["name"] for c in dataset.profile["columns"]]
        if sensitive_column not in columns or sensitive_column == version.target:
            raise ValidationError(f"The sensitive column '{sensitive_column}' is not a column of version {version_id}'s dataset.")
        check_quota(s, settings, actor)
        job = queue.enqueue(s, kind="mitigate", created_by_id=actor.id, project_id=version.project_id,
                            payload={"version_id": version_id, "sensitive_column": sensitive_column, "constraint": constraint},
                            time_limit_seconds=settings.job_default_time_limit_seconds, max_attempts=settings.job_max_attempts)
        return JobPublic.model_validate(job)


def _holdout_assessment(task: str, model, setting, column: str, classes: list[Any], metric: str, seed: int,
                        settings: Settings, favourable=None) -> tuple[float, dict[str, float], Any]:
    """(metric, every metric, fairness report on ``column``) of ``model`` on the holdout, from one prediction."""
    rows = setting.original("holdout")
    _, y = setting.encoded("holdout")
    proba, pred = predict_original(model, rows)
    labels = np.asarray(classes, dtype=object)
    report = fairness_report(task, labels[y], labels[pred], rows[[column]].reset_index(drop=True), proba=proba,
                             classes=list(classes), positive_label=classes[1], min_group_size=settings.fairness_min_group_size,
                             n_bootstrap=settings.fairness_bootstrap, seed=seed, favourable_label=favourable,
                             min_selection_rate=settings.fairness_min_selection_rate, min_tpr=settings.fairness_min_tpr)
    return score(task, metric, y, proba, pred), evaluate(task, y, proba, pred), report


def _learner_name(full: str, parent_learner: str, limit: int = 64) -> str:
    """The version's learner column holds 64 characters; the constraint is in the recipe anyway."""
    return full if len(full) <= limit else f"{parent_learner}+thresholds"[:limit]


def run_mitigation_job(ctx: JobContext) -> None:
    settings, engine, p = ctx.settings, ctx.engine, ctx.job.payload
    with session_scope(engine) as s:
        actor = UserPublic.model_validate(s.get(User, ctx.job.created_by_id))
        parent = get_version(s, actor, p["version_id"])
        dataset = get_dataset(s, actor, parent.dataset_id)
    recipe, task, column, constraint = parent.recipe, parent.task, p["sensitive_column"], p["constraint"]
    seed = int(recipe["seed"])
    ctx.progress(stage="refitting the parent on the training rows", force=True)
    setting = rebuild(load_frame(settings, dataset), recipe)
    X_tr, y_tr = setting.encoded("train")
    est = fit_estimator(task, recipe["learner"], recipe["hyperparameters"], seed, settings.n_jobs, X_tr, y_tr)
    classes = setting.rows.classes
    unmitigated = CanvasModel(task=task, target=parent.target, learner=recipe["learner"], preprocessor=setting.preprocessor,
                              estimator=est, classes=classes)
    ctx.progress(stage="fitting group thresholds on the validation rows", force=True)
    _, y_val = setting.encoded("validation")
    mitigated = mitigate(unmitigated, setting.original("validation"), np.asarray(classes, dtype=object)[y_val], column,
                         constraint, seed)
    ctx.progress(stage="comparing on the holdout", force=True)
    favourable = recipe.get("favourable_outcome")
    before_score, before_metrics, before_fair = _holdout_assessment(task, unmitigated, setting, column, classes, parent.metric,
                                                                    seed, settings, favourable)
    after_score, after_metrics, after_fair = _holdout_assessment(task, mitigated, setting, column, classes, parent.metric,
                                                                 seed, settings, favourable)
    comparison = compare(before_fair, after_fair, before_metrics, after_metrics)
    verdict = mitigation_verdict(comparison, feature=column, constraint=constraint, metric=parent.metric,
                                 higher_is_better=parent.higher_is_better, max_metric_loss=settings.mitigation_max_metric_loss)
    comparison["verdict"] = json_safe(verdict.to_dict())
    comparison["summary"] = f"{verdict.label[:1].upper()}{verdict.label[1:]}: {comparison['summary']}"
    digest, rel, size = save_model(settings, mitigated)
    with ctx.write() as s:  # fenced: nothing is committed if another worker took the job over
        schema = dict(parent.feature_schema)
        schema["requires_sensitive_features"] = [column]
        schema["input_columns"] = list(mitigated.input_columns)
        version = ModelVersion(
            project_id=parent.project_id, dataset_id=parent.dataset_id, job_id=ctx.job.id, version=next_version_number(s, parent.project_id),
            created_by_id=ctx.job.created_by_id, task=task, target=parent.target, metric=parent.metric,
            higher_is_better=parent.higher_is_better, best_learner=_learner_name(mitigated.learner, recipe["learner"]),
            holdout_score=after_score,
            baseline_score=parent.baseline_score, default_model_score=parent.default_model_score, validation_score=None,
            artifact_sha256=digest, artifact_path=rel, artifact_size=size, origin="mitigation", parent_version_id=parent.id,
            metrics=json_safe({"model": after_metrics, "unmitigated": before_metrics, **{k: v for k, v in parent.metrics.items() if k != "model"}}),
            cv_metrics={}, leaderboard=parent.leaderboard,
            recipe=json_safe({**recipe, "mitigation": {"parent_version_id": parent.id, "sensitive_column": column,
                                                        "constraint": constraint, "thresholds_fit_on": "validation rows",
                                                        "parent_refit_on": "train rows",
                                                        # the numbers the policy's verdict is recomputed from
                                                        "comparison": {k: comparison[k] for k in ("performance", "fairness")},
                                                        "verdict": comparison["verdict"]}}),
            feature_schema=json_safe(schema),
            notes=[*parent.notes, {"severity": "info", "message": (
                f"Mitigated candidate of version {parent.version}: decisions are thresholded per '{column}' group "
                f"({constraint.replace('_', ' ')}). It needs '{column}' at prediction time.")},
                   {"severity": "warning" if verdict.worse else "info", "message": verdict.message}],
        )
        s.add(version)
        s.flush()
        result = {"version_id": version.id, "parent_version_id": parent.id, "comparison": json_safe(comparison),
                  "holdout_score_before": before_score, "holdout_score_after": after_score}
        if settings.evidence_after_training:
            result["evidence_job_id"] = enqueue_evidence(s, settings, version_id=version.id, project_id=version.project_id,
                                                         created_by_id=version.created_by_id).id
        ctx.succeed(s, result)
