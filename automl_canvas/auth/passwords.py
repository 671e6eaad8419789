"""Password hashing with argon2id (argon2-cffi), the current OWASP recommendation.

Kept in one module so the parameters and the library stay in one place; hashes
carry their own parameters, so raising them later re-hashes on the next login.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ..errors import ValidationError

__all__ = ["check_strength", "hash_password", "needs_rehash", "verify_password"]

_HASHER = PasswordHasher()  # argon2id, library defaults (RFC 9106 low-memory profile)


@cache
def _dummy_hash() -> str:
    """A hash to verify against when the user does not exist, so a wrong username costs the same time as a
    wrong password.  Made on first use, not at import: every CLI command imports this module, and one argon2
    hash is a fifth of a second of CPU that `automl-canvas jobs` should not pay."""
    return _HASHER.hash("not a real password: equalises timing for unknown users")


def check_strength(password: str, min_length: int) -> None:
    if not isinstance(password, str) or len(password) < min_length:
        raise ValidationError(f"A password needs at least {min_length} characters.")
    if len(password) > 1024:
        raise ValidationError("A password can have at most 1,024 characters.")
    if len(set(password)) < 4:
        raise ValidationError("That password repeats too few characters; choose a less predictable one.")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _HASHER.check_needs_rehash(stored_hash)
