"""turn language: the language each turn was transcribed in (recordings whose language changes)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('segment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('segment', schema=None) as batch_op:
        batch_op.drop_column('language')
