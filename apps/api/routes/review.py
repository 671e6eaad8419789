"""Review actions: share, claim, release, withdraw, approve, reject, request changes, revoke, comment."""

from __future__ import annotations

from fastapi import APIRouter

from automl_canvas import review
from automl_canvas.models import CommentPublic, ModelVersionPublic, ReviewDecisionPublic

from ..deps import Id, ctx_dep
from ..outputs import ReviewOut, ReviewQueueItem
from ..schemas import ApproveIn, CommentIn, DecisionIn, RevokeIn, ShareIn

router = APIRouter(tags=["review"])


@router.get("/model-versions/{version_id}/review", responses={200: {"model": ReviewOut}}, summary="Everything a reviewer sees: checks, decisions, history")
def get_review(version_id: Id, ctx: ctx_dep):
    with ctx.session() as s:
        return review.get_review(s, ctx.settings, ctx.actor, version_id)


@router.get("/review-queue", responses={200: {"model": list[ReviewQueueItem]}},
            summary="Versions waiting for review (mine=true: the ones I claimed)")
def queue(ctx: ctx_dep, mine: bool = False):
    with ctx.session() as s:
        return review.review_queue(s, ctx.settings, ctx.actor, mine=mine)


@router.post("/model-versions/{version_id}/share", response_model=ModelVersionPublic)
def share(version_id: Id, body: ShareIn, ctx: ctx_dep):
    with ctx.session() as s:
        return review.share(s, ctx.settings, ctx.actor, version_id, body.message, body.responds_to_version_id)


@router.post("/model-versions/{version_id}/withdraw", response_model=ModelVersionPublic)
def withdraw(version_id: Id, ctx: ctx_dep):
    with ctx.session() as s:
        return review.withdraw(s, ctx.actor, version_id)


@router.post("/model-versions/{version_id}/claim", response_model=ModelVersionPublic,
             summary="Claim a shared version for review (exclusive), or take over a stale claim")
def claim(version_id: Id, ctx: ctx_dep):
    with ctx.session() as s:
        return review.claim(s, ctx.actor, version_id, settings=ctx.settings)


@router.post("/model-versions/{version_id}/release", response_model=ModelVersionPublic)
def release(version_id: Id, ctx: ctx_dep):
    with ctx.session() as s:
        return review.release(s, ctx.actor, version_id, settings=ctx.settings)


@router.post("/model-versions/{version_id}/approve", response_model=ReviewDecisionPublic)
def approve(version_id: Id, body: ApproveIn, ctx: ctx_dep):
    with ctx.session() as s:
        return review.approve(s, ctx.settings, ctx.actor, version_id, body.comment, body.override_justification)


@router.post("/model-versions/{version_id}/reject", response_model=ReviewDecisionPublic)
def reject(version_id: Id, body: DecisionIn, ctx: ctx_dep):
    with ctx.session() as s:
        return review.reject(s, ctx.settings, ctx.actor, version_id, body.comment)


@router.post("/model-versions/{version_id}/request-changes", response_model=ReviewDecisionPublic)
def request_changes(version_id: Id, body: DecisionIn, ctx: ctx_dep):
    with ctx.session() as s:
        return review.request_changes(s, ctx.settings, ctx.actor, version_id, body.comment)


@router.post("/model-versions/{version_id}/revoke", response_model=ReviewDecisionPublic,
             summary="Withdraw an approval: deployment tooling sees version.revoked")
def revoke(version_id: Id, body: RevokeIn, ctx: ctx_dep):
    with ctx.session() as s:
        return review.revoke(s, ctx.settings, ctx.actor, version_id, body.reason)


@router.get("/model-versions/{version_id}/comments", response_model=list[CommentPublic])
def comments(version_id: Id, ctx: ctx_dep):
    with ctx.session() as s:
        return review.list_comments(s, ctx.actor, version_id)


@router.post("/model-versions/{version_id}/comments", response_model=CommentPublic, status_code=201)
def comment(version_id: Id, body: CommentIn, ctx: ctx_dep):
    with ctx.session() as s:
        return review.add_comment(s, ctx.actor, version_id, body.body)
