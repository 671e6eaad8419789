"""AppTest fixtures: the scientist app pointed at the session's review world, signed in through session state."""

from __future__ import annotations

from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[3] / "apps" / "scientist" / "app.py"
TABS = ("Overview", "Leaderboard", "Data", "Explanations", "Fairness", "Reproducibility", "Decision", "History")


@pytest.fixture(scope="module")
def world(review_world):
    """The review world, with the app's settings read from its environment and every cache cleared."""
    import streamlit as st

    from automl_canvas.config import get_settings

    with pytest.MonkeyPatch.context() as mp:
        for key, value in review_world.env().items():
            mp.setenv(key, value)
        get_settings.cache_clear()
        st.cache_resource.clear()
        st.cache_data.clear()
        yield review_world
    get_settings.cache_clear()
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def open_app(world):
    """``open_app("sam", page=None, **state)``: an AppTest of the dashboard, signed in, run once."""
    from streamlit.testing.v1 import AppTest

    def _open(username: str = "sam", page: str | None = None, **state):
        at = AppTest.from_file(str(APP), default_timeout=180)
        at.session_state["canvas_user_id"] = world.users[username].id
        for key, value in state.items():
            at.session_state[key] = value
        at.run()
        if page:
            at.switch_page(page)
            at.run()
        return at

    return _open


def texts(at) -> str:
    """Every piece of text the run produced (markdown, captions, alerts, metrics), for ``in`` checks."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "error", "warning", "info", "success", "text"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    return "\n".join(parts)
