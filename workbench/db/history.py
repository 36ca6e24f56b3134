"""The event log: every row change a person makes, grouped per action, with undo and redo.

A write session that is *tracked* (``Store.write(action=...)``) records, at each flush, one
``event`` row per inserted, updated or deleted row with its values before and after. Undo
replays a group backwards, redo forwards. Because the stack lives in the database, it
survives a restart and is shared by the UI and the CLI. Undo is per coder and project: one
coder's undo never reverts another coder's work; if another coder changed a row since, the
undo is refused (:class:`UndoConflict`) rather than overwriting their change.
"""
from __future__ import annotations

import uuid
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, event, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workbench.db.bulk import load_columns
from workbench.db.columns import decode as decode_column
from workbench.db.columns import encode_values
from workbench.db.models import MODELS_BY_TABLE, Base, Coder, Embedding, Event, EventState, Job, RuleHit, utcnow
from workbench.db.snapshots import jsonable, restore_values, snapshot, snapshot_before, unpacked_values
from workbench.errors import NothingToUndo, UndoConflict

# Rows that are machine bookkeeping, not a person's change.
# Suggestions are tracked: undoing a review puts them back in the queue. A run's own inserts
# are not logged (runs write without an action); a run is undone whole by autocode.undo_run.
# Coders are people, not changes: the log's own rows name them, so an undo that deleted the
# coder an action created (a file of codings imported as a new coder) would orphan the log.
# Embeddings and rule hits are caches, recomputed from the text whenever missing.
UNTRACKED = (Event, Job, Coder, Embedding, RuleHit)
# Columns that change on every write and would make every undo look like a conflict.
VOLATILE = {"updated_at"}


@dataclass
class _Tracking:
    action: str
    project_id: int | None
    coder_id: int | None
    group_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    pending: list[tuple[str, Base, dict | None]] = field(default_factory=list)
    started: bool = False


def track(session: Session, *, action: str, project_id: int | None, coder_id: int | None) -> None:
    """Record the row changes of ``session`` as one undoable action."""
    session.info["tracking"] = _Tracking(action, project_id, coder_id)


def set_project(session: Session, project_id: int) -> None:
    """Tell a tracked session its project once it is known (e.g. right after creating it)."""
    tracking = session.info.get("tracking")
    if tracking is not None:
        tracking.project_id = project_id


def set_coder(session: Session, coder_id: int) -> None:
    """Tell a tracked session whose action it is once the coder is known (e.g. just created)."""
    tracking = session.info.get("tracking")
    if tracking is not None:
        tracking.coder_id = coder_id


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _ctx, _instances) -> None:
    tracking: _Tracking | None = session.info.get("tracking")
    if tracking is None:
        return
    # Left over only when the previous flush failed (and a savepoint took it back): its rows
    # never reached the database, so they must not reach the log either.
    tracking.pending.clear()
    for obj in session.deleted:
        if not isinstance(obj, UNTRACKED):
            tracking.pending.append(("delete", obj, snapshot_before(obj)))
    for obj in session.dirty:
        if not isinstance(obj, UNTRACKED) and session.is_modified(obj, include_collections=False):
            tracking.pending.append(("update", obj, snapshot_before(obj)))
    for obj in session.new:
        if not isinstance(obj, UNTRACKED):
            tracking.pending.append(("insert", obj, None))


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _ctx) -> None:
    tracking: _Tracking | None = session.info.get("tracking")
    if tracking is None or not tracking.pending:
        return
    rows = []
    for op, obj, before in tracking.pending:
        after = None if op == "delete" else snapshot(obj)
        if op == "update" and {k: v for k, v in before.items() if k not in VOLATILE} == \
                {k: v for k, v in after.items() if k not in VOLATILE}:
            continue
        project_id = tracking.project_id
        if project_id is None and obj.__tablename__ == "project":
            project_id = (after or before)["id"]
        rows.append({"group_id": tracking.group_id, "project_id": project_id,
                     "coder_id": tracking.coder_id, "action": tracking.action, "op": op,
                     "entity": obj.__tablename__, "entity_id": (after or before)["id"],
                     "before": before, "after": after, "state": EventState.done.value,
                     "created_at": utcnow()})
    tracking.pending.clear()
    _write_events(session, tracking, rows)


def _write_events(session: Session, tracking: _Tracking, rows: list[dict]) -> None:
    if not rows:
        return
    conn = session.connection()
    if not tracking.started and tracking.project_id is not None:
        # A new action makes the undone actions of this coder un-redoable.
        conn.execute(update(Event).where(
            Event.project_id == tracking.project_id, Event.coder_id == tracking.coder_id,
            Event.state == EventState.undone).values(state=EventState.discarded))
        tracking.started = True
    conn.execute(insert(Event), rows)


BULK_INSERT = "inserts"       # fits the op column (10 characters)
"""An event holding many inserted rows of one table (a transcript's turns): one event, not one per row."""


def insert_columns(session: Session, model, columns: dict[str, Sequence], ids_query, *,
                   same: dict[str, object] | None = None) -> int:
    """Insert many rows of one table given column by column (see ``bulk.load_columns``) and, in a
    tracked session, record them as one event - each column compact (``columns.encode_values``) -
    which undo deletes and redo inserts again as a whole. ``ids_query`` selects the new rows' ids
    in the order of the columns (the turns of a new source, by position). Returns how many rows.

    An object and an event per row made a 20 MB transcript of short turns take a minute and
    2.3 GB; a dict per row and ids returned per batch still cost 30 s and 450 MB for 50 MB.
    """
    n = load_columns(session, model.__table__, columns, same=same)
    tracking: _Tracking | None = session.info.get("tracking")
    if n and tracking is not None and not issubclass(model, UNTRACKED):
        # in batches: an ORM result is buffered whole, a row object per id (400 MB for 3.5M turns)
        ids = array("q", session.scalars(ids_query.execution_options(yield_per=50_000)))
        if len(ids) != n:
            raise RuntimeError(f"{model.__tablename__}: {n} rows inserted but {len(ids)} found by their query")
        logged = {"id": encode_values(ids), **{k: encode_values(v) for k, v in columns.items()},
                  **{k: {"same": jsonable(v), "n": n} for k, v in (same or {}).items()}}
        _write_events(session, tracking, [{
            "group_id": tracking.group_id, "project_id": tracking.project_id, "coder_id": tracking.coder_id,
            "action": tracking.action, "op": BULK_INSERT, "entity": model.__tablename__, "entity_id": ids[0],
            "before": None, "after": {"rows": n, "columns": logged},
            "state": EventState.done.value, "created_at": utcnow()}])
    return n


def _replay_bulk(session: Session, events: list[Event], forward: bool) -> None:
    """Redo (insert again) or undo (delete) the rows of bulk-insert events, refusing as a whole
    when a row exists again (redo) or was changed or is gone since (undo)."""
    for ev in events:
        model = MODELS_BY_TABLE[ev.entity]
        columns = {key: decode_column(encoded) for key, encoded in ev.after["columns"].items()}
        rows = [dict(zip(columns, values)) for values in zip(*columns.values())]
        ids = [r["id"] for r in rows]
        found: dict[int, dict] = {}
        for i in range(0, len(ids), 500):
            for obj in session.execute(select(model.__table__).where(model.__table__.c.id.in_(ids[i:i + 500]))):
                found[obj.id] = {k: jsonable(v) for k, v in obj._mapping.items()}
        if forward:
            if found:
                raise UndoConflict(f"{ev.entity} {min(found)} exists again; cannot restore it")
            for i in range(0, len(rows), 5000):
                session.execute(insert(model), [restore_values(model, r) for r in rows[i:i + 5000]])
            continue
        for r in rows:
            if _comparable(found.get(r["id"])) != _comparable(r):
                raise UndoConflict(f"{ev.entity} {r['id']} was changed since \"{ev.action}\" (by another coder or "
                                   "action); undo it by hand, or skip this step with `workbench undo --skip`")
        holder = _referrers(session, ev.entity, set(ids), {ev.entity: set(ids)})
        if holder:
            raise UndoConflict(f"undoing this would also delete {holder}, made after it; "
                               "remove that first, or skip this step with `workbench undo --skip`")
        for i in range(0, len(ids), 500):
            session.execute(delete(model).where(model.id.in_(ids[i:i + 500])))


def _table_order() -> list[str]:
    return [t.name for t in Base.metadata.sorted_tables]


def _last_group(session: Session, project_id: int, coder_id: int | None, state: EventState) -> str:
    order = Event.undone_at.desc() if state == EventState.undone else Event.id.desc()
    group = session.scalar(
        select(Event.group_id).where(Event.project_id == project_id, Event.coder_id == coder_id,
                                     Event.state == state).order_by(order, Event.id.desc()).limit(1))
    if group is None:
        raise NothingToUndo("nothing to undo" if state == EventState.done else "nothing to redo")
    return group


def _comparable(values: dict | None) -> dict:
    return {k: v for k, v in (values or {}).items() if k not in VOLATILE}


_COMPOSE = {  # (first op, later op) -> op of the pair, for one row touched twice in a group
    ("insert", "update"): "insert", ("insert", "delete"): None, ("update", "update"): "update",
    ("update", "delete"): "delete", ("delete", "insert"): "update"}


def _collapse(events: list[Event]) -> list[tuple[str, str, int, dict | None, dict | None, str]]:
    """One net change per row: a row inserted then edited in one action is one insert."""
    net: dict[tuple[str, int], list] = {}
    for ev in events:
        key = (ev.entity, ev.entity_id)
        if key not in net:
            net[key] = [ev.op, ev.before, ev.after, ev.action]
            continue
        entry = net[key]
        entry[0] = _COMPOSE.get((entry[0], ev.op), ev.op) if entry[0] else ev.op
        entry[2] = ev.after
    return [(op, entity, eid, before, after, action)
            for (entity, eid), (op, before, after, action) in net.items() if op]


def _referrers(session: Session, table: str, ids: set[int], deleting: dict[str, set[int]]) -> str | None:
    """A row outside this action that points at one of ``ids`` (and would be lost with them)."""
    for other in Base.metadata.sorted_tables:
        for fk in other.foreign_keys:
            if fk.column.table.name != table or other.name in ("event",):
                continue
            rows = session.execute(select(other.c.id).where(fk.parent.in_(ids))).scalars().all()
            foreign = set(rows) - deleting.get(other.name, set())
            if foreign:
                return f"{other.name} {sorted(foreign)[0]}"
    return None


def _replay(session: Session, events: list[Event], forward: bool) -> None:
    """Apply ``events`` (forward = redo) or their inverse (undo).

    Inserts go first (parents before children), then updates, then deletes (children
    first): that order satisfies every foreign key in both directions. Nothing is
    changed if a row was changed since by someone else, or if deleting a row would take
    with it rows made since (a coding added to a source whose import is being undone).
    """
    order = _table_order()
    bulk = [ev for ev in events if ev.op == BULK_INSERT]
    events = [ev for ev in events if ev.op != BULK_INSERT]
    inserts, deletes, updates = [], [], []
    for op, entity, eid, before, after, action in _collapse(events):
        model = MODELS_BY_TABLE[entity]
        if not forward:
            op = {"insert": "delete", "delete": "insert", "update": "update"}[op]
        expected = before if forward else after       # what the row must look like now
        target = after if forward else before         # what it becomes
        current = session.get(model, eid)
        if op == "insert":
            if current is not None:
                raise UndoConflict(f"{entity} {eid} exists again; cannot restore it")
            inserts.append((model, target))
        else:
            if current is None or _comparable(snapshot(current, pack=False)) != \
                    _comparable(unpacked_values(model, expected)):
                raise UndoConflict(
                    f"{entity} {eid} was changed since \"{action}\" (by another coder or action); "
                    "undo it by hand, or skip this step with `workbench undo --skip`")
            (deletes if op == "delete" else updates).append((current, target))
    try:
        for model, values in _parents_first(sorted(inserts, key=lambda mv: order.index(mv[0].__tablename__))):
            session.add(model(**restore_values(model, values)))
            session.flush()
        if forward:
            _replay_bulk(session, bulk, forward=True)         # after their parents
        for current, target in updates:
            for key, value in restore_values(type(current), target).items():
                setattr(current, key, value)
        session.flush()
        if not forward:
            _replay_bulk(session, bulk, forward=False)        # before their parents go
        # Checked after the updates: a row this action re-parents no longer points here.
        # Raising rolls the whole transaction back (Store.write), so nothing is half-done.
        deleting: dict[str, set[int]] = {}
        for current, _ in deletes:
            deleting.setdefault(current.__tablename__, set()).add(current.id)
        for table, ids in deleting.items():
            holder = _referrers(session, table, ids, deleting)
            if holder:
                raise UndoConflict(f"undoing this would also delete {holder}, made after it; "
                                   "remove that first, or skip this step with `workbench undo --skip`")
        rows = _parents_first([(type(c), snapshot(c), c) for c, _ in
                               sorted(deletes, key=lambda cv: order.index(cv[0].__tablename__))])
        for _model, _values, current in reversed(rows):          # children first
            session.delete(current)
            session.flush()
    except IntegrityError as exc:
        raise UndoConflict(f"the database refused the change ({exc.orig}); nothing was changed") from exc


def _self_references(model) -> list[str]:
    """Columns of ``model`` that point at its own table (a code's parent)."""
    table = model.__table__
    return [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]


def _parents_first(rows: list[tuple]) -> list[tuple]:
    """``rows`` (model, values, ...) in table order, and within a table that points at itself, each
    row after the rows of this batch it points at: a code is restored before its sub-codes."""
    out: list[tuple] = []
    i = 0
    while i < len(rows):
        model = rows[i][0]
        j = i
        while j < len(rows) and rows[j][0] is model:
            j += 1
        group, refs = rows[i:j], _self_references(model)
        if refs:
            ids = {r[1].get("id") for r in group}
            placed: set = set()
            while group:
                ready = [r for r in group if not any(r[1].get(c) in ids - placed for c in refs if r[1].get(c))]
                if not ready:                     # a loop cannot be in a tree; keep the order given
                    ready = group
                out.extend(ready)
                placed |= {r[1].get("id") for r in ready}
                group = [r for r in group if r not in ready]
        else:
            out.extend(group)
        i = j
    return out


@dataclass
class UndoResult:
    action: str
    changes: int


def undo(session: Session, project_id: int, coder_id: int | None) -> UndoResult:
    """Revert the coder's most recent action in the project."""
    return _step(session, project_id, coder_id, redo=False)


def redo(session: Session, project_id: int, coder_id: int | None) -> UndoResult:
    """Re-apply the coder's most recently undone action."""
    return _step(session, project_id, coder_id, redo=True)


def _step(session: Session, project_id: int, coder_id: int | None, *, redo: bool) -> UndoResult:
    if session.info.get("tracking") is not None:
        raise RuntimeError("undo/redo must run in an untracked write session")
    group = _last_group(session, project_id, coder_id, EventState.undone if redo else EventState.done)
    events = list(session.scalars(select(Event).where(Event.group_id == group).order_by(Event.id)))
    _replay(session, events, forward=redo)
    new_state = EventState.done if redo else EventState.undone
    session.execute(update(Event).where(Event.group_id == group).values(
        state=new_state, undone_at=None if redo else utcnow()))
    return UndoResult(events[0].action, len(events))


def skip(session: Session, project_id: int, coder_id: int | None) -> UndoResult:
    """Drop the coder's most recent action from the undo stack without reverting it
    (for a step that can no longer be undone because others built on it)."""
    group = _last_group(session, project_id, coder_id, EventState.done)
    first = session.scalar(select(Event).where(Event.group_id == group).order_by(Event.id).limit(1))
    count = len(session.scalars(select(Event.id).where(Event.group_id == group)).all())
    session.execute(update(Event).where(Event.group_id == group).values(state=EventState.discarded))
    return UndoResult(first.action, count)


def discard_rows(session: Session, project_id: int, rows: dict[str, set[int]]) -> int:
    """Take every action that touched these rows (table -> ids) off the undo and redo stacks:
    the rows are gone for good (a removed autocoding run), so undoing such an action could only
    fail. Returns how many actions were discarded."""
    groups: set[str] = set()
    for table, ids in rows.items():
        id_list = sorted(ids)
        for i in range(0, len(id_list), 500):
            groups.update(session.scalars(select(Event.group_id).where(
                Event.project_id == project_id, Event.entity == table,
                Event.entity_id.in_(id_list[i:i + 500]),
                Event.state.in_([EventState.done, EventState.undone]))))
    if groups:
        session.execute(update(Event).where(Event.group_id.in_(groups)).values(state=EventState.discarded))
    return len(groups)


def recent(session: Session, project_id: int, limit: int = 50) -> list[Event]:
    """The latest events of a project, newest first (the audit trail)."""
    return list(session.scalars(select(Event).where(Event.project_id == project_id)
                                .order_by(Event.id.desc()).limit(limit)))
