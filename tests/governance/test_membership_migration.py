"""Migration 0011: every project that existed before membership gets its creator as its owner (nobody loses
access to what they made), and the creator can go on working in it; nobody else can."""

from __future__ import annotations

import pytest
from alembic import command

from automl_canvas.config import Settings
from automl_canvas.db import _alembic_config, init_db, make_engine, schema_status, session_scope
from automl_canvas.errors import NotFoundError
from automl_canvas.models import User
from automl_canvas.projects import get_project, list_members, list_projects


def test_existing_projects_get_their_creator_as_owner(tmp_path):
    eng = make_engine(Settings(home=tmp_path))
    command.upgrade(_alembic_config(eng), "0010")
    with eng.begin() as c:
        for name in ("ana", "bob"):
            c.exec_driver_sql("INSERT INTO users (username, display_name, roles, is_active, created_at, failed_logins) "
                              f"VALUES ('{name}', '{name.title()}', 'analyst', 1, '2026-01-01 00:00:00', 0)")
        c.exec_driver_sql("INSERT INTO projects (name, question, decision, success_criterion, owner_id, archived, created_at) "
                          "SELECT 'Churn', '', '', '', id, 0, '2026-01-02 00:00:00' FROM users WHERE username = 'ana'")
    assert init_db(eng) == schema_status(eng)[1]
    with session_scope(eng) as s:
        ana, bob = (s.query(User).filter_by(username=n).one() for n in ("ana", "bob"))
        (project,) = list_projects(s, ana)
        members = list_members(s, ana, project.id)
        assert [(m.username, m.role, m.added_by) for m in members] == [("ana", "owner", None)]
        assert get_project(s, ana, project.id).name == "Churn"
        assert list_projects(s, bob) == []
        with pytest.raises(NotFoundError, match=f"^Project {project.id} does not exist.$"):
            get_project(s, bob, project.id)
    command.downgrade(_alembic_config(eng), "0010")  # and back: the table goes, the projects stay
    with eng.connect() as c:
        assert c.exec_driver_sql("SELECT name FROM projects").scalar_one() == "Churn"
    eng.dispose()
