"""Applying, removing and adjusting codings; memos.

Functions take a session from ``Store.write(action=...)`` so that every change lands in the
event log as one undoable action. Spans are code-point offsets ``[start, end)`` into the
source text (ARCHITECTURE.md, "Text offsets").
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .errors import InvalidSpan, NotFound
from .models import Code, Codebook, Coder, Coding, CodingOrigin, Memo, Source


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
               run_id: int | None = None) -> tuple[Coding, bool]:
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
                                end=end, origin=origin, run_id=run_id)
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


def remove_coding(session: Session, project_id: int, coding_id: int) -> Coding:
    """Delete a coding (and its memo); undo brings both back."""
    coding = get_coding(session, project_id, coding_id)
    for memo in list(coding.memos):
        session.delete(memo)
    session.delete(coding)
    session.flush()
    return coding


def adjust_coding(session: Session, project_id: int, coding_id: int, start: int, end: int) -> Coding:
    """Move a coding's boundaries to ``[start, end)``."""
    coding = get_coding(session, project_id, coding_id)
    check_span(coding.source, start, end)
    coding.start, coding.end = start, end
    session.flush()
    return coding


def set_coding_memo(session: Session, coding: Coding, text: str, coder: Coder | None) -> Memo | None:
    """Set the memo of a coding (empty text removes it)."""
    memo = coding.memos[0] if coding.memos else None
    if not text.strip():
        if memo is not None:
            session.delete(memo)
            session.flush()
        return None
    if memo is None:
        memo = Memo(project_id=coding.source.project_id, coding_id=coding.id,
                    coder_id=coder.id if coder else None)
        coding.memos.append(memo)
    memo.text = text
    session.flush()
    return memo


def add_memo(session: Session, project_id: int, text: str, *, coder: Coder | None = None,
             title: str = "", source: Source | None = None, code: Code | None = None,
             coding: Coding | None = None) -> Memo:
    """A memo on the project, or on one source, code or coding of it."""
    targets = [t for t in (source, code, coding) if t is not None]
    if len(targets) > 1:
        raise InvalidSpan("a memo annotates one thing: the project, a source, a code or a coding")
    if not text.strip():
        raise InvalidSpan("a memo needs some text")
    memo = Memo(project_id=project_id, text=text, title=title, coder_id=coder.id if coder else None,
                source_id=source.id if source else None, code_id=code.id if code else None,
                coding_id=coding.id if coding else None)
    session.add(memo)
    session.flush()
    return memo


def list_memos(session: Session, project_id: int, search: str | None = None) -> list[Memo]:
    """All memos of a project, newest first; ``search`` filters title and text."""
    stmt = select(Memo).where(Memo.project_id == project_id).order_by(Memo.updated_at.desc(), Memo.id.desc())
    memos = list(session.scalars(stmt))
    if search:
        needle = search.casefold()
        memos = [m for m in memos if needle in m.text.casefold() or needle in m.title.casefold()]
    return memos


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


def update_memo(session: Session, project_id: int, memo_id: int, text: str, title: str | None = None) -> Memo:
    """Change a memo's text (and title)."""
    memo = session.get(Memo, memo_id)
    if memo is None or memo.project_id != project_id:
        raise NotFound(f"no memo with id {memo_id} in this project")
    if not text.strip():
        raise InvalidSpan("a memo needs some text; delete it instead")
    memo.text = text
    if title is not None:
        memo.title = title
    session.flush()
    return memo


def delete_memo(session: Session, project_id: int, memo_id: int) -> None:
    memo = session.get(Memo, memo_id)
    if memo is None or memo.project_id != project_id:
        raise NotFound(f"no memo with id {memo_id} in this project")
    session.delete(memo)
    session.flush()


def codings_detail(session: Session, source_id: int, ids: list[int], *, only_coder: int | None = None) -> list[dict]:
    """What the coding page shows about codings someone clicked: code path, coder, memo, span."""
    from .codebook import code_path
    stmt = select(Coding).where(Coding.id.in_(ids), Coding.source_id == source_id)
    if only_coder is not None:
        stmt = stmt.where(Coding.coder_id == only_coder)
    return [{"id": c.id, "code": " › ".join(code_path(c.code)), "color": c.code.color, "coder": c.coder.name,
             "origin": c.origin.value, "when": c.created_at.strftime("%Y-%m-%d %H:%M"),
             "quote": c.source.text[c.start:c.end], "start": c.start, "end": c.end,
             "memo": c.memos[0].text if c.memos else ""} for c in session.scalars(stmt)]


def codings_from_quotes(session: Session, project_id: int, rows: list[dict], coder: Coder, *,
                        file: str = "") -> int:
    """Apply codings given as quotes: ``{source, codebook, code, quote}`` each, found by exact text
    (a row's ``line``, when it has one, is where it is in its file).

    For hand-coded material prepared elsewhere (a gold set, a colleague's spreadsheet). Every
    row is checked before anything is written; a quote that is not in its source is an error.
    """
    from .codebook import find_code, get_codebook
    from .corpus import get_source
    planned = []
    for i, row in enumerate(rows, start=1):
        try:
            source = get_source(session, project_id, row["source"])
            code = find_code(session, project_id, row["code"], str(get_codebook(session, project_id, row["codebook"]).id))
        except (KeyError, NotFound) as exc:
            raise InvalidSpan(f"row {i}: {exc}", file=file, line=row.get("line")) from exc
        start = source.text.find(row["quote"])
        if start < 0:
            raise InvalidSpan(f"row {i}: quote not found in {source.name!r}: {row['quote'][:60]!r}", file=file,
                              line=row.get("line"))
        planned.append((source, code.id, start, start + len(row["quote"])))
    created = 0
    for source, code_id, start, end in planned:
        created += apply_code(session, source, code_id, coder, start, end, origin=CodingOrigin.manual)[1]
    return created
