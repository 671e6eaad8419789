"""Who may do what: one table, checked by every service function first.

Roles say what kind of thing a person may do; rules about *which* object (an
analyst shares models of their own projects; nobody approves what they built)
live next to the action in the service that performs it, and are tested in the
same authorisation matrix (tests/governance/test_authorisation_matrix.py).
Doors never decide permissions themselves.
"""

from __future__ import annotations

from ..errors import PermissionDeniedError

__all__ = ["POLICY", "allowed", "require"]

_ALL = frozenset({"analyst", "scientist", "deployer", "admin"})
_BUILDERS = frozenset({"analyst", "scientist"})

#: action -> roles allowed to perform it
POLICY: dict[str, frozenset[str]] = {
    "project.create": frozenset({"analyst", "scientist", "admin"}),
    "project.read": _ALL,
    "project.policy.set": frozenset({"scientist", "admin"}),
    "dataset.ingest": _BUILDERS,
    "dataset.read": frozenset({"analyst", "scientist", "admin"}),
    "model.train": _BUILDERS,
    "model.read": _ALL,
    "model.predict": _BUILDERS,
    #: predictions from an approved or deployed version (the approval API's serving door).
    "model.predict_approved": frozenset({"analyst", "scientist", "deployer"}),
    "model.download": frozenset({"scientist", "deployer", "admin"}),
    "model.reproduce": _BUILDERS,
    #: choose a binary version's cut-off (before it is shared; registry/operating_point.py).
    "model.operating_point": _BUILDERS,
    "evidence.compute": _BUILDERS,
    "evidence.read": _ALL,
    "model.mitigate": frozenset({"scientist"}),
    "feasibility.inputs": frozenset({"analyst", "scientist", "admin"}),
    "feasibility.run": frozenset({"analyst", "scientist"}),
    "feasibility.read": frozenset({"analyst", "scientist", "admin"}),
    "portfolio.read": frozenset({"analyst", "scientist", "admin"}),
    "job.read": frozenset({"analyst", "scientist", "admin"}),
    "job.cancel": frozenset({"analyst", "scientist", "admin"}),
    "user.manage": frozenset({"admin"}),
    "token.own": _ALL,
    # review workflow (automl_canvas/review)
    "review.share": _BUILDERS,
    "review.withdraw": _BUILDERS,
    "review.claim": frozenset({"scientist"}),
    "review.decide": frozenset({"scientist"}),
    "review.revoke": frozenset({"scientist", "admin"}),
    "review.comment": _BUILDERS,
    "review.read": _ALL,
    "review.reproduce": frozenset({"scientist"}),
    # release (deployment records)
    "deployment.record": frozenset({"deployer", "admin"}),
    "deployment.rollback": frozenset({"deployer", "admin"}),
    "deployment.read": _ALL,
    #: admission checks ("is this digest approved?") and the event feed: read-only, any signed-in role.
    "approval.check": _ALL,
    "events.read": _ALL,
    #: webhook subscriptions (URL, event types, secret) for deployment tooling.
    "webhook.manage": frozenset({"deployer", "admin"}),
    "version.retire": frozenset({"deployer", "scientist", "admin"}),
    # monitoring (automl_canvas/monitoring): health is for everyone; outcomes come from the business
    # (analysts, or deployment tooling); pushed prediction records come from tooling that serves a model itself.
    "monitoring.read": _ALL,
    "monitoring.feedback": frozenset({"analyst", "scientist", "deployer"}),
    "monitoring.push": frozenset({"scientist", "deployer"}),
    "monitoring.check": frozenset({"scientist", "deployer", "admin"}),
    "monitoring.retrain": _BUILDERS,
    # audit
    "audit.read": frozenset({"scientist", "admin"}),
    "audit.verify": frozenset({"admin", "scientist"}),
}


def allowed(actor, action: str) -> bool:
    roles = POLICY.get(action)
    if roles is None:
        raise KeyError(f"unknown action {action!r}")
    return bool(getattr(actor, "is_active", True)) and bool(actor.role_set & roles)


def require(actor, action: str) -> None:
    if actor is None:
        raise PermissionDeniedError(f"Sign in first: '{action}' needs a signed-in user.")
    if not getattr(actor, "is_active", True):
        raise PermissionDeniedError(f"The account '{actor.username}' is disabled.")
    if not allowed(actor, action):
        raise PermissionDeniedError(
            f"{actor.username} may not perform '{action}'; it needs one of the roles: {', '.join(sorted(POLICY[action]))}."
        )
