"""The review state machine, as data.

A version's ``status`` moves only along :data:`TRANSITIONS`; each named
action says which moves it may make.  Every other move raises
:class:`InvalidTransitionError` in :func:`automl_canvas.review.service.transition`.
Nothing is ever deleted: retired, revoked, rejected and superseded are end states.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ACTIONS", "EVENT_ACTIONS", "TERMINAL", "TRANSITIONS", "ReviewState", "target_of"]


class ReviewState(StrEnum):
    draft = "draft"
    pending_review = "pending_review"
    in_review = "in_review"
    changes_requested = "changes_requested"
    approved = "approved"
    rejected = "rejected"
    deployed = "deployed"
    retired = "retired"
    revoked = "revoked"
    #: a newer version answered the requested changes.
    superseded = "superseded"


S = ReviewState

#: action -> {from state: to state}
ACTIONS: dict[str, dict[ReviewState, ReviewState]] = {
    "share": {S.draft: S.pending_review},
    "withdraw": {S.pending_review: S.draft},
    "claim": {S.pending_review: S.in_review},
    "release": {S.in_review: S.pending_review},
    #: another scientist takes over a stale claim (or the open claim after a quorum vote): the state stays.
    "take_over": {S.in_review: S.in_review},
    "approve": {S.in_review: S.approved},
    "reject": {S.in_review: S.rejected},
    "request_changes": {S.in_review: S.changes_requested},
    "supersede": {S.changes_requested: S.superseded},
    "deploy": {S.approved: S.deployed, S.deployed: S.deployed},
    "undeploy": {S.deployed: S.approved},
    "retire": {S.approved: S.retired, S.deployed: S.retired},
    "revoke": {S.approved: S.revoked, S.deployed: S.revoked},
}

#: (from, to) pairs: the table the tests walk.
TRANSITIONS: frozenset[tuple[ReviewState, ReviewState]] = frozenset(
    (a, b) for moves in ACTIONS.values() for a, b in moves.items()
)

TERMINAL = frozenset({S.rejected, S.retired, S.revoked, S.superseded})

#: audit actions that are real transitions, published on the event feed and to webhooks.
EVENT_ACTIONS = (
    "version.shared", "version.withdrawn", "version.claimed", "version.claim_taken_over", "version.released", "version.approved",
    "version.approval_recorded", "version.rejected", "version.changes_requested", "version.superseded",
    "version.retired", "version.revoked", "version.undeployed", "deployment.recorded", "deployment.rolled_back",
    "monitoring.alert",
)


def target_of(action: str, current: str) -> ReviewState | None:
    """The state ``action`` leads to from ``current``, or None when that move is not allowed."""
    try:
        return ACTIONS[action].get(ReviewState(current))
    except (KeyError, ValueError):
        return None
