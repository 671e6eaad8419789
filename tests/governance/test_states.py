"""The review state machine: every allowed move works, every other move raises and changes nothing."""

from __future__ import annotations

import itertools

import pytest
import sqlalchemy as sa

from automl_canvas.db import session_scope
from automl_canvas.errors import InvalidTransitionError
from automl_canvas.models import ModelVersion
from automl_canvas.review import ACTIONS, ReviewState, transition

pytestmark = [pytest.mark.slow, pytest.mark.db]

#: The moves the governance issue asks for, written out independently of the code's table.
EXPECTED = {
    ("share", "draft"): "pending_review",
    ("withdraw", "pending_review"): "draft",
    ("claim", "pending_review"): "in_review",
    ("release", "in_review"): "pending_review",
    ("take_over", "in_review"): "in_review",
    ("approve", "in_review"): "approved",
    ("reject", "in_review"): "rejected",
    ("request_changes", "in_review"): "changes_requested",
    ("supersede", "changes_requested"): "superseded",
    ("deploy", "approved"): "deployed",
    ("deploy", "deployed"): "deployed",
    ("undeploy", "deployed"): "approved",
    ("retire", "approved"): "retired",
    ("retire", "deployed"): "retired",
    ("revoke", "approved"): "revoked",
    ("revoke", "deployed"): "revoked",
}


def test_the_table_is_exactly_the_expected_one():
    table = {(a, str(f)): str(t) for a, moves in ACTIONS.items() for f, t in moves.items()}
    assert table == EXPECTED


@pytest.fixture(scope="module")
def scratch(world):
    return world.fresh_version()


@pytest.mark.parametrize("action,state", list(itertools.product(sorted(ACTIONS), [s.value for s in ReviewState])))
def test_every_move(world, scratch, action, state):
    with session_scope(world.engine) as s:
        s.execute(sa.update(ModelVersion).where(ModelVersion.id == scratch).values(status=state))
    expected = EXPECTED.get((action, state))
    with session_scope(world.engine) as s:
        row = s.get(ModelVersion, scratch)
        before = row.state_version
        if expected is None:
            with pytest.raises(InvalidTransitionError, match=f"is {state}"):
                transition(s, world.sam, row, action)
        else:
            out = transition(s, world.sam, row, action)
            assert out.status == expected and out.state_version == before + 1
    with session_scope(world.engine) as s:
        row = s.get(ModelVersion, scratch)
        assert row.status == (expected or state)
