"""Retrieval: coded quotes with where they come from, filtered by case attributes, role, coder."""
from __future__ import annotations

from bisect import bisect_right

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .cases import case_table
from .codebook import code_path
from .models import Code, Coding, Source
from .sources import seconds_to_clock


def _segment_at(source: Source, offset: int):
    starts = [seg.start for seg in source.segments]
    i = bisect_right(starts, offset) - 1
    return source.segments[i] if i >= 0 else None


def expand_subcodes(session: Session, code_ids: list[int]) -> set[int]:
    """The codes and all their descendants."""
    wanted = set(code_ids)
    children: dict[int | None, list[int]] = {}
    for cid, pid in session.execute(select(Code.id, Code.parent_id)):
        children.setdefault(pid, []).append(cid)
    stack = list(wanted)
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in wanted:
                wanted.add(child)
                stack.append(child)
    return wanted


def coded_quotes(session: Session, project_id: int, *, code_ids: list[int] | None = None,
                 attribute_filters: dict[str, list] | None = None, roles: list[str] | None = None,
                 coder_ids: list[int] | None = None, include_subcodes: bool = True) -> pd.DataFrame:
    """One row per coding: quote, code path, source, case, speaker, role, time, page, coder.

    ``attribute_filters`` maps an attribute name to the values kept (e.g. sector: [Textile]);
    ``roles`` keeps codings whose first turn is spoken by one of those roles.
    """
    stmt = (select(Coding).join(Source).where(Source.project_id == project_id)
            .options(selectinload(Coding.source).selectinload(Source.segments),
                     selectinload(Coding.code), selectinload(Coding.coder)))
    if code_ids:
        wanted = expand_subcodes(session, code_ids) if include_subcodes else set(code_ids)
        stmt = stmt.where(Coding.code_id.in_(wanted))
    if coder_ids:
        stmt = stmt.where(Coding.coder_id.in_(coder_ids))
    cases = case_table(session, project_id).set_index("case") if attribute_filters else None
    rows = []
    for coding in session.scalars(stmt.order_by(Source.name, Coding.start)):
        src = coding.source
        case = src.case.name if src.case else ""
        if attribute_filters:
            if not case or case not in cases.index:
                continue
            if any(cases.at[case, attr] not in values for attr, values in attribute_filters.items() if values):
                continue
        seg = _segment_at(src, coding.start)
        speaker = seg.speaker if seg is not None else None
        role = speaker.role.value if speaker is not None and speaker.role else ""
        if roles and role not in roles:
            continue
        rows.append({"coding_id": coding.id, "quote": src.text[coding.start:coding.end],
                     "code": " › ".join(code_path(coding.code)), "code_id": coding.code_id,
                     "source": src.name, "source_id": src.id, "case": case,
                     "speaker": speaker.label if speaker else "", "role": role,
                     "time": seconds_to_clock(seg.t_start) if seg is not None else "",
                     "turn": seg.idx if seg is not None else None,
                     "page": seg.page if seg is not None else None,
                     "coder": coding.coder.name, "start": coding.start, "end": coding.end})
    return pd.DataFrame(rows, columns=["coding_id", "quote", "code", "code_id", "source", "source_id", "case",
                                       "speaker", "role", "time", "turn", "page", "coder", "start", "end"])


def segments_frame(session: Session, project_id: int) -> pd.DataFrame:
    """Every turn of the project's sources: source_id, idx, start, end (agreement units)."""
    from .models import Segment
    rows = session.execute(select(Segment.source_id, Segment.idx, Segment.start, Segment.end)
                           .join(Source).where(Source.project_id == project_id)
                           .order_by(Segment.source_id, Segment.idx)).all()
    return pd.DataFrame(rows, columns=["source_id", "idx", "start", "end"])


def source_cases(session: Session, project_id: int) -> pd.DataFrame:
    """source_id and case name of every source (the bases of a crosstab counted by sources)."""
    from .models import Case
    rows = session.execute(select(Source.id, Case.name).outerjoin(Case, Case.id == Source.case_id)
                           .where(Source.project_id == project_id)).all()
    return pd.DataFrame([(sid, case or "") for sid, case in rows], columns=["source_id", "case"])


def source_texts(session: Session, project_id: int) -> dict[int, str]:
    return dict(session.execute(select(Source.id, Source.text).where(Source.project_id == project_id)).all())


def codebook_code_ids(session: Session, project_id: int, codebook: str | int | None) -> list[int] | None:
    """Ids of every code of a codebook (None: no filter)."""
    if codebook is None:
        return None
    from .codebook import get_codebook
    cb = get_codebook(session, project_id, codebook)
    return [c.id for c in cb.codes]


def coding_counts(session: Session, project_id: int, *, code_ids: list[int] | None = None,
                  coder_ids: list[int] | None = None) -> pd.DataFrame:
    """Codings per code and source, counted in the database: code, source_id, case, n.

    What crosstabs need without loading a million codings (no speaker-role filter: that needs
    the turns, see :func:`coded_quotes`).
    """
    from sqlalchemy import func
    from .models import Case
    stmt = (select(Coding.code_id, Coding.source_id, Case.name, func.count(Coding.id))
            .join(Source, Source.id == Coding.source_id).outerjoin(Case, Case.id == Source.case_id)
            .where(Source.project_id == project_id).group_by(Coding.code_id, Coding.source_id, Case.name))
    if code_ids:
        stmt = stmt.where(Coding.code_id.in_(code_ids))
    if coder_ids:
        stmt = stmt.where(Coding.coder_id.in_(coder_ids))
    rows = session.execute(stmt).all()
    paths = {c.id: " › ".join(code_path(c)) for c in session.scalars(select(Code).where(
        Code.id.in_({r[0] for r in rows} or {-1})))}
    return pd.DataFrame([(paths[code], src, case or "", n) for code, src, case, n in rows],
                        columns=["code", "source_id", "case", "n"])
