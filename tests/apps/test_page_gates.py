"""Every page of both apps refuses people without the app's roles, even when run on its own.

Streamlit runs a script under ``pages/`` without the app's entry script (and its sign-in gate) while no
run of the entry script has reached ``st.navigation`` in the server process, so each page checks
the role itself (``apps.common.page_user``).  Run each page file directly, as that path does.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from automl_canvas.auth.users import ensure_user
from automl_canvas.db import init_db, make_engine, session_scope
from tests.conftest import make_settings
from tests.helpers import app_environment

APPS = Path(__file__).resolve().parents[2] / "apps"
PAGES = sorted((APPS / "scientist" / "pages").glob("[!_]*.py")) + sorted((APPS / "analyst" / "pages").glob("[!_]*.py"))
#: app folder -> roles that are refused there
REFUSED = {"scientist": ("analyst", "deployer"), "analyst": ("deployer", "admin")}


@pytest.fixture(scope="module")
def users(tmp_path_factory, pg_database_url):
    settings = make_settings(tmp_path_factory.mktemp("gates") / "home", pg_database_url)
    engine = make_engine(settings)
    init_db(engine)
    with session_scope(engine) as s:
        ids = {role: ensure_user(s, f"gate-{role}", (role,)).id for role in ("analyst", "deployer", "admin")}
    with app_environment({"AUTOML_CANVAS_HOME": str(settings.home), "AUTOML_CANVAS_DATABASE_URL": settings.database_url}):
        yield ids
    engine.dispose()


@pytest.mark.parametrize("page", PAGES, ids=[f"{p.parent.parent.name}/{p.name}" for p in PAGES])
def test_a_page_run_on_its_own_refuses_other_roles(users, page):
    from streamlit.testing.v1 import AppTest

    for role in (None, *REFUSED[page.parent.parent.name]):
        at = AppTest.from_file(str(page), default_timeout=60)
        if role is not None:
            at.session_state["canvas_user_id"] = users[role]
        at.run()
        assert not at.exception, (role, at.exception)
        assert any("This page is part of" in w.value for w in at.warning), (role, [w.value for w in at.warning])
        assert not at.button and not at.dataframe, f"{page.name} showed content to {role}"
