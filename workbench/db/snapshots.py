"""Rows as JSON snapshots and back: what the event log stores of a row before and after a
change, so that undo and redo can put it back exactly."""
from __future__ import annotations

import base64
import datetime as dt
import enum
import zlib
from typing import Any

from sqlalchemy import Date, DateTime, String

from workbench.db.models import Base


def jsonable(value: Any) -> Any:
    """A column value as JSON can hold it (enums by value, dates as ISO text in naive UTC)."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime):
        # SQLite hands back naive datetimes, PostgreSQL aware ones: compare in naive UTC.
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


PACK_CHARS = 1 << 20       # a text of a million characters or more is kept compressed in the log


def packed(value: Any, column_type) -> Any:
    """A long text (a source of 200 MB) as ``{"zlib": base64}``, compressed a megabyte at a time:
    as JSON the log held a second, escaped copy of it. Deterministic, so two snapshots of the
    same row compare equal; any other value as it is."""
    if not (isinstance(value, str) and len(value) >= PACK_CHARS and isinstance(column_type, String)):
        return value
    packer, out = zlib.compressobj(1), []
    for i in range(0, len(value), PACK_CHARS):
        out.append(packer.compress(value[i:i + PACK_CHARS].encode("utf-8")))
    out.append(packer.flush())
    return {"zlib": base64.b64encode(b"".join(out)).decode("ascii")}


def _unpacked(value: Any, column_type) -> Any:
    if isinstance(value, dict) and isinstance(column_type, String) and set(value) == {"zlib"}:
        return zlib.decompress(base64.b64decode(value["zlib"])).decode("utf-8")
    return value


def snapshot(obj: Base, *, pack: bool = True) -> dict[str, Any]:
    """The column values of a row, as JSON-ready values (long texts :func:`packed`, unless
    ``pack`` is False: for comparing with :func:`unpacked_values`)."""
    mapper = obj.__mapper__
    if not pack:
        return {attr.key: jsonable(getattr(obj, attr.key)) for attr in mapper.column_attrs}
    return {attr.key: packed(jsonable(getattr(obj, attr.key)), attr.columns[0].type) for attr in mapper.column_attrs}


def unpacked_values(model: type[Base], values: dict[str, Any] | None) -> dict[str, Any] | None:
    """A logged snapshot with its packed texts unpacked: compare texts, never their compressed
    bytes (events logged before packing hold plain text, and another zlib may compress
    differently)."""
    if values is None:
        return None
    types = {attr.key: attr.columns[0].type for attr in model.__mapper__.column_attrs}
    return {k: _unpacked(v, types[k]) if k in types else v for k, v in values.items()}


def snapshot_before(obj: Base) -> dict[str, Any]:
    from sqlalchemy import inspect as sa_inspect
    state = sa_inspect(obj)
    before = {}
    for attr in obj.__mapper__.column_attrs:
        hist = state.attrs[attr.key].history
        if hist.deleted:
            before[attr.key] = jsonable(hist.deleted[0])
        elif hist.unchanged:
            before[attr.key] = jsonable(hist.unchanged[0])
        else:
            before[attr.key] = jsonable(getattr(obj, attr.key))
        before[attr.key] = packed(before[attr.key], attr.columns[0].type)
    return before


def restore_values(model: type[Base], values: dict[str, Any]) -> dict[str, Any]:
    """Turn a JSON snapshot back into Python values for ``model``'s columns."""
    out = {}
    for attr in model.__mapper__.column_attrs:
        if attr.key not in values:
            continue
        col_type = attr.columns[0].type
        value = _unpacked(values[attr.key], col_type)
        if value is not None and isinstance(col_type, DateTime):
            value = dt.datetime.fromisoformat(value).replace(tzinfo=dt.timezone.utc)
        elif value is not None and isinstance(col_type, Date):
            value = dt.date.fromisoformat(value)
        elif value is not None and getattr(col_type, "enum_class", None) is not None:
            value = col_type.enum_class(value)
        out[attr.key] = value
    return out
