"""coding source index: drop ix_coding_source_id, which repeats the leading column of
uq_coding_span (source_id, code_id, coder_id, start, end); every lookup by source uses that one,
and an import of a million codings spent about a tenth of its inserting on the copy

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 14:00:00
"""
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain DROP INDEX on both engines (a batch operation would copy the table on SQLite)
    op.drop_index('ix_coding_source_id', table_name='coding')


def downgrade() -> None:
    op.create_index('ix_coding_source_id', 'coding', ['source_id'], unique=False)
