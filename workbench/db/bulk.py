"""Loading many rows at once, for importers (untracked: an import is undone by deleting its
project; ``history.insert_rows`` is the tracked, undoable kind): the table's own INSERT, compiled once, with
each column's bind processing applied in one pass and sent as one ``executemany`` to the
driver (the ORM's bulk path spent as long building parameters as SQLite spent inserting), and a
larger SQLite page cache while a long load runs (index pages stay in memory)."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import Table
from sqlalchemy.orm import Session

LOAD_CACHE_KIB = 256 * 1024     # SQLite's page cache during a load: 1M codings' indexes fit (measured: 18.6 s -> 11.9 s)


def load_rows(session: Session, table: Table, columns: list[str], rows: list) -> int:
    """Insert ``rows`` (sequences of values for ``columns``, the table's column names) in the
    session's transaction; returns how many. Column defaults are not applied: give every value."""
    if not rows:
        return 0
    return load_columns(session, table, dict(zip(columns, zip(*rows))))


def load_columns(session: Session, table: Table, columns: dict[str, Sequence]) -> int:
    """Insert rows given column by column (the table's column name -> its values, all of one
    length) in the session's transaction; returns how many. Column defaults are not applied."""
    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1:
        raise ValueError(f"columns of different lengths: {sorted(lengths)}")
    if not lengths or not lengths.pop():
        return 0
    conn = session.connection()
    dialect = conn.dialect
    names = list(columns)
    # inline: no RETURNING of the new ids (PostgreSQL would add one; executemany discards it)
    compiled = table.insert().inline().compile(dialect=dialect, column_keys=names)
    # Column by column, so every loop below runs in C (zip, map, dict lookups): a Python loop
    # per row and value cost a third of a million-coding import. A column given twice (created
    # and updated times) is converted once.
    converted: dict[int, Sequence] = {}
    values = {}
    for key, column in columns.items():
        if id(column) not in converted:
            process = table.c[key].type.dialect_impl(dialect).bind_processor(dialect)
            converted[id(column)] = column if process is None else _converted(column, process)
        values[key] = converted[id(column)]
    if compiled.positional:
        params = list(zip(*(values[k] for k in compiled.positiontup)))
    else:
        params = [dict(zip(names, r)) for r in zip(*(values[k] for k in names))]
    conn.exec_driver_sql(str(compiled), params)
    return len(params)


def _converted(column: Sequence, process) -> list:
    """A column's values through its bind processor, each distinct value once (a coding's
    created and updated times repeat; formatting a datetime for SQLite is slow)."""
    try:
        once = {v: process(v) for v in set(column)}
    except TypeError:                  # unhashable (JSON): converted one by one
        return [process(v) for v in column]
    return list(map(once.__getitem__, column))


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
