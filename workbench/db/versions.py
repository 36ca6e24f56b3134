"""A project's data version: a few aggregates that change whenever anything an analysis reads
changes (a coding, a source, a turn, an attribute, an undo), so the app can keep an analysis
until the data under it moves instead of recomputing it on every click."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workbench.db.models import Event, Source


def data_version(session: Session, project_id: int) -> tuple:
    """Cheap to read (indexed aggregates); equal only if nothing an analysis reads has changed.

    The event log covers every tracked change (codings, turns, attributes, speakers) and its undo
    and redo; the one untracked delete of codings, an autocoding run undone whole, discards the
    events of its accepted codings, which changes the count below. Sources are counted as well (a
    transcription job marks its source as it goes)."""
    events = session.execute(select(func.max(Event.id), func.max(Event.undone_at), func.count(Event.id))
                             .where(Event.project_id == project_id, Event.state != "done")).one()
    last = session.scalar(select(func.max(Event.id)).where(Event.project_id == project_id))
    sources = session.execute(select(func.count(Source.id), func.max(Source.updated_at))
                              .where(Source.project_id == project_id)).one()
    return (last, *map(str, events), *map(str, sources))
