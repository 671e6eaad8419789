"""The conversation on a version between the analyst and the scientists (audited, in order)."""

from __future__ import annotations

from sqlmodel import Session, select

from ..audit import append
from ..auth.resources import version_for
from ..errors import ValidationError
from ..models import Comment, CommentPublic, User

__all__ = ["add_comment", "add_comment_row", "list_comments"]


def add_comment_row(session: Session, actor, version_id: int, body: str) -> CommentPublic:
    row = Comment(version_id=version_id, author_id=actor.id, body=body)
    session.add(row)
    session.flush()
    append(session, actor, "comment.added", "model_version", version_id, {"comment_id": row.id, "body": body})
    return CommentPublic(**row.model_dump(), author_name=actor.username)


def add_comment(session: Session, actor, version_id: int, body: str) -> CommentPublic:
    version_for(session, actor, "review.comment", version_id)  # editors of its project, and reviewers
    body = (body or "").strip()
    if not body:
        raise ValidationError("A comment cannot be empty.")
    if len(body) > 10_000:
        raise ValidationError("A comment can have at most 10,000 characters.")
    return add_comment_row(session, actor, version_id, body)


def list_comments(session: Session, actor, version_id: int) -> list[CommentPublic]:
    version_for(session, actor, "review.read", version_id)
    rows = session.exec(select(Comment, User.username).join(User, User.id == Comment.author_id)
                        .where(Comment.version_id == version_id).order_by(Comment.created_at, Comment.id)).all()
    return [CommentPublic(**c.model_dump(), author_name=name) for c, name in rows]
