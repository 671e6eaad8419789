"""project members: who belongs to a project, with a project role (owner, editor, viewer)

Every existing project gets its creator (``projects.owner_id``) as its owner,
so nobody loses access to what they made; everyone else now needs to be added.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-11
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import automl_canvas.db

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('project_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('added_at', automl_canvas.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'user_id', name='uq_project_member')
    )
    with op.batch_alter_table('project_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_members_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_members_user_id'), ['user_id'], unique=False)
    # The creator of every existing project becomes its owner (added by nobody: by this migration).
    op.execute("INSERT INTO project_members (project_id, user_id, role, added_by_id, added_at) "
               "SELECT id, owner_id, 'owner', NULL, created_at FROM projects")


def downgrade() -> None:
    with op.batch_alter_table('project_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_members_user_id'))
        batch_op.drop_index(batch_op.f('ix_project_members_project_id'))
    op.drop_table('project_members')
