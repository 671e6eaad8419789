"""GET /events?after=CURSOR: the ordered, durable feed of real transitions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from automl_canvas.review.events import event_feed

from ..deps import Cursor, ctx_dep

router = APIRouter(tags=["events"])


@router.get("/events", summary="Events with id > after, oldest first; send next_cursor as after next time")
def events(ctx: ctx_dep, after: Cursor = 0, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
           type: Annotated[list[str] | None, Query()] = None):
    with ctx.session() as s:
        return event_feed(s, ctx.actor, after=after, limit=limit, types=type)
