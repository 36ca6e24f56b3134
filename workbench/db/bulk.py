"""Loading many rows at once, for importers (untracked: an import is undone by deleting its
project; ``history.insert_columns`` is the tracked, undoable kind): the table's own INSERT, compiled once, with
each column's bind processing applied in one pass and sent as one ``executemany`` to the
driver (the ORM's bulk path spent as long building parameters as SQLite spent inserting), and a
larger SQLite page cache while a long load runs (index pages stay in memory)."""
from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice, repeat

from sqlalchemy import Table
from sqlalchemy.orm import Session

from workbench.db.columns import NULL_INT

LOAD_CACHE_KIB = 256 * 1024     # SQLite's page cache during a load: 1M codings' indexes fit (measured: 18.6 s -> 11.9 s)


def load_columns(session: Session, table: Table, columns: dict[str, Sequence], *,
                 same: dict[str, object] | None = None, chunk: int = 50_000) -> int:
    """Insert rows given column by column (the table's column name -> its values, all of one
    length) in the session's transaction; returns how many. ``same``: columns with one value for
    every row. In machine arrays NaN (``d``) and ``columns.NULL_INT`` (``q``) stand for None.
    Rows go to the driver ``chunk`` at a time (a list of four million row tuples cost ~500 MB).
    Column defaults are not applied."""
    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1:
        raise ValueError(f"columns of different lengths: {sorted(lengths)}")
    if not lengths or not (n := lengths.pop()):
        return 0
    conn = session.connection()
    dialect = conn.dialect
    same = same or {}
    names = [*columns, *same]
    # inline: no RETURNING of the new ids (PostgreSQL would add one; executemany discards it)
    compiled = table.insert().inline().compile(dialect=dialect, column_keys=names)
    # Column by column, so every loop below runs in C (zip, map, dict lookups): a Python loop
    # per row and value cost a third of a million-coding import. A column given twice (created
    # and updated times) is converted once.
    converted: dict[int, Sequence] = {}
    values = {}
    for key, column in [*columns.items(), *((k, [v]) for k, v in same.items())]:
        if id(column) not in converted:
            process = table.c[key].type.dialect_impl(dialect).bind_processor(dialect)
            if process is None:
                values[key] = _nulls(column)            # an iterator is read once: not shared
                continue
            converted[id(column)] = _converted(list(_nulls(column)), process)
        values[key] = converted[id(column)]
    for key in same:
        values[key] = repeat(values[key][0], n)
    order = compiled.positiontup if compiled.positional else names
    rows = zip(*(values[k] for k in order))
    sql = str(compiled)
    while batch := list(islice(rows, chunk)):
        conn.exec_driver_sql(sql, batch if compiled.positional else [dict(zip(names, r)) for r in batch])
    return n


def _nulls(column: Sequence) -> Iterable:
    """A machine array's values with its NULL marks (NaN, ``NULL_INT``) as None, lazily; any
    other column as it is."""
    if isinstance(column, array) and column.typecode == "d":
        return (None if v != v else v for v in column)
    if isinstance(column, array) and column.typecode == "q" and NULL_INT in column:
        return (None if v == NULL_INT else v for v in column)
    return column


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
