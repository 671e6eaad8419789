"""What both Streamlit apps share: the world (settings + engine), sign-in, friendly errors."""

from .errors import friendly, show_error
from .session import current_user, require_login, sign_out
from .world import World, get_world

__all__ = ["World", "current_user", "friendly", "get_world", "require_login", "show_error", "sign_out"]
