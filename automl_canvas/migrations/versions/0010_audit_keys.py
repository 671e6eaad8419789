"""audit keys: each audit event records the id of the key its HMAC was made with

Events written before this revision keep ``key_id`` NULL and are verified with
the old unkeyed sha256 rule (only up to the first keyed event).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-10
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no table rebuild): the PostgreSQL append-only trigger refuses UPDATE/DELETE, not DDL.
    op.add_column('audit_log', sa.Column('key_id', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_column('key_id')
