"""A deployed model's health as a coloured badge and its plain sentence, the same in both apps.

The state, its words and its sentence are the core's (``automl_canvas.monitoring.version_health``); only the
colour and the icon are chosen here, so the analyst and the scientist see one badge for one state.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

__all__ = ["health_badge"]

#: core health state -> (badge colour, icon)
_LOOK = {
    "still_accurate": ("green", ":material/check_circle:"),
    "needs_attention": ("orange", ":material/warning:"),
    "waiting_for_data": ("blue", ":material/hourglass_empty:"),
    "not_checked": ("gray", ":material/schedule:"),
    "not_deployed": ("gray", ":material/remove_circle_outline:"),
}


def health_badge(health: dict[str, Any], *, prefix: str = "", sentence: bool = True) -> None:
    """``health``: a ``version_health`` answer (or the ``health`` of a monitoring overview)."""
    colour, icon = _LOOK.get(health["state"], ("gray", None))
    st.badge(f"{prefix}{health['label']}", color=colour, icon=icon)
    if sentence:
        when = f" Last checked {health['checked_at'][:16].replace('T', ' ')} UTC." if health.get("checked_at") else ""
        st.caption(f"{health['sentence']}{when}")
