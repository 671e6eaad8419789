"""What both Streamlit apps share: the world (settings + engine), sign-in, friendly errors, the health badge."""

from .errors import friendly, show_error
from .health import health_badge
from .session import current_user, page_user, require_login, sign_out
from .world import World, get_world

__all__ = ["World", "current_user", "friendly", "get_world", "health_badge", "page_user", "require_login", "show_error", "sign_out"]
