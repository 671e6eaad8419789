"""Exclusive review claims: who holds a version in review, since when, and whether it may be taken over.

A claim makes one scientist *the* reviewer of a version: only the holder can
approve, reject, request changes or release it (issue 17: a second scientist
once approved a version the first had claimed).  A claim is not forever: after
``review_claim_expiry_minutes`` it is stale and another scientist may take it
over (an audited ``version.claim_taken_over``), so an absent reviewer cannot
block a release.  After an approval that does not yet reach the project's
quorum the claim is handed back (the version stays in review, unclaimed) and
the next approver claims it.

These helpers read the row and explain; they never write (``service.claim``
does, through ``transition``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from ..config import Settings
from ..db import utcnow
from ..errors import ClaimHeldError, ClaimRequiredError
from ..models import ModelVersion, User
from .states import ReviewState

__all__ = ["ClaimState", "claim_state", "duration_words", "require_claim_holder", "require_claim_takeable"]


@dataclass(frozen=True)
class ClaimState:
    holder_id: int | None
    holder: str | None
    since: datetime | None
    age: timedelta | None
    expiry: timedelta
    stale: bool

    def details(self, version_id: int) -> dict:
        return {"version_id": version_id, "claimed_by": self.holder, "claimed_at": self.since.isoformat() if self.since else None,
                "claim_age_minutes": round(self.age.total_seconds() / 60, 1) if self.age is not None else None,
                "claim_expiry_minutes": round(self.expiry.total_seconds() / 60, 1), "stale": self.stale}


def duration_words(delta: timedelta) -> str:
    """'less than a minute', '10 minutes', '4 hours', '2 days': what a person reads in a message."""
    seconds = max(0.0, delta.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return "less than a minute"


def claim_state(session: Session, settings: Settings, version: ModelVersion, now: datetime | None = None) -> ClaimState:
    """The claim on ``version`` as it stands; a claim taken before claims had a time counts from when review began."""
    expiry = timedelta(minutes=settings.review_claim_expiry_minutes)
    if version.claimed_by_id is None:
        return ClaimState(None, None, None, None, expiry, stale=False)
    since = version.claimed_at or version.status_changed_at
    age = ((now or utcnow()) - since) if since is not None else None
    user = session.get(User, version.claimed_by_id)
    return ClaimState(version.claimed_by_id, user.username if user else f"user {version.claimed_by_id}", since, age, expiry,
                      stale=age is not None and age >= expiry)


def _held_sentence(state: ClaimState, version_id: int) -> str:
    ago = f"claimed {duration_words(state.age)} ago" if state.age is not None else "claimed earlier"
    return f"{state.holder} is reviewing version {version_id} ({ago})"


def require_claim_holder(session: Session, settings: Settings, actor, version: ModelVersion, doing: str) -> None:
    """Deciding on or releasing a version in review is for the claim holder only (other states: the state table decides)."""
    if version.status != ReviewState.in_review or version.claimed_by_id == actor.id:
        return
    state = claim_state(session, settings, version)
    if state.holder_id is None:
        raise ClaimRequiredError(f"Version {version.id} is in review but nobody holds its claim (an approval towards the "
                                 f"quorum handed it back); claim it first, then {doing} it.", details=state.details(version.id))
    if state.stale:
        tail = (f"the claim is older than {duration_words(state.expiry)}, so you may take it over (claim the version) "
                f"and then {doing} it.")
    else:
        tail = (f"only the claim holder can {doing} it, or another scientist can take it over after "
                f"{duration_words(state.expiry)}.")
    raise ClaimRequiredError(f"{_held_sentence(state, version.id)}; {tail}", details=state.details(version.id))


def require_claim_takeable(session: Session, settings: Settings, actor, version: ModelVersion) -> ClaimState:
    """A version already in review may be claimed when its claim is open or stale; never from a fresh holder."""
    state = claim_state(session, settings, version)
    if state.holder_id == actor.id:
        raise ClaimHeldError(f"You already hold the claim on version {version.id}; approve, reject, request changes "
                             "or release it.", details=state.details(version.id))
    if state.holder_id is not None and not state.stale:
        left = state.expiry - (state.age or timedelta(0))
        raise ClaimHeldError(f"{_held_sentence(state, version.id)}; only the claim holder can decide, or take it over after "
                             f"{duration_words(state.expiry)} (in {duration_words(left)}).", details=state.details(version.id))
    return state
