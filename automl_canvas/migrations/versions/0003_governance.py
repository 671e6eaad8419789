"""governance: credentials, API tokens, review decisions, comments, project policies,
deployments and the hash-chained audit log (append-only on PostgreSQL by trigger)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import automl_canvas.db

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    op.create_table('api_tokens',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('prefix', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', automl_canvas.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', automl_canvas.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', automl_canvas.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', automl_canvas.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_sha256')
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_prefix'), ['prefix'], unique=False)
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('audit_log',
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('subject_type', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('at', automl_canvas.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_seq'), ['seq'], unique=True)

    op.create_table('project_policies',
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('rules', sa.JSON(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', automl_canvas.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('project_id')
    )
    op.create_table('comments',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('body', sqlmodel.sql.sqltypes.AutoString(length=10000), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', automl_canvas.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['version_id'], ['model_versions.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comments_version_id'), ['version_id'], unique=False)

    op.create_table('deployments',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('environment', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('deployed_by_id', sa.Integer(), nullable=False),
    sa.Column('artifact_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('previous_version_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', automl_canvas.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', automl_canvas.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['deployed_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['previous_version_id'], ['model_versions.id'], ),
    sa.ForeignKeyConstraint(['version_id'], ['model_versions.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('deployments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deployments_environment'), ['environment'], unique=False)
        batch_op.create_index(batch_op.f('ix_deployments_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_deployments_version_id'), ['version_id'], unique=False)

    op.create_table('review_decisions',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('decision', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('comment', sqlmodel.sql.sqltypes.AutoString(length=10000), nullable=False),
    sa.Column('override_justification', sqlmodel.sql.sqltypes.AutoString(length=10000), nullable=False),
    sa.Column('from_status', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('to_status', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('artifact_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('evidence_snapshot', sa.JSON(), nullable=False),
    sa.Column('created_at', automl_canvas.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['version_id'], ['model_versions.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('review_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_decisions_version_id'), ['version_id'], unique=False)

    with op.batch_alter_table('model_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shared_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('claimed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('state_version', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('responds_to_version_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('leakage_suspects', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('status_changed_at', automl_canvas.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key('fk_model_versions_shared_by', 'users', ['shared_by_id'], ['id'])
        batch_op.create_foreign_key('fk_model_versions_claimed_by', 'users', ['claimed_by_id'], ['id'])
        batch_op.create_foreign_key('fk_model_versions_responds_to', 'model_versions', ['responds_to_version_id'], ['id'])

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('locked_until', automl_canvas.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_login_at', automl_canvas.db.UTCDateTime(timezone=True), nullable=True))

    if op.get_bind().dialect.name == "postgresql":
        # The audit log is append-only for everyone, the product included: an UPDATE or DELETE is refused.
        op.execute(APPEND_ONLY_FUNCTION)
        op.execute("CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
                   "FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_refuse_change()")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('last_login_at')
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')
        batch_op.drop_column('password_hash')

    with op.batch_alter_table('model_versions', schema=None) as batch_op:
        batch_op.drop_constraint('fk_model_versions_responds_to', type_='foreignkey')
        batch_op.drop_constraint('fk_model_versions_claimed_by', type_='foreignkey')
        batch_op.drop_constraint('fk_model_versions_shared_by', type_='foreignkey')
        batch_op.drop_column('status_changed_at')
        batch_op.drop_column('leakage_suspects')
        batch_op.drop_column('responds_to_version_id')
        batch_op.drop_column('state_version')
        batch_op.drop_column('claimed_by_id')
        batch_op.drop_column('shared_by_id')

    with op.batch_alter_table('review_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_decisions_version_id'))

    op.drop_table('review_decisions')
    with op.batch_alter_table('deployments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deployments_version_id'))
        batch_op.drop_index(batch_op.f('ix_deployments_status'))
        batch_op.drop_index(batch_op.f('ix_deployments_environment'))

    op.drop_table('deployments')
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comments_version_id'))

    op.drop_table('comments')
    op.drop_table('project_policies')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_seq'))
        batch_op.drop_index(batch_op.f('ix_audit_log_action'))

    op.drop_table('audit_log')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))
        batch_op.drop_index(batch_op.f('ix_api_tokens_prefix'))

    op.drop_table('api_tokens')

