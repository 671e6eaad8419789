"""The approval policy: checks a version must pass before it can be approved.

Defaults are in :data:`DEFAULT_RULES`; a project may override any of them
(``set_project_policy``).  Checks return plain results the decision record
freezes.  A failing check blocks approval unless the rule is overridable, the
project allows overrides, and the approver writes a justification.
Maker-checker (nobody approves what they built or shared) is not a check here:
it is never overridable and lives in ``review.service``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from sqlmodel import Session, select

from ..audit import append
from ..auth.policy import require
from ..config import Settings
from ..db import utcnow
from ..errors import NotFoundError, ValidationError
from ..evidence.service import load_document
from ..fairness import FairnessReport, mitigation_verdict, selection_health
from ..models import Evidence, EvidencePublic, ModelVersion, Project, ProjectPolicy
from ..registry.grade import lift_over_baseline

__all__ = ["DEFAULT_RULES", "CheckResult", "evaluate_policy", "get_project_policy", "set_project_policy"]

DEFAULT_RULES: dict[str, Any] = {
    #: The model must take at least this share of the room for improvement over the naive baseline
    #: (see registry/grade.py: 0.05 = 5 % of the way from the baseline to perfect).
    "min_lift_over_baseline": 0.05,
    #: The fairness measure checked per declared sensitive column, and its limit.
    "fairness_measure_classification": "demographic_parity_difference",
    "max_disparity_classification": 0.10,
    "fairness_measure_regression": "mae_ratio",
    "max_disparity_regression": 1.25,
    #: Per-column limits that replace the one above, e.g. {"age": 0.15}.
    "max_disparity_by_column": {},
    "require_evidence": True,
    "block_on_leakage": True,
    #: Approvals needed from different scientists.
    "quorum": 1,
    "allow_override": True,
}

_INT_RULES, _BOOL_RULES = {"quorum"}, {"require_evidence", "block_on_leakage", "allow_override"}


@dataclass(frozen=True)
class CheckResult:
    name: str
    passed: bool
    message: str
    value: Any = None
    threshold: Any = None
    overridable: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _validate(rules: dict[str, Any]) -> dict[str, Any]:
    unknown = set(rules) - set(DEFAULT_RULES)
    if unknown:
        raise ValidationError(f"Unknown policy rule(s): {', '.join(sorted(unknown))}; rules are {', '.join(DEFAULT_RULES)}.")
    out = {}
    for key, value in rules.items():
        if key in _BOOL_RULES:
            if not isinstance(value, bool):
                raise ValidationError(f"The policy rule '{key}' must be true or false.")
        elif key in _INT_RULES:
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 10:
                raise ValidationError(f"The policy rule '{key}' must be a whole number from 1 to 10.")
        elif key == "max_disparity_by_column":
            if not isinstance(value, dict) or not all(isinstance(v, (int, float)) and v >= 0 for v in value.values()):
                raise ValidationError("'max_disparity_by_column' must map column names to non-negative numbers.")
        elif key.startswith("fairness_measure"):
            if not isinstance(value, str) or not value:
                raise ValidationError(f"The policy rule '{key}' must name a fairness measure.")
        elif not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            raise ValidationError(f"The policy rule '{key}' must be a number.")
        out[key] = value
    return out


def get_project_policy(session: Session, project_id: int) -> dict[str, Any]:
    row = session.get(ProjectPolicy, project_id)
    return {**DEFAULT_RULES, **(row.rules if row else {})}


def set_project_policy(session: Session, actor, project_id: int, rules: dict[str, Any]) -> dict[str, Any]:
    require(actor, "project.policy.set")
    if session.get(Project, project_id) is None:
        raise NotFoundError(f"Project {project_id} does not exist.")
    clean = _validate(rules)
    row = session.get(ProjectPolicy, project_id) or ProjectPolicy(project_id=project_id, rules={})
    row.rules = {**row.rules, **clean}
    row.updated_by_id, row.updated_at = actor.id, utcnow()
    session.add(row)
    append(session, actor, "policy.changed", "project", project_id, {"rules": clean})
    return get_project_policy(session, project_id)


def _fmt(x: float) -> str:
    return f"{x:.3f}"


def _evidence(session: Session, version_id: int) -> dict[str, Evidence]:
    rows = session.exec(select(Evidence).where(Evidence.version_id == version_id, Evidence.candidate == 0)).all()
    return {r.kind: r for r in rows}


def _lift_check(version: ModelVersion, rules: dict[str, Any]) -> CheckResult:
    floor = float(rules["min_lift_over_baseline"])
    lift = lift_over_baseline(version.holdout_score, version.baseline_score, version.higher_is_better)
    if lift is None:
        return CheckResult("metric_floor", False, f"The holdout {version.metric} cannot be compared with the baseline.", None, floor)
    ok = lift >= floor
    verb = "takes" if ok else "takes only"
    return CheckResult("metric_floor", ok,
                       f"Holdout {version.metric} {_fmt(version.holdout_score)} vs baseline {_fmt(version.baseline_score)}: "
                       f"it {verb} {lift:.0%} of the room for improvement (policy: at least {floor:.0%}).", round(lift, 4), floor)


def _fairness_checks(settings: Settings, version: ModelVersion, evidence: dict[str, Evidence], rules: dict[str, Any]) -> list[CheckResult]:
    sensitive = list(version.recipe.get("sensitive_columns") or [])
    if not sensitive:
        return [CheckResult("fairness", True, "No sensitive columns were declared, so there is no fairness limit to check.")]
    if "fairness" not in evidence:
        return [CheckResult("fairness", False, "Sensitive columns were declared but no fairness evidence has been computed yet.")]
    report = load_document(settings, EvidencePublic.model_validate(evidence["fairness"]), "report")
    kind = "regression" if version.task == "regression" else "classification"
    measure = rules[f"fairness_measure_{kind}"]
    default_max = float(rules[f"max_disparity_{kind}"])
    features = {f["name"]: f for f in report.get("features", [])}
    out = []
    for column in sensitive:
        limit = float(rules["max_disparity_by_column"].get(column, default_max))
        rows = [d for d in report.get("disparities", []) if d.get("feature") == column and d.get("measure") == measure]
        values = [d["value"] for d in rows if d.get("value") is not None and math.isfinite(d["value"])]
        name = f"fairness:{column}"
        if column not in features or not values:
            out.append(CheckResult(name, True, f"'{column}': {measure} could not be measured (fewer than two groups large enough "
                                               "to compare); nothing to hold against the limit.", None, limit))
            continue
        worst = max(values)
        d = max((r for r in rows if r.get("value") == worst), key=lambda r: r["value"])
        between = f" between {d.get('high_group')} and {d.get('low_group')}" if d.get("high_group") else ""
        ok = worst <= limit
        out.append(CheckResult(name, ok, f"'{column}': {measure} is {_fmt(worst)}{between} (policy: at most {_fmt(limit)}).",
                               round(worst, 4), limit))
    return out


def _selection_checks(settings: Settings, version: ModelVersion, evidence: dict[str, Evidence]) -> list[CheckResult]:
    """Binary: each declared column's groups get real decisions, or its parity check proves nothing.

    A model that flags almost nobody (selection 3 % vs 0.6 %, TPR 0.19 vs
    0.04) has a small parity difference because it barely decides; the
    verdict is ``fairness.verdicts.selection_health`` with the settings' floors.
    """
    sensitive = list(version.recipe.get("sensitive_columns") or [])
    if version.task != "binary" or not sensitive or "fairness" not in evidence:
        return []
    report = FairnessReport.from_dict(load_document(settings, EvidencePublic.model_validate(evidence["fairness"]), "report"))
    out = []
    for column in sensitive:
        health = selection_health(report, column, min_selection_rate=settings.fairness_min_selection_rate,
                                  min_tpr=settings.fairness_min_tpr)
        if health is not None:
            out.append(CheckResult(f"fairness_selection:{column}", health.passed, health.message,
                                   [p["group"] for p in health.problems] or None,
                                   {"min_selection_rate": health.min_selection_rate, "min_tpr": health.min_tpr}))
    return out


def _mitigation_check(settings: Settings, version: ModelVersion) -> list[CheckResult]:
    """A mitigated candidate must not be worse than its parent (``fairness.verdicts.mitigation_verdict``).

    Worse: it widened the disparity it targets, or lost more than
    ``settings.mitigation_max_metric_loss`` of the primary metric on the same
    holdout; the numbers are the before/after comparison kept in its recipe.
    """
    m = (version.recipe or {}).get("mitigation")
    if version.origin != "mitigation" or not m:
        return []
    limit = settings.mitigation_max_metric_loss
    if not m.get("comparison"):
        return [CheckResult("mitigation_not_worse", False, "This mitigated candidate has no before/after comparison on "
                            "record, so it cannot be shown to be no worse than its parent; rebuild it.", None, limit)]
    verdict = mitigation_verdict(m["comparison"], feature=m["sensitive_column"], constraint=m["constraint"],
                                 metric=version.metric, higher_is_better=version.higher_is_better, max_metric_loss=limit)
    return [CheckResult("mitigation_not_worse", not verdict.worse, verdict.message, verdict.metric_loss, limit)]


def evaluate_policy(session: Session, settings: Settings, version: ModelVersion) -> list[CheckResult]:
    """Every policy check for ``version`` (a table row), in a stable order."""
    rules = get_project_policy(session, version.project_id)
    evidence = _evidence(session, version.id)
    checks = [_lift_check(version, rules)]
    missing = [k for k in ("performance", "explanations") if k not in evidence]
    if rules["require_evidence"]:
        checks.append(CheckResult("evidence_computed", not missing,
                                  "Performance detail and explanations are computed." if not missing
                                  else f"Evidence missing: {', '.join(missing)}; wait for the evidence job or run it."))
    checks.extend(_fairness_checks(settings, version, evidence, rules))
    checks.extend(_selection_checks(settings, version, evidence))
    checks.extend(_mitigation_check(settings, version))
    if rules["block_on_leakage"]:
        leaks = list(version.leakage_suspects or [])
        checks.append(CheckResult("no_leakage", not leaks,
                                  "No column the model uses was flagged as leaking the target." if not leaks else
                                  f"The model uses column(s) flagged as possibly leaking the target: {', '.join(leaks)}. "
                                  "Retrain with them excluded, or justify why they are known at prediction time.", leaks))
    return checks
