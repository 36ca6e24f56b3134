"""Memos: free text on the project, a source, a code or a coding."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.db.models import Code, Coder, Coding, Memo, Source
from workbench.errors import InvalidSpan, NotFound, NotYours


def _check_owner(memo: Memo, coder: Coder | int | None) -> None:
    """A memo with an author is changed and deleted by that author only (a memo without one -
    imported, or from before memos had authors - by anyone)."""
    coder_id = coder.id if isinstance(coder, Coder) else coder
    if coder_id is not None and memo.coder_id is not None and memo.coder_id != coder_id:
        raise NotYours(f"memo {memo.id} is {memo.coder.name if memo.coder else 'another coder'}'s; only they can "
                       "change or delete it")


def set_coding_memo(session: Session, coding: Coding, text: str, coder: Coder | None) -> Memo | None:
    """Set the memo of a coding (empty text removes it)."""
    memo = coding.memos[0] if coding.memos else None
    if memo is not None:
        _check_owner(memo, coder)
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


def list_memos(session: Session, project_id: int, search: str | None = None, *,
               visible_to: int | None = None) -> list[Memo]:
    """All memos of a project, newest first; ``search`` filters title and text. With
    ``visible_to`` (blind coding), only that coder's memos and those without an author."""
    stmt = select(Memo).where(Memo.project_id == project_id).order_by(Memo.updated_at.desc(), Memo.id.desc())
    if visible_to is not None:
        stmt = stmt.where((Memo.coder_id == visible_to) | Memo.coder_id.is_(None))
    memos = list(session.scalars(stmt))
    if search:
        needle = search.casefold()
        memos = [m for m in memos if needle in m.text.casefold() or needle in m.title.casefold()]
    return memos


def update_memo(session: Session, project_id: int, memo_id: int, text: str, title: str | None = None, *,
                coder_id: int | None = None) -> Memo:
    """Change a memo's text (and title); with ``coder_id``, only that coder's memo."""
    memo = session.get(Memo, memo_id)
    if memo is None or memo.project_id != project_id:
        raise NotFound(f"no memo with id {memo_id} in this project")
    _check_owner(memo, coder_id)
    if not text.strip():
        raise InvalidSpan("a memo needs some text; delete it instead")
    memo.text = text
    if title is not None:
        memo.title = title
    session.flush()
    return memo


def delete_memo(session: Session, project_id: int, memo_id: int, *, coder_id: int | None = None) -> None:
    """Delete a memo; with ``coder_id``, only that coder's memo."""
    memo = session.get(Memo, memo_id)
    if memo is None or memo.project_id != project_id:
        raise NotFound(f"no memo with id {memo_id} in this project")
    _check_owner(memo, coder_id)
    session.delete(memo)
    session.flush()
