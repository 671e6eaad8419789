"""`automl-canvas members`: an owner lists, adds, changes and removes members; others are refused in one line."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from automl_canvas.auth.users import ensure_user
from automl_canvas.cli import main
from automl_canvas.config import get_settings
from automl_canvas.db import session_scope


@pytest.fixture
def cli(settings, engine, project, monkeypatch):
    monkeypatch.setenv("AUTOML_CANVAS_HOME", str(settings.home))
    monkeypatch.setenv("AUTOML_CANVAS_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    with session_scope(engine) as s:
        ensure_user(s, "bob", ("analyst",), "Bob")
    runner = CliRunner()
    yield lambda user, *args: runner.invoke(main, ["--user", user, "members", *args])
    get_settings.cache_clear()


def test_an_owner_manages_members_and_outsiders_are_told_nothing(cli, project):
    assert "ana" in cli("ana", "list", "Churn").output and "owner" in cli("ana", "list", "Churn").output
    hidden = cli("bob", "list", "Churn")
    assert hidden.exit_code == 2 and hidden.output.strip() == "error: There is no project called 'Churn'."
    by_id = cli("bob", "list", str(project.id))
    assert by_id.exit_code == 2 and f"Project {project.id} does not exist." in by_id.output
    added = cli("ana", "add", "Churn", "bob", "--role", "viewer")
    assert added.exit_code == 0 and "bob is a viewer of project Churn" in added.output
    listed = cli("bob", "list", "Churn")
    assert listed.exit_code == 0 and "bob" in listed.output and "by ana" in listed.output
    refused = cli("bob", "add", "Churn", "bob", "--role", "owner")
    assert refused.exit_code == 2 and "it needs the project role owner (bob is a viewer" in refused.output
    assert cli("ana", "add", "Churn", "bob", "--role", "editor").exit_code == 0
    last = cli("ana", "remove", "Churn", "ana")
    assert last.exit_code == 2 and "without an owner" in last.output and "Traceback" not in last.output
    removed = cli("ana", "remove", "Churn", "bob")
    assert removed.exit_code == 0 and "bob is no longer a member" in removed.output
    assert cli("bob", "list", "Churn").exit_code == 2
