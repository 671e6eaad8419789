"""GET /events?after=CURSOR: the ordered, durable feed of real transitions."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from automl_canvas.review import EVENT_ACTIONS
from automl_canvas.review.events import event_feed

from ..deps import Cursor, ctx_dep
from ..outputs import EventsOut

router = APIRouter(tags=["events"])

#: The event types the feed knows (an unknown one is refused with the list, by FastAPI's validation).
EventType = Literal[EVENT_ACTIONS]


@router.get("/events", responses={200: {"model": EventsOut}}, summary="Events with id > after, oldest first; send next_cursor as after next time")
def events(ctx: ctx_dep, after: Cursor = 0, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
           type: Annotated[list[EventType] | None, Query(description="Only these event types (repeat the parameter).")] = None):
    with ctx.session() as s:
        return event_feed(s, ctx.actor, after=after, limit=limit, types=type)
