"""GET /me: who the token belongs to, their roles and what they may do."""

from __future__ import annotations

from fastapi import APIRouter

from automl_canvas.auth.policy import POLICY, allowed

from ..deps import ctx_dep
from ..outputs import MeOut

router = APIRouter(tags=["me"])


@router.get("/me", responses={200: {"model": MeOut}})
def me(ctx: ctx_dep):
    a = ctx.actor
    return {"id": a.id, "username": a.username, "display_name": a.display_name, "roles": sorted(a.role_set),
            "may": sorted(action for action in POLICY if allowed(a, action))}
