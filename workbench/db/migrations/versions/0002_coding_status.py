"""coding status: which coder has finished coding which source

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 23:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('coding_status',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('coder_id', sa.Integer(), nullable=False),
    sa.Column('done', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['coder_id'], ['coder.id'], ),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('source_id', 'coder_id'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('coding_status', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coding_status_source_id'), ['source_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('coding_status', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coding_status_source_id'))
    op.drop_table('coding_status')
