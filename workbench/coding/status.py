"""Who coded what: each coder's own word that they have finished coding a source ("done").

Agreement and the crosstab by coder need to tell "coded nothing here" from "never looked at this
source". A coder marks a source done in the app or with ``workbench status done``; a source marked
done and left empty then counts as coded nothing, and a source nobody marked is not judged.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workbench.corpus.sources import get_source
from workbench.db.models import Coder, Coding, CodingStatus, Source


def set_done(session: Session, project_id: int, source_ref: str | int, coder_id: int, done: bool = True) -> bool:
    """Mark (or unmark) ``source_ref`` as finished by ``coder_id``; returns whether it changed.
    Undoable: call it inside ``Store.write(action=...)``."""
    source = get_source(session, project_id, source_ref)
    row = session.scalar(select(CodingStatus).where(CodingStatus.source_id == source.id,
                                                    CodingStatus.coder_id == coder_id))
    if row is None:
        if not done:
            return False
        session.add(CodingStatus(source_id=source.id, coder_id=coder_id, done=True))
        session.flush()
        return True
    if row.done == done:
        return False
    row.done = done
    session.flush()
    return True


def done_sources(session: Session, project_id: int, coder_ids: list[int] | None = None) -> dict[int, set[int]]:
    """Coder id -> ids of the project's sources that coder marked done (coders who marked none
    are absent)."""
    stmt = (select(CodingStatus.coder_id, CodingStatus.source_id).join(Source, Source.id == CodingStatus.source_id)
            .where(Source.project_id == project_id, CodingStatus.done.is_(True)))
    if coder_ids is not None:
        stmt = stmt.where(CodingStatus.coder_id.in_(coder_ids or [-1]))
    out: dict[int, set[int]] = {}
    for coder_id, source_id in session.execute(stmt):
        out.setdefault(coder_id, set()).add(source_id)
    return out


def is_done(session: Session, source_id: int, coder_id: int) -> bool:
    """Whether ``coder_id`` marked ``source_id`` done."""
    return bool(session.scalar(select(CodingStatus.done).where(CodingStatus.source_id == source_id,
                                                               CodingStatus.coder_id == coder_id)))


def status_rows(session: Session, project_id: int) -> list[dict]:
    """One row per source and coder who coded it or marked it: codings, and done or not."""
    names = dict(session.execute(select(Coder.id, Coder.name)).all())
    sources = dict(session.execute(select(Source.id, Source.name).where(Source.project_id == project_id)).all())
    counts = {(sid, cid): n for sid, cid, n in session.execute(
        select(Coding.source_id, Coding.coder_id, func.count(Coding.id)).join(Source)
        .where(Source.project_id == project_id).group_by(Coding.source_id, Coding.coder_id))}
    marked = {(sid, cid): done for sid, cid, done in session.execute(
        select(CodingStatus.source_id, CodingStatus.coder_id, CodingStatus.done).join(Source)
        .where(Source.project_id == project_id))}
    keys = sorted(set(counts) | set(marked), key=lambda k: (sources[k[0]], names.get(k[1], "")))
    return [{"source": sources[sid], "coder": names.get(cid, "?"), "codings": counts.get((sid, cid), 0),
             "done": "yes" if marked.get((sid, cid)) else "no"} for sid, cid in keys]
