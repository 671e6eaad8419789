"""Who may do what: one table, checked by every service function first.

The governance work extends this table (review, approval, deployment); doors
never decide permissions themselves.
"""

from __future__ import annotations

from ..errors import PermissionDeniedError

__all__ = ["POLICY", "allowed", "require"]

#: action -> roles allowed to perform it
POLICY: dict[str, frozenset[str]] = {
    "project.create": frozenset({"analyst", "scientist", "admin"}),
    "project.read": frozenset({"analyst", "scientist", "admin", "deployer"}),
    "dataset.ingest": frozenset({"analyst", "scientist"}),
    "dataset.read": frozenset({"analyst", "scientist", "admin"}),
    "model.train": frozenset({"analyst", "scientist"}),
    "model.read": frozenset({"analyst", "scientist", "admin", "deployer"}),
    "model.predict": frozenset({"analyst", "scientist"}),
    "model.reproduce": frozenset({"analyst", "scientist"}),
    "evidence.compute": frozenset({"analyst", "scientist"}),
    "evidence.read": frozenset({"analyst", "scientist", "admin", "deployer"}),
    "model.mitigate": frozenset({"scientist"}),
    "feasibility.inputs": frozenset({"analyst", "scientist", "admin"}),
    "feasibility.run": frozenset({"analyst", "scientist"}),
    "feasibility.read": frozenset({"analyst", "scientist", "admin"}),
    "portfolio.read": frozenset({"analyst", "scientist", "admin"}),
    "job.read": frozenset({"analyst", "scientist", "admin"}),
    "job.cancel": frozenset({"analyst", "scientist", "admin"}),
    "user.manage": frozenset({"admin"}),
}


def allowed(actor, action: str) -> bool:
    roles = POLICY.get(action)
    if roles is None:
        raise KeyError(f"unknown action {action!r}")
    return bool(getattr(actor, "is_active", True)) and bool(actor.role_set & roles)


def require(actor, action: str) -> None:
    if not allowed(actor, action):
        raise PermissionDeniedError(
            f"{actor.username} may not perform '{action}'; it needs one of the roles: {', '.join(sorted(POLICY[action]))}."
        )
