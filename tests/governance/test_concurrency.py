"""Two scientists deciding at the same moment: exactly one wins, the other is told, nothing is half-written.

Real threads, real connections; on PostgreSQL the row lock plus the
``state_version`` check decide, on SQLite the single writer does.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from automl_canvas.audit import verify_chain
from automl_canvas.db import session_scope, utcnow
from automl_canvas.errors import CanvasError
from automl_canvas.models import ModelVersion, ReviewDecision
from automl_canvas.review import approve, claim

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

JUSTIFICATION = "Gender is an approved pricing factor here (test)."


def _race(world, fns):
    barrier = threading.Barrier(len(fns))
    results: list = [None] * len(fns)

    def run(i, fn):
        barrier.wait()
        try:
            with session_scope(world.engine) as s:
                results[i] = fn(s)
        except Exception as exc:  # noqa: BLE001 - anything that is not a clean domain error fails the assertions
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


@pytest.mark.parametrize("round_", range(4))
def test_two_approvals_at_once_exactly_one_wins(world, round_):
    vid = world.fresh_version()
    with session_scope(world.engine) as s:
        s.execute(sa.update(ModelVersion).where(ModelVersion.id == vid).values(
            status="in_review", shared_by_id=world.analyst.id, claimed_by_id=world.sam.id))
    # Only the claim holder decides, so the race is the holder deciding twice at once (two tabs, a double click).
    results = _race(world, [lambda s: approve(s, world.settings, world.sam, vid, override_justification=JUSTIFICATION)] * 2)
    wins = [r for r in results if not isinstance(r, Exception)]
    losses = [r for r in results if isinstance(r, CanvasError)]
    assert len(wins) == 1 and len(losses) == 1, results  # an unexpected exception is neither
    assert losses[0].code in {"conflict", "invalid_transition"}
    with session_scope(world.engine) as s:
        assert s.get(ModelVersion, vid).status == "approved"
        assert len(s.exec(select(ReviewDecision).where(ReviewDecision.version_id == vid)).all()) == 1
        assert verify_chain(s).ok


def test_a_stale_claim_taken_over_while_its_holder_approves_exactly_one_wins(world):
    vid = world.fresh_version()
    with session_scope(world.engine) as s:
        s.execute(sa.update(ModelVersion).where(ModelVersion.id == vid).values(
            status="in_review", shared_by_id=world.analyst.id, claimed_by_id=world.sam.id,
            claimed_at=utcnow() - timedelta(minutes=world.settings.review_claim_expiry_minutes + 1)))
    results = _race(world, [lambda s: approve(s, world.settings, world.sam, vid, override_justification=JUSTIFICATION),
                            lambda s: claim(s, world.sky, vid, settings=world.settings)])
    wins = [r for r in results if not isinstance(r, Exception)]
    losses = [r for r in results if isinstance(r, CanvasError)]
    assert len(wins) == 1 and len(losses) == 1, results
    assert losses[0].code in {"conflict", "invalid_transition", "claim_required"}
    with session_scope(world.engine) as s:
        row = s.get(ModelVersion, vid)
        assert (row.status, row.claimed_by_id) in {("approved", world.sam.id), ("in_review", world.sky.id)}
        assert verify_chain(s).ok


def test_two_claims_at_once_exactly_one_wins(world):
    vid = world.fresh_version()
    with session_scope(world.engine) as s:
        s.execute(sa.update(ModelVersion).where(ModelVersion.id == vid).values(status="pending_review", shared_by_id=world.analyst.id))
    results = _race(world, [lambda s, u=u: claim(s, u, vid) for u in (world.sam, world.sky)])
    wins = [r for r in results if not isinstance(r, Exception)]
    assert len(wins) == 1 and isinstance(next(r for r in results if isinstance(r, Exception)), CanvasError), results
    with session_scope(world.engine) as s:
        assert s.get(ModelVersion, vid).claimed_by_id == wins[0].claimed_by_id
