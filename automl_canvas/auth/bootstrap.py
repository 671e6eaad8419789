"""First accounts: the admin that ``init`` creates and the demo users of ``up --demo``.

Passwords come from the environment (``AUTOML_CANVAS_ADMIN_PASSWORD``,
``AUTOML_CANVAS_DEMO_PASSWORD``) or are generated and returned so the command
can print them once; they are never stored in clear or logged.
"""

from __future__ import annotations

from sqlmodel import Session, select

from ..audit import append
from ..config import Settings
from ..models import User
from .passwords import check_strength, hash_password
from .users import generate_password

__all__ = ["DEMO_USERS", "ensure_admin", "seed_demo_users"]

#: username -> (roles, display name): one person per role, plus a second scientist for quorum and maker-checker demos.
DEMO_USERS: dict[str, tuple[tuple[str, ...], str]] = {
    "ana": (("analyst",), "Ana (analyst)"),
    "sam": (("scientist",), "Sam (data scientist)"),
    "sky": (("scientist",), "Sky (data scientist)"),
    "dee": (("deployer",), "Dee (deployment pipeline)"),
    "max": (("analyst",), "Max (manager)"),
}


def _create(session: Session, username: str, roles: tuple[str, ...], display: str, password: str) -> None:
    user = User(username=username, roles=",".join(roles), display_name=display, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    append(session, None, "user.created", "user", user.id, {"username": username, "roles": list(roles), "by": "bootstrap"})


def ensure_admin(session: Session, settings: Settings, username: str = "admin") -> str | None:
    """Create the admin account when no admin exists; returns a generated password to print once, else None."""
    admins = [u for u in session.exec(select(User)) if "admin" in u.role_set]
    if admins:
        return None
    password = settings.admin_password
    generated = password is None
    if generated:
        password = generate_password()
    check_strength(password, settings.password_min_length)
    _create(session, username, ("admin",), "Administrator", password)
    return password if generated else None


def seed_demo_users(session: Session, settings: Settings) -> dict[str, str]:
    """Create the missing demo users; returns {username: password} for the ones created."""
    shared = settings.demo_password
    if shared is not None:
        check_strength(shared, settings.password_min_length)
    created = {}
    for username, (roles, display) in DEMO_USERS.items():
        if session.exec(select(User).where(User.username == username)).one_or_none() is None:
            password = shared or generate_password()
            _create(session, username, roles, display, password)
            created[username] = password
    return created
