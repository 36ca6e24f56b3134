"""Coding shortcuts of everyday work: the codes a coder used last (one click away), and in-vivo
coding (a new code named by the selected words, applied to them)."""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.codebook.lookup import code_path
from workbench.codebook.tree import create_code, create_codebook
from workbench.coding.codings import apply_code, check_span
from workbench.db.models import Code, Codebook, Coder, Coding, Source
from workbench.errors import InvalidSpan

IN_VIVO_BOOK = "In-vivo codes"
MAX_NAME = 60
_EDGE = re.compile(r"^[\W_]+|[\W_]+$")


def recent_codes(session: Session, project_id: int, coder_id: int, limit: int = 6) -> list[tuple[int, str]]:
    """``(code id, path)`` of the codes this coder applied last, newest first, each once."""
    rows = session.execute(
        select(Coding.code_id).join(Source, Source.id == Coding.source_id)
        .where(Source.project_id == project_id, Coding.coder_id == coder_id)
        .order_by(Coding.created_at.desc(), Coding.id.desc()).limit(500)).scalars()
    ids = list(dict.fromkeys(rows))[:limit]
    codes = {c.id: c for c in session.scalars(select(Code).where(Code.id.in_(ids or [-1])))}
    return [(i, " › ".join(code_path(codes[i]))) for i in ids if i in codes]


def in_vivo_name(words: str) -> str:
    """A code name from selected words: one line, without the punctuation around it, at most
    60 characters (cut at a word)."""
    name = _EDGE.sub("", " ".join(words.split()))
    if len(name) > MAX_NAME:
        cut = name[:MAX_NAME]
        name = (cut[:cut.rfind(" ")] if " " in cut else cut).rstrip(",;:") + "…"
    return name


def code_in_vivo(session: Session, project_id: int, source: Source, coder: Coder, start: int, end: int, *,
                 codebook: str | int | None = None) -> tuple[Code, Coding, bool]:
    """Code ``[start, end)`` with a code named by its words, in ``codebook`` (default: the
    project's "In-vivo codes", made on first use); a code of that name already there is reused.
    Returns ``(code, coding, code_was_new)``."""
    check_span(source, start, end)
    name = in_vivo_name(source.text[start:end])
    if not name:
        raise InvalidSpan("the selection has no words to name a code with", file=source.name, offset=start)
    if codebook is None:
        book = session.scalar(select(Codebook).where(Codebook.project_id == project_id,
                                                     Codebook.name == IN_VIVO_BOOK))
        book = book or create_codebook(session, project_id, IN_VIVO_BOOK,
                                       "Codes named by the interviewees' own words (in-vivo coding).")
        codebook = book.id
    existing = session.scalars(select(Code).join(Codebook).where(
        Codebook.project_id == project_id, Code.parent_id.is_(None),
        Codebook.id == codebook if isinstance(codebook, int) else Codebook.name == codebook)).all()
    code = next((c for c in existing if c.name.casefold() == name.casefold()), None)
    new = code is None
    if new:
        code = create_code(session, project_id, codebook, name,
                           definition=f"In-vivo code: the words of {source.name}, characters {start}-{end}.")
    coding, _ = apply_code(session, source, code.id, coder, start, end)
    return code, coding, new
