"""Applying, removing and adjusting codings, and reading them back.

Functions take a session from ``Store.write(action=...)`` so that every change lands in the
event log as one undoable action. Spans are code-point offsets ``[start, end)`` into the
source text (ARCHITECTURE.md, "Text offsets").
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workbench.codebook.lookup import code_path
from workbench.coding.memos import set_coding_memo
from workbench.db.models import Code, Codebook, Coder, Coding, CodingOrigin, Source
from workbench.errors import InvalidSpan, NotFound, NotYours


def check_span(source: Source, start: int, end: int) -> None:
    """Refuse a span that is empty, reversed, or reaches outside the source text."""
    n = len(source.text)
    if start < 0 or end > n:
        raise InvalidSpan(f"span [{start}, {end}) lies outside the text of {source.name!r}, "
                          f"which has {n} characters", file=source.name, offset=start if start < 0 else end)
    if end <= start:
        raise InvalidSpan(f"span [{start}, {end}) is empty or reversed: end must be greater than start",
                          file=source.name, offset=start)


def _code_in_project(session: Session, code_id: int, project_id: int) -> Code:
    code = session.get(Code, code_id)
    if code is None or session.get(Codebook, code.codebook_id).project_id != project_id:
        raise NotFound(f"no code with id {code_id} in this project")
    return code


def apply_code(session: Session, source: Source, code_id: int, coder: Coder, start: int, end: int, *,
               memo: str | None = None, origin: CodingOrigin = CodingOrigin.manual,
               run_id: int | None = None, provenance: dict | None = None) -> tuple[Coding, bool]:
    """Code ``[start, end)`` of a source. Returns ``(coding, created)``.

    The same coder applying the same code to the same span again gets the existing coding
    back (and the memo, if given, is added to it): a double click never makes two codings.
    """
    check_span(source, start, end)
    _code_in_project(session, code_id, source.project_id)
    existing = session.scalar(select(Coding).where(
        Coding.source_id == source.id, Coding.code_id == code_id, Coding.coder_id == coder.id,
        Coding.start == start, Coding.end == end))
    created = existing is None
    coding = existing or Coding(source_id=source.id, code_id=code_id, coder_id=coder.id, start=start,
                                end=end, origin=origin, run_id=run_id, provenance=provenance)
    if created:
        try:
            # On PostgreSQL two sessions can both find no coding and both insert; the unique
            # span constraint stops the second, and its savepoint keeps the rest of its work.
            with session.begin_nested():
                session.add(coding)
                session.flush()
        except IntegrityError:
            coding = session.scalar(select(Coding).where(
                Coding.source_id == source.id, Coding.code_id == code_id, Coding.coder_id == coder.id,
                Coding.start == start, Coding.end == end))
            if coding is None:
                raise
            created = False
    if memo:
        set_coding_memo(session, coding, memo, coder)
    return coding, created


def get_coding(session: Session, project_id: int, coding_id: int) -> Coding:
    coding = session.get(Coding, coding_id)
    if coding is None or coding.source.project_id != project_id:
        raise NotFound(f"no coding with id {coding_id} in this project")
    return coding


def check_owner(coding: Coding, coder_id: int | None) -> None:
    """Refuse when ``coder_id`` is given and the coding is another coder's: in a team, and above
    all in blind coding, each coder changes and removes only their own work."""
    if coder_id is not None and coding.coder_id != coder_id:
        raise NotYours(f"coding {coding.id} ({coding.code.name}) is {coding.coder.name}'s; only they can change "
                       "or remove it")


def remove_coding(session: Session, project_id: int, coding_id: int, *, coder_id: int | None = None) -> Coding:
    """Delete a coding (and its memo); undo brings both back. With ``coder_id``, only that coder's."""
    coding = get_coding(session, project_id, coding_id)
    check_owner(coding, coder_id)
    for memo in list(coding.memos):
        session.delete(memo)
    session.delete(coding)
    session.flush()
    return coding


def adjust_coding(session: Session, project_id: int, coding_id: int, start: int, end: int, *,
                  coder_id: int | None = None) -> Coding:
    """Move a coding's boundaries to ``[start, end)``. With ``coder_id``, only that coder's."""
    coding = get_coding(session, project_id, coding_id)
    check_owner(coding, coder_id)
    check_span(coding.source, start, end)
    coding.start, coding.end = start, end
    session.flush()
    return coding


def list_codings(session: Session, project_id: int, *, source_id: int | None = None,
                 code_id: int | None = None, coder_id: int | None = None) -> list[Coding]:
    """Codings of a project, in text order per source."""
    stmt = select(Coding).join(Source).where(Source.project_id == project_id)
    if source_id is not None:
        stmt = stmt.where(Coding.source_id == source_id)
    if code_id is not None:
        stmt = stmt.where(Coding.code_id == code_id)
    if coder_id is not None:
        stmt = stmt.where(Coding.coder_id == coder_id)
    return list(session.scalars(stmt.order_by(Source.name, Coding.start, Coding.end, Coding.id)))


def codings_detail(session: Session, source_id: int, ids: list[int], *, only_coder: int | None = None) -> list[dict]:
    """What the coding page shows about codings someone clicked: code path, coder, memo, span."""
    stmt = select(Coding).where(Coding.id.in_(ids), Coding.source_id == source_id)
    if only_coder is not None:
        stmt = stmt.where(Coding.coder_id == only_coder)
    return [{"id": c.id, "code": " › ".join(code_path(c.code)), "color": c.code.color, "coder": c.coder.name,
             "coder_id": c.coder_id,
             "origin": c.origin.value, "when": c.created_at.strftime("%Y-%m-%d %H:%M"),
             "quote": c.source.text[c.start:c.end], "start": c.start, "end": c.end,
             "memo": c.memos[0].text if c.memos else ""} for c in session.scalars(stmt)]


def coders_of_source(session: Session, source_id: int) -> list[int]:
    """Ids of the coders who coded in a source."""
    return sorted(set(session.scalars(select(Coding.coder_id).where(Coding.source_id == source_id))))
