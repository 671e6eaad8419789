"""job fencing: a token per attempt, so a job that lost its lease cannot write

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-09
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lease_token', sa.String(length=32), nullable=True))
    # A job shown "running" with no owner was handed back by a stopping worker: it is queued.
    op.execute("UPDATE jobs SET status = 'queued' WHERE status = 'running' AND lease_owner IS NULL")


def downgrade() -> None:
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_column('lease_token')
