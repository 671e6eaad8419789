"""The training request that rebuilds a version with the analyst's changes (the answer to "changes requested")."""

from __future__ import annotations

from .spec import TrainingRequest

__all__ = ["request_from_version"]


def request_from_version(version, **changes) -> TrainingRequest:
    """Same target, problem type, metric, budget, excluded and sensitive columns as ``version``, then ``changes``."""
    recipe = version.recipe or {}
    values = {
        "target": version.target,
        "task": version.task,
        "metric": version.metric,
        "budget": recipe.get("budget_seconds") or "quick",
        "excluded_columns": list(recipe.get("excluded_columns") or []),
        "sensitive_columns": list(recipe.get("sensitive_columns") or []),
        "favourable_outcome": recipe.get("favourable_outcome"),
    }
    values.update({k: v for k, v in changes.items() if v is not None})
    return TrainingRequest(**values)
