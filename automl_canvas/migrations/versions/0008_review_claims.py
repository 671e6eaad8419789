"""review claims: when a claim was taken, so a stale one can be taken over

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08
"""
import sqlalchemy as sa
from alembic import op

import automl_canvas.db

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('model_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_at', automl_canvas.db.UTCDateTime(timezone=True), nullable=True))
    # Claims held before this migration count from when the version entered review.
    op.execute("UPDATE model_versions SET claimed_at = status_changed_at "
               "WHERE claimed_by_id IS NOT NULL AND status = 'in_review'")


def downgrade() -> None:
    with op.batch_alter_table('model_versions', schema=None) as batch_op:
        batch_op.drop_column('claimed_at')
