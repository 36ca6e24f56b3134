"""Correcting a transcript after coding: codings follow their words through a diff."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.corpus.reanchor import reanchor
from workbench.corpus.sources import get_source
from workbench.corpus.text import normalise, sha256
from workbench.db.models import Segment, Suggestion
from workbench.errors import InvalidSpan, NotFound, OthersAffected


@dataclass
class CorrectionResult:
    moved: int = 0
    lost: list[dict] = field(default_factory=list)   # codings whose text was deleted


def correct_segment(session: Session, project_id: int, source_ref: str | int, seg_idx: int,
                    new_text: str, *, coder_id: int | None = None, move_others: bool = False) -> CorrectionResult:
    """Replace the text of one turn; re-anchor every coding of the source.

    A coding whose words were all deleted is removed *and reported* (with its code, coder
    and old text) in the same undoable action: undoing the correction brings it back.
    With ``coder_id``, a correction that would move or remove another coder's codings is
    refused with :class:`OthersAffected` saying whose and how many, unless ``move_others``
    (the coder saw that and confirmed): nobody's work changes under them unannounced.
    """
    source = get_source(session, project_id, source_ref)
    seg = session.scalar(select(Segment).where(Segment.source_id == source.id, Segment.idx == seg_idx))
    if seg is None:
        raise NotFound(f"source {source.name!r} has no turn {seg_idx}")
    new_text = normalise(new_text)
    if not new_text.strip():
        raise InvalidSpan("a turn cannot be empty; delete its words but keep at least one", file=source.name)
    old = source.text
    new = old[:seg.start] + new_text + old[seg.end:]
    if new == old:
        return CorrectionResult()
    delta = len(new) - len(old)
    result = CorrectionResult()
    codings = list(source.codings)
    spans = reanchor(old, new, [(c.start, c.end) for c in codings])
    if coder_id is not None and not move_others:
        _refuse_moving_others(codings, spans, coder_id, old, new)
    for coding, span in zip(codings, spans):
        if span is None:
            result.lost.append({"coding_id": coding.id, "code": coding.code.name, "coder": coding.coder.name,
                                "text": old[coding.start:coding.end]})
            for memo in list(coding.memos):
                session.delete(memo)
            session.delete(coding)
        elif span != (coding.start, coding.end):
            coding.start, coding.end = span
            result.moved += 1
    suggestions = list(session.scalars(select(Suggestion).where(Suggestion.source_id == source.id)))
    for sug, span in zip(suggestions, reanchor(old, new, [(x.start, x.end) for x in suggestions])):
        if span is None:
            session.delete(sug)
        else:
            sug.start, sug.end = span
    later = list(session.scalars(select(Segment).where(Segment.source_id == source.id,
                                                       Segment.idx > seg_idx).order_by(Segment.idx.desc())))
    seg.end += delta
    for other in later:
        other.start += delta
        other.end += delta
    source.text = new
    source.text_hash = sha256(new.encode("utf-8"))
    session.flush()
    return result


def _refuse_moving_others(codings: list, spans: list, coder_id: int, old: str, new: str) -> None:
    """Another coder's coding whose coded text would change (not only shift with the text
    before it) or disappear makes the correction need a confirmation."""
    moved: dict[str, int] = {}
    removed: dict[str, int] = {}
    for coding, span in zip(codings, spans):
        if coding.coder_id == coder_id or (span is not None and new[span[0]:span[1]] == old[coding.start:coding.end]):
            continue
        bucket = removed if span is None else moved
        bucket[coding.coder.name] = bucket.get(coding.coder.name, 0) + 1
    if moved or removed:
        parts = [f"change the coded text of {n} coding(s) of {who}" for who, n in sorted(moved.items())]
        parts += [f"remove {n} coding(s) of {who}" for who, n in sorted(removed.items())]
        raise OthersAffected(f"this correction would {' and '.join(parts)}; confirm to correct anyway "
                             "(undo reverses it)")
