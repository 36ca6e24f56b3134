"""Machine caches kept by a key (embeddings by text hash, rule hits by turn hash): read many keys
at once, and store new rows leaving any another process stored meanwhile as they are."""
from __future__ import annotations

from collections.abc import Iterable, Iterator

from sqlalchemy import func, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

LOOKUP_CHUNK = 500           # well under SQLite's limit of bound parameters per statement
SCAN_SHARE = 4               # read every row of the scope when at least a quarter of them are wanted


def rows_by_key(session, key, value, scope, keys: Iterable[str]) -> Iterator[tuple[str, object]]:
    """(key, value) of the rows within ``scope`` (a where clause) whose ``key`` column is among
    ``keys``. Most of the scope wanted (a rerun): one pass over it beats a lookup per key (0.8 s
    against 4 s for 175,000 embeddings)."""
    wanted = set(keys)
    kept = session.scalar(select(func.count()).select_from(key.class_).where(scope)) or 0
    if not kept or not wanted:
        return
    if len(wanted) * SCAN_SHARE >= kept:
        yield from ((k, v) for k, v in session.execute(select(key, value).where(scope)) if k in wanted)
        return
    ordered = sorted(wanted)
    for i in range(0, len(ordered), LOOKUP_CHUNK):
        yield from session.execute(select(key, value).where(scope, key.in_(ordered[i:i + LOOKUP_CHUNK])))


def insert_new(session, model, unique: list[str]):
    """An INSERT of ``model`` rows that skips a row whose ``unique`` columns are already stored."""
    name = session.get_bind().dialect.name
    if name not in ("sqlite", "postgresql"):
        return insert(model)
    dialect_insert = sqlite_insert if name == "sqlite" else postgresql_insert
    return dialect_insert(model).on_conflict_do_nothing(index_elements=unique)
