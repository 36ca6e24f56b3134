"""rule hits: what the rules found in each turn, kept by the rules' fingerprint and the turn's
hash, so that a rerun of the suggesters matches only what changed

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 12:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rule_hit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('turn_hash', sa.String(length=64), nullable=False),
    sa.Column('hits', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('fingerprint', 'turn_hash'),
    sqlite_autoincrement=True
    )
    op.create_index('ix_rule_hit_project_id', 'rule_hit', ['project_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_rule_hit_project_id', table_name='rule_hit')
    op.drop_table('rule_hit')
