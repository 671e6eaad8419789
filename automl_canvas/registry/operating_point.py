"""Choosing the operating point of a binary version: the use case behind the analyst's cut-off control.

The cut-off is part of what a reviewer approves (it decides every prediction), so
it can be changed only while the version is a draft or has changes requested;
afterwards the version must go through review again (retrain, or the reviewer
asks for changes).  The new point is computed from the counts stored with the
version (no refit), the threshold-dependent holdout metrics are updated to it,
and the change is written to the audit log.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from ..audit import append
from ..auth.resources import version_for
from ..errors import InvalidTransitionError, ValidationError
from ..models import BusinessInputsRow, ModelVersionPublic
from ..serialization import json_safe
from ..training.operating_point import MODES, ThresholdCurve, choose_operating_point, decision_metrics

__all__ = ["EDITABLE_STATES", "can_change_operating_point", "operating_point_choices", "preview_operating_point",
           "set_operating_point"]

#: States in which the cut-off may still change (it is frozen once shared for review).
EDITABLE_STATES = ("draft", "changes_requested")


def operating_point_choices(version) -> list[dict[str, Any]]:
    """The choices an app offers, in the version's own words (the 'yes' class named)."""
    pos = (version.operating_point or {}).get("positive_class", "yes")
    return [{"mode": m, "label": label.format(pos=pos), "value_label": None if v is None else v.format(pos=pos)}
            for m, (label, v) in MODES.items()]


def _project_costs(session: Session, project_id: int) -> tuple[float | None, float | None]:
    row = session.get(BusinessInputsRow, project_id)
    inputs = (row.inputs if row else {}) or {}
    return inputs.get("cost_false_positive"), inputs.get("cost_false_negative")


def can_change_operating_point(version) -> bool:
    """Whether the cut-off of this version may still change (the apps enable the control from this)."""
    return version.task == "binary" and bool((version.operating_point or {}).get("curve")) and version.status in EDITABLE_STATES


def _choose(session: Session, version, actor, mode: str, value: float | None) -> dict[str, Any]:
    if version.task != "binary" or not version.operating_point or "curve" not in version.operating_point:
        raise ValidationError(f"Version {version.id} is not a yes/no model trained with a cut-off; there is nothing to choose.")
    old = version.operating_point
    cost_fp, cost_fn = _project_costs(session, version.project_id) if mode == "cost" else (None, None)
    try:
        point = choose_operating_point(ThresholdCurve.from_dict(old["curve"]), mode, value, cost_fp=cost_fp, cost_fn=cost_fn,
                                       positive_class=old.get("positive_class", "yes"), chosen_by=actor.username)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    point["curve"] = old["curve"]
    return point


def preview_operating_point(session: Session, actor, version_id: int, mode: str, value: float | None = None) -> dict[str, Any]:
    """What a choice would do (threshold, holdout numbers, sentence), without saving it."""
    version = version_for(session, actor, "model.read", version_id)
    return _choose(session, version, actor, mode, value)


def set_operating_point(session: Session, actor, version_id: int, mode: str, value: float | None = None) -> ModelVersionPublic:
    """Apply a new choice to a draft (or changes-requested) binary version and return it."""
    version = version_for(session, actor, "model.operating_point", version_id)  # editors and owners of its project
    if version.task == "binary" and version.status not in EDITABLE_STATES:
        raise InvalidTransitionError(
            f"Version {version_id} is {version.status.replace('_', ' ')}: its cut-off is part of what is reviewed. "
            "To decide at another cut-off, train a new version (or the reviewer requests changes) and share it again.",
            details={"version_id": version_id, "status": version.status})
    old = version.operating_point or {}
    point = _choose(session, version, actor, mode, value)
    metrics = dict(version.metrics or {})
    metrics["model"] = {**metrics.get("model", {}), **decision_metrics(point["holdout"])}
    version.metrics = json_safe(metrics)
    if version.metric in decision_metrics(point["holdout"]):
        version.holdout_score = float(metrics["model"][version.metric])
    version.operating_point = json_safe(point)
    session.add(version)
    append(session, actor, "version.operating_point_set", "model_version", version_id,
           {"mode": mode, "value": point["value"], "threshold": point["threshold"], "previous_threshold": old.get("threshold")})
    session.flush()
    return ModelVersionPublic.model_validate(version)
