"""Domain exception tree.

Every error the core raises on purpose carries a stable ``code`` and a message
that names the thing that is wrong, written for the person who caused it.  Doors
(CLI, API, apps) map codes to their own vocabulary in exactly one place, so a
route never invents a status for a domain condition.
"""

from __future__ import annotations

__all__ = [
    "AuthenticationError",
    "CanvasError",
    "ClaimHeldError",
    "ClaimRequiredError",
    "ConflictError",
    "DatasetValidationError",
    "IntegrityError",
    "InvalidTransitionError",
    "NotFoundError",
    "PermissionDeniedError",
    "PolicyCheckError",
    "QuotaExceededError",
    "TooManyAttemptsError",
    "TrainingConfigError",
    "UnsafeTargetError",
    "ValidationError",
]


class CanvasError(Exception):
    """Base of every expected error. ``code`` is stable and machine-readable."""

    code = "canvas_error"

    def __init__(self, message: str, *, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "details": self.details}


class ValidationError(CanvasError):
    code = "invalid_input"


class DatasetValidationError(ValidationError):
    """An uploaded table cannot be used; the message says why and what to do."""

    code = "invalid_dataset"


class TrainingConfigError(ValidationError):
    """A training request does not fit the dataset (bad target, task, metric...)."""

    code = "invalid_training_config"


class NotFoundError(CanvasError):
    code = "not_found"


class PermissionDeniedError(CanvasError):
    code = "permission_denied"


class UnsafeTargetError(ValidationError):
    """A URL the server would call points at an address it must not reach (loopback, private, link-local...)."""

    code = "unsafe_target"


class AuthenticationError(CanvasError):
    """Who is asking is unknown: a wrong password, or a missing, malformed, expired or revoked token."""

    code = "unauthenticated"


class TooManyAttemptsError(AuthenticationError):
    """Login is throttled after repeated wrong passwords; ``details['retry_after_seconds']`` says for how long."""

    code = "too_many_attempts"


class ConflictError(CanvasError):
    code = "conflict"


class ClaimHeldError(ConflictError):
    """Another scientist holds a fresh claim on the version; ``details`` says who, since when, and when it expires."""

    code = "claim_held"


class ClaimRequiredError(PermissionDeniedError):
    """Deciding on (or releasing) a version in review needs the claim on it: reviews are exclusive."""

    code = "claim_required"


class InvalidTransitionError(ConflictError):
    code = "invalid_transition"


class PolicyCheckError(ConflictError):
    """Approval blocked by the project's approval policy; ``details['failed_checks']`` lists why."""

    code = "policy_check_failed"


class IntegrityError(CanvasError):
    """Stored bytes do not match their recorded digest: refuse to use them."""

    code = "integrity_error"


class QuotaExceededError(CanvasError):
    code = "quota_exceeded"
