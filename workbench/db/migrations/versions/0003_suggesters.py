"""suggesters: provenance of suggestions and codings, stored embeddings, codebook rule context

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 00:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('embedding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('model', sa.String(length=80), nullable=False),
    sa.Column('text_hash', sa.String(length=64), nullable=False),
    sa.Column('vector', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('model', 'text_hash'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('codebook', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rule_context', sa.JSON(), nullable=False, server_default='[]'))
    with op.batch_alter_table('coding', schema=None) as batch_op:
        batch_op.add_column(sa.Column('provenance', sa.JSON(), nullable=True))
    with op.batch_alter_table('suggestion', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suggester', sa.String(length=20), nullable=False, server_default='rules'))
        batch_op.add_column(sa.Column('score', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('evidence', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('suggestion', schema=None) as batch_op:
        batch_op.drop_column('evidence')
        batch_op.drop_column('score')
        batch_op.drop_column('suggester')
    with op.batch_alter_table('coding', schema=None) as batch_op:
        batch_op.drop_column('provenance')
    with op.batch_alter_table('codebook', schema=None) as batch_op:
        batch_op.drop_column('rule_context')
    op.drop_table('embedding')
