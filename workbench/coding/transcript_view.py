"""What the coding page shows of a source, in the browser's units (no Streamlit here).

A transcript is shown a page of turns at a time so a one-hour interview never sends more
than a page of text per change. Offsets inside the payload are UTF-16 units *relative to
each turn* - converted here and in :func:`span_from_selection`, nowhere else.
"""
from __future__ import annotations

import hashlib
import json
import math

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.codebook.lookup import code_path
from workbench.corpus.offsets import cp_to_u16, u16_len, u16_to_cp
from workbench.corpus.timecodes import seconds_to_clock
from workbench.db.models import Coding, Segment, Source
from workbench.errors import InvalidSpan

PAGE_TURNS = 40


def _hex6(color: str) -> str:
    c = (color or "#999999").lstrip("#")
    if len(c) == 3:
        c = "".join(ch * 2 for ch in c)
    return "#" + c[:6].lower()


def page_count(source: Source, page_size: int = PAGE_TURNS) -> int:
    return max(1, math.ceil(len(source.segments) / page_size))


def page_of_offset(source: Source, offset: int, page_size: int = PAGE_TURNS) -> int:
    """The page holding the turn that contains ``offset``."""
    for seg in source.segments:
        if seg.start <= offset <= seg.end:
            return seg.idx // page_size
    return 0


def build_view(session: Session, source: Source, *, page: int = 0, page_size: int = PAGE_TURNS,
               coder_ids: list[int] | None = None, code_ids: list[int] | None = None,
               focus: tuple[int, int] | None = None, margin: bool = True) -> dict:
    """The component payload for one page: turns with their highlights, and the codings' labels;
    with ``margin``, each turn lists the codings in it for the coding margin beside the text
    (code name on a stripe of its colour; a coding begun in an earlier turn is marked as going on)."""
    segments = source.segments[page * page_size:(page + 1) * page_size]
    if not segments:
        return {"sig": "empty", "turns": [], "codings": {}, "media": bool(source.media_path)}
    lo, hi = segments[0].start, segments[-1].end
    stmt = select(Coding).where(Coding.source_id == source.id, Coding.end > lo, Coding.start < hi)
    if coder_ids:
        stmt = stmt.where(Coding.coder_id.in_(coder_ids))
    if code_ids:
        stmt = stmt.where(Coding.code_id.in_(code_ids))
    codings = list(session.scalars(stmt.order_by(Coding.start, Coding.id)))
    labels = {str(c.id): {"color": _hex6(c.code.color), "name": c.code.name,
                          "label": f"{' › '.join(code_path(c.code))} · {c.coder.name}"} for c in codings}
    turns = []
    for seg in segments:
        text = source.text[seg.start:seg.end]
        marks, side = [], []
        for c in codings:
            a, b = max(c.start, seg.start), min(c.end, seg.end)
            if a < b:
                marks.append([cp_to_u16(text, a - seg.start), cp_to_u16(text, b - seg.start), str(c.id)])
                side.append([str(c.id), c.start < seg.start])
        if focus:
            a, b = max(focus[0], seg.start), min(focus[1], seg.end)
            focus_mark = [cp_to_u16(text, a - seg.start), cp_to_u16(text, b - seg.start)] if a < b else None
        else:
            focus_mark = None
        turns.append({"i": seg.idx, "who": seg.speaker.label if seg.speaker else "",
                      "role": seg.speaker.role.value if seg.speaker and seg.speaker.role else "",
                      "t": seg.t_start, "clock": seconds_to_clock(seg.t_start) if seg.t_start is not None else "",
                      # a turn's own language, shown where it is not the source's
                      "lang": seg.language if seg.language and seg.language != source.language else "",
                      "page": seg.page, "text": text, "len": u16_len(text), "marks": marks, "focus": focus_mark,
                      "margin": side if margin else []})
    payload = {"turns": turns, "codings": labels, "media": bool(source.media_path), "margin": margin}
    payload["sig"] = hashlib.sha1(json.dumps(payload, sort_keys=True).encode()).hexdigest()
    return payload


def span_from_selection(session: Session, source: Source, selection: dict) -> tuple[int, int]:
    """Code-point ``[start, end)`` of a selection the browser reported in per-turn UTF-16 units."""
    try:
        t0, t1 = int(selection["turn_start"]), int(selection["turn_end"])
        o0, o1 = int(selection["off_start"]), int(selection["off_end"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidSpan("the selection from the browser is incomplete; select the text again") from exc
    if (t1, o1) < (t0, o0):
        t0, o0, t1, o1 = t1, o1, t0, o0
    segs = {s.idx: s for s in session.scalars(select(Segment).where(Segment.source_id == source.id,
                                                                     Segment.idx.in_([t0, t1])))}
    if t0 not in segs or t1 not in segs:
        raise InvalidSpan("the selection points at a turn that no longer exists; select the text again")
    a, b = segs[t0], segs[t1]
    start = a.start + u16_to_cp(source.text[a.start:a.end], o0)
    end = b.start + u16_to_cp(source.text[b.start:b.end], o1)
    start, end = min(start, a.end), min(end, b.end)
    if end <= start:
        raise InvalidSpan("the selection is empty; select some words first")
    return start, end
