"""Loading many rows at once, for importers (untracked: an import is undone by deleting its
project; ``history.insert_rows`` is the tracked, undoable kind): the table's own INSERT, compiled once, with
each column's bind processing applied in one pass and sent as one ``executemany`` to the
driver (the ORM's bulk path spent as long building parameters as SQLite spent inserting), and a
larger SQLite page cache while a long load runs (index pages stay in memory)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Table
from sqlalchemy.orm import Session

LOAD_CACHE_KIB = 256 * 1024     # SQLite's page cache during a load: 1M codings' indexes fit (measured: 18.6 s -> 11.9 s)


def load_rows(session: Session, table: Table, columns: list[str], rows: list[tuple]) -> int:
    """Insert ``rows`` (tuples of values for ``columns``, the table's column names) in the
    session's transaction; returns how many. Column defaults are not applied: give every value."""
    if not rows:
        return 0
    conn = session.connection()
    dialect = conn.dialect
    # inline: no RETURNING of the new ids (PostgreSQL would add one; executemany discards it)
    compiled = table.insert().inline().compile(dialect=dialect, column_keys=columns)
    processors = [_memoised(table.c[k].type.dialect_impl(dialect).bind_processor(dialect)) for k in columns]
    converted = [(i, p) for i, p in enumerate(processors) if p is not None]
    if converted:
        out = []
        for row in rows:
            values = list(row)
            for i, process in converted:
                values[i] = process(values[i])
            out.append(values)
        rows = out
    if compiled.positional:
        order = [columns.index(k) for k in compiled.positiontup]
        params = [tuple(r[i] for i in order) for r in rows] if order != list(range(len(columns))) else \
            [tuple(r) for r in rows]
    else:
        params = [dict(zip(columns, r)) for r in rows]
    conn.exec_driver_sql(str(compiled), params)
    return len(rows)


def _memoised(process):
    """A bind processor that converts each distinct value once per call (a coding's created and
    updated times are the same value; formatting a datetime for SQLite was a third of the cost)."""
    if process is None:
        return None
    done: dict = {}

    def convert(value):
        try:
            return done[value]
        except KeyError:
            out = done[value] = process(value)
            return out
        except TypeError:              # unhashable (JSON): converted every time
            return process(value)
    return convert


@contextmanager
def load_cache(session: Session) -> Iterator[None]:
    """A larger page cache for this connection while a bulk load runs (SQLite only; the
    previous size is restored after)."""
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql(f"PRAGMA cache_size = -{LOAD_CACHE_KIB}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size = {int(before)}")
