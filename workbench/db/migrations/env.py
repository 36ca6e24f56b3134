"""Alembic environment: runs on the connection the workbench hands over (store.migrate).

Standalone use (``alembic -x url=sqlite:///workbench.db upgrade head``) is supported too.
"""
from alembic import context
from sqlalchemy import create_engine

from workbench.db.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection) -> None:
    # Batch mode lets ALTER TABLE work on SQLite (copy-and-move), a no-op elsewhere.
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url", "sqlite:///workbench.db")
    with create_engine(url).begin() as conn:
        _run(conn)
