"""The gated review workflow: states as data, the approval policy, decisions with frozen evidence,
the conversation and deployment records.  Every function takes the acting user."""

from ..auth.resources import version_for
from ..db import session_scope
from ..registry.service import submit_reproduce
from .actions import CHOICES, ActionChoices, available_actions, choices_for
from .comments import add_comment, list_comments
from .deployments import list_deployments, record_deployment, retire, rollback
from .policy import DEFAULT_RULES, CheckResult, evaluate_policy, get_project_policy, set_project_policy
from .queries import audit_trail, get_review, list_audit_events, list_decisions, review_queue, verify_audit
from .service import approve, claim, makers_of, reject, release, request_changes, revoke, share, transition, withdraw
from .states import ACTIONS, EVENT_ACTIONS, TERMINAL, TRANSITIONS, ReviewState

__all__ = [
    "ACTIONS",
    "CHOICES",
    "DEFAULT_RULES",
    "EVENT_ACTIONS",
    "TERMINAL",
    "TRANSITIONS",
    "ActionChoices",
    "CheckResult",
    "ReviewState",
    "add_comment",
    "approve",
    "audit_trail",
    "available_actions",
    "choices_for",
    "claim",
    "evaluate_policy",
    "get_project_policy",
    "get_review",
    "list_audit_events",
    "list_comments",
    "list_decisions",
    "list_deployments",
    "makers_of",
    "record_deployment",
    "reject",
    "release",
    "request_changes",
    "retire",
    "review_queue",
    "revoke",
    "rollback",
    "set_project_policy",
    "share",
    "submit_review_reproduce",
    "transition",
    "verify_audit",
    "withdraw",
]


def submit_review_reproduce(engine, settings, actor, version_id: int):
    """A scientist re-runs the recipe from the review; the result joins the evidence (kind "reproducibility")."""
    with session_scope(engine) as s:
        version_for(s, actor, "review.reproduce", version_id)  # scientists, on a version they may see
    return submit_reproduce(engine, settings, actor, version_id)
