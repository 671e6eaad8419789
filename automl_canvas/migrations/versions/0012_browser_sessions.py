"""browser sessions and user preferences: a sign-in that survives a reload, the current project per user

``browser_sessions`` backs the apps' sign-in cookie (only digests of its secret
and of the one-time ticket are stored); ``user_preferences`` keeps what a person
chose (the analyst app's current project) for them, not for one browser tab.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import automl_canvas.db

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('browser_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('ticket_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('ticket_expires_at', automl_canvas.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ticket_used_at', automl_canvas.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('secret_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('created_at', automl_canvas.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', automl_canvas.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', automl_canvas.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('secret_sha256'),
    sa.UniqueConstraint('ticket_sha256')
    )
    with op.batch_alter_table('browser_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_browser_sessions_user_id'), ['user_id'], unique=False)
    op.create_table('user_preferences',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('current_project_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', automl_canvas.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['current_project_id'], ['projects.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('user_id')
    )


def downgrade() -> None:
    op.drop_table('user_preferences')
    with op.batch_alter_table('browser_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_browser_sessions_user_id'))
    op.drop_table('browser_sessions')
