"""evidence table; model version origin and parent (mitigated candidates)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

import automl_canvas.db

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("candidate", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("created_at", automl_canvas.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["model_versions.id"]),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("version_id", "kind", "candidate", name="uq_evidence_version_kind_candidate"),
    )
    op.create_index("ix_evidence_version_id", "evidence", ["version_id"])
    with op.batch_alter_table("model_versions") as batch:
        batch.add_column(sa.Column("origin", sa.String(length=32), nullable=False, server_default="search"))
        batch.add_column(sa.Column("parent_version_id", sa.Integer(), nullable=True))
        batch.create_index("ix_model_versions_parent_version_id", ["parent_version_id"])
        batch.create_foreign_key("fk_model_versions_parent", "model_versions", ["parent_version_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("model_versions") as batch:
        batch.drop_constraint("fk_model_versions_parent", type_="foreignkey")
        batch.drop_index("ix_model_versions_parent_version_id")
        batch.drop_column("parent_version_id")
        batch.drop_column("origin")
    op.drop_index("ix_evidence_version_id", table_name="evidence")
    op.drop_table("evidence")
