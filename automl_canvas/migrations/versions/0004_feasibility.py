"""project business inputs and feasibility assessments

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import automl_canvas.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "business_inputs",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", automl_canvas.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"]),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("project_id"),
    )
    op.create_table(
        "feasibility_assessments",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("target", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("task", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("metric", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("verdict", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("expected_value_per_month", sa.Float(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("measurements", sa.JSON(), nullable=False),
        sa.Column("scorecard", sa.JSON(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("created_at", automl_canvas.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("scored_at", automl_canvas.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"]),
        sa.ForeignKeyConstraint(["dataset_id"], ["datasets.id"]),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"]),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("feasibility_assessments") as batch:
        batch.create_index("ix_feasibility_assessments_project_id", ["project_id"])
        batch.create_index("ix_feasibility_assessments_dataset_id", ["dataset_id"])
        batch.create_index("ix_feasibility_assessments_score", ["score"])
        batch.create_index("ix_feasibility_assessments_verdict", ["verdict"])


def downgrade() -> None:
    op.drop_table("feasibility_assessments")
    op.drop_table("business_inputs")
