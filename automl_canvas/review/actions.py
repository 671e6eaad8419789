"""What the current user may do to a version now: the list the apps render their controls from.

A choice is offered when three things agree: the state table allows the move
from the version's status (:mod:`.states`), the policy lets this user perform
it on this version (automl_canvas/auth/policy.py), and, for deciding, the
user holds the claim (:mod:`.claims`).  The apps show a button for each
offered choice and, for a move the state allows that this user may not make,
the sentence the core would answer (``blocked``) - so no door re-derives a
rule from a status string or a role.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, select

from ..auth.policy import POLICY, refusal
from ..auth.resources import Access, version_for
from ..config import Settings, get_settings
from ..errors import CanvasError
from ..models import ModelVersion, ReviewDecision
from .claims import require_claim_holder, require_claim_takeable
from .states import ReviewState, target_of

__all__ = ["CHOICES", "ActionChoices", "available_actions", "choices_for"]

#: choice -> (policy action, the state move it makes; None: no move). "retrain" answers requested changes with a
#: new version (the move is the old version's "supersede" once the new one is shared); "comment" joins the
#: conversation, which starts when the version is shared.
CHOICES: dict[str, tuple[str, str | None]] = {
    "share": ("review.share", "share"),
    "withdraw": ("review.withdraw", "withdraw"),
    "claim": ("review.claim", "claim"),
    "take_over": ("review.claim", "take_over"),
    "release": ("review.decide", "release"),
    "approve": ("review.approve", "approve"),
    "request_changes": ("review.decide", "request_changes"),
    "reject": ("review.decide", "reject"),
    "revoke": ("review.revoke", "revoke"),
    "comment": ("review.comment", None),
    "retrain": ("model.train", "supersede"),
}

_HOLDER_ONLY = {"release": "release", "approve": "approve", "request_changes": "request changes", "reject": "reject"}


@dataclass(frozen=True)
class ActionChoices:
    #: what the user may do now, in :data:`CHOICES` order.
    actions: list[str]
    #: moves the state allows that this user may not make now -> the core's sentence saying why.
    blocked: dict[str, str] = field(default_factory=dict)


def _voted(session: Session, version: ModelVersion, actor) -> bool:
    return session.exec(select(ReviewDecision.id).where(
        ReviewDecision.version_id == version.id, ReviewDecision.actor_id == actor.id, ReviewDecision.decision == "approve",
        ReviewDecision.to_status == ReviewState.in_review,
        ReviewDecision.created_at >= (version.status_changed_at or version.created_at)).limit(1)).first() is not None


def _claim_problem(session: Session, settings: Settings, actor, version: ModelVersion, choice: str) -> str | None:
    """The claim rule for deciding (holder only) and taking over (open or stale claims only)."""
    try:
        if choice == "take_over":
            require_claim_takeable(session, settings, actor, version)
            if _voted(session, version, actor):
                return f"{actor.username} has already approved version {version.id}; another scientist must claim it."
        elif choice in _HOLDER_ONLY:
            if version.claimed_by_id != actor.id:
                require_claim_holder(session, settings, actor, version, _HOLDER_ONLY[choice])
            if choice == "approve" and _voted(session, version, actor):
                return f"{actor.username} has already approved version {version.id}; another scientist's approval is needed."
    except CanvasError as exc:
        return exc.message
    return None


def choices_for(session: Session, actor, version: ModelVersion, settings: Settings | None = None) -> ActionChoices:
    """The user's choices on ``version`` (a row the caller may see)."""
    settings = settings or get_settings()
    access = Access(session, actor)
    ref = access.version(version)
    actions: list[str] = []
    blocked: dict[str, str] = {}
    for choice, (action, move) in CHOICES.items():
        if move is not None and target_of(move, version.status) is None:
            continue  # the state table does not allow it from here
        if move is None and version.status == ReviewState.draft:
            continue  # the conversation starts with the share
        if not actor.role_set & POLICY[action]:
            continue  # never this user's to do: nothing to explain
        if choice == "take_over" and version.claimed_by_id == actor.id:
            continue  # they hold it: deciding is what they can do
        resource = access.dataset(version.dataset_id) if action == "model.train" else ref
        refused = refusal(actor, action, resource)
        problem = refused.message if isinstance(refused, CanvasError) else None
        if problem is None and move in ("take_over", *_HOLDER_ONLY):
            problem = _claim_problem(session, settings, actor, version, choice)
        if choice == "take_over" and version.claimed_by_id is None and problem is None:
            choice = "claim"  # an open claim (handed back after a vote) is simply claimed
        if problem is None:
            if choice not in actions:
                actions.append(choice)
        elif choice not in blocked and choice not in actions:
            blocked[choice] = problem
    return ActionChoices(actions, blocked)


def available_actions(session: Session, actor, version_id: int, settings: Settings | None = None) -> list[str]:
    """The names of what ``actor`` may do to version ``version_id`` now (see :data:`CHOICES`); NotFound for a
    version the actor may not see."""
    version = version_for(session, actor, "review.read", version_id)
    return choices_for(session, actor, version, settings).actions
