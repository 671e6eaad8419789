"""AppTest fixtures: the scientist app pointed at the session's review world, signed in through session state."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import app_environment, open_app_test

APP = Path(__file__).resolve().parents[3] / "apps" / "scientist" / "app.py"
TABS = ("Overview", "Leaderboard", "Data", "Explanations", "Fairness", "Reproducibility", "Decision", "History")


@pytest.fixture(scope="module")
def world(review_world):
    """The review world, with the app's settings read from its environment and every cache cleared."""
    with app_environment(review_world.env()):
        yield review_world


@pytest.fixture
def open_app(world):
    """``open_app("sam", page=None, **state)``: an AppTest of the dashboard, signed in, run once."""

    def _open(username: str = "sam", page: str | None = None, **state):
        return open_app_test(APP, world.users[username].id, page, **state)

    return _open


def texts(at) -> str:
    """Every piece of text the run produced (markdown, captions, alerts, metrics), for ``in`` checks."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "error", "warning", "info", "success", "text"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    return "\n".join(parts)
