"""Errors as sentences: a domain error shows its message; anything else a calm apology, never a traceback."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from automl_canvas.errors import CanvasError

__all__ = ["friendly", "show_error"]

log = logging.getLogger("automl_canvas.apps")

_NEXT_STEP = {
    "invalid_dataset": "Fix the file as described and upload it again.",
    "invalid_training_config": "Change the settings above and start again.",
    "permission_denied": "Ask an admin for access if you need it.",
    "unauthenticated": "Sign in again.",
    "too_many_attempts": "Wait a few minutes, then try again.",
    "conflict": "Reload the page to see the latest state.",
    "invalid_transition": "Reload the page to see the latest state.",
    "policy_check_failed": "See the checklist; fix the model or write an override justification if the policy allows it.",
    "quota_exceeded": "Wait for one of your running jobs to finish, or cancel one.",
}


def _control_flow(exc: BaseException) -> bool:
    """st.rerun / st.stop / st.switch_page work by raising: those must pass through."""
    return type(exc).__name__ in {"RerunException", "StopException"}


def show_error(exc: BaseException, doing: str = "doing that") -> None:
    if isinstance(exc, CanvasError):
        hint = _NEXT_STEP.get(exc.code, "")
        st.error(f"{exc.message} {hint}".strip())
    else:
        log.error("unexpected error while %s", doing, exc_info=exc)
        st.error(f"Something went wrong on our side while {doing}. Nothing was changed; try again, "
                 "and tell your administrator if it keeps happening.")


@contextmanager
def friendly(doing: str = "doing that") -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        if _control_flow(exc):
            raise
        show_error(exc, doing)
