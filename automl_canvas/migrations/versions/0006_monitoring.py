"""monitoring: prediction log, feedback, drift and quality checks

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import automl_canvas.db

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('monitoring_checks',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('window_start', automl_canvas.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('window_end', automl_canvas.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('rows_with_inputs', sa.Integer(), nullable=False),
    sa.Column('labelled_rows', sa.Integer(), nullable=False),
    sa.Column('metric', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('holdout_metric', sa.Float(), nullable=True),
    sa.Column('live_metric', sa.Float(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('features', sa.JSON(), nullable=False),
    sa.Column('prediction_drift', sa.JSON(), nullable=False),
    sa.Column('quality', sa.JSON(), nullable=False),
    sa.Column('findings', sa.JSON(), nullable=False),
    sa.Column('thresholds', sa.JSON(), nullable=False),
    sa.Column('alert_event_ids', sa.JSON(), nullable=False),
    sa.Column('checked_at', automl_canvas.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], ),
    sa.ForeignKeyConstraint(['version_id'], ['model_versions.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('monitoring_checks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_monitoring_checks_version_id'), ['version_id'], unique=False)

    op.create_table('monitoring_schedules',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('next_check_at', automl_canvas.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['version_id'], ['model_versions.id'], ),
    sa.PrimaryKeyConstraint('version_id')
    )
    op.create_table('prediction_logs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('row', sa.Integer(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('inputs', sa.JSON(), nullable=True),
    sa.Column('prediction', sa.JSON(), nullable=True),
    sa.Column('probabilities', sa.JSON(), nullable=True),
    sa.Column('logged_at', automl_canvas.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actual', sa.JSON(), nullable=True),
    sa.Column('actual_at', automl_canvas.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['version_id'], ['model_versions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('version_id', 'request_id', 'row', name='uq_prediction_log_key')
    )
    with op.batch_alter_table('prediction_logs', schema=None) as batch_op:
        batch_op.create_index('ix_prediction_logs_version_logged', ['version_id', 'logged_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('prediction_logs', schema=None) as batch_op:
        batch_op.drop_index('ix_prediction_logs_version_logged')

    op.drop_table('prediction_logs')
    op.drop_table('monitoring_schedules')
    with op.batch_alter_table('monitoring_checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_monitoring_checks_version_id'))

    op.drop_table('monitoring_checks')
