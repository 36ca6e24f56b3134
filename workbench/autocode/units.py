"""The unit the suggesters score: a speaker turn, as columns, with the project's coding of it.

A turn is what researchers code in a semi-structured interview (the evaluation gold is at turn
level too). The learning suggester needs, per turn, the codes it carries (any coding that
overlaps it, by any coder: hand codings and accepted suggestions alike), which codebooks were
applied to its source at all (a turn of a source nobody coded with a codebook is no negative for
that codebook's codes), and the codes a person rejected there (explicit negatives).
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.db.models import Code, Coding, Segment, Source, Speaker, Suggestion, SuggestionStatus

INTERVIEWER = "interviewer"


@dataclass
class Units:
    """Speaker turns as parallel columns; ``question[i]`` is the row of the interviewer turn
    just before turn ``i`` in its source (-1 if none): the question a respondent answers."""
    source_id: np.ndarray
    start: np.ndarray
    end: np.ndarray
    role: list[str | None]
    language: list[str]
    text: list[str]
    question: np.ndarray
    source_name: dict[int, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.text)

    def answers(self, min_words: int = 3) -> np.ndarray:
        """Rows worth scoring: not the interviewer's, and at least ``min_words`` words long."""
        return np.array([r != INTERVIEWER and len(t.split()) >= min_words for r, t in zip(self.role, self.text)],
                        dtype=bool)

    def row_of(self, source_id: int, start: int) -> int | None:
        """The row of the turn of ``source_id`` containing offset ``start``."""
        rows = np.flatnonzero((self.source_id == source_id) & (self.start <= start) & (self.end > start))
        return int(rows[0]) if len(rows) else None


def load_units(session: Session, source_ids: list[int]) -> Units:
    """Every speaker turn of the sources, in source and reading order."""
    names, texts, languages = {}, {}, {}
    for sid, name, text, language in session.execute(
            select(Source.id, Source.name, Source.text, Source.language).where(Source.id.in_(source_ids))):
        names[sid], texts[sid], languages[sid] = name, text, (language or "en").split("-")[0]
    rows = session.execute(
        select(Segment.source_id, Segment.start, Segment.end, Speaker.role)
        .outerjoin(Speaker, Segment.speaker_id == Speaker.id)
        .where(Segment.source_id.in_(source_ids)).order_by(Segment.source_id, Segment.idx)).all()
    question = np.full(len(rows), -1, dtype=np.int64)
    last_question, last_source = -1, None
    roles = []
    for i, (sid, _, _, role) in enumerate(rows):
        if sid != last_source:
            last_question, last_source = -1, sid
        roles.append(role.value if role else None)
        question[i] = last_question
        if roles[-1] == INTERVIEWER:
            last_question = i
    return Units(source_id=np.array([r[0] for r in rows], dtype=np.int64),
                 start=np.array([r[1] for r in rows], dtype=np.int64),
                 end=np.array([r[2] for r in rows], dtype=np.int64),
                 role=roles, language=[languages[r[0]] for r in rows],
                 text=[texts[r[0]][r[1]:r[2]] for r in rows], question=question, source_name=names)


@dataclass
class CodedTurns:
    """What the project's coding says about each turn."""
    labels: dict[int, set[int]]               # row -> codes applied to (part of) the turn
    rejected: dict[int, set[int]]             # row -> codes a person rejected there
    coded_books: dict[int, set[int]]          # source id -> codebooks applied to the source
    codebook_of: dict[int, int]               # code id -> codebook id
    spans: dict[int, list[tuple[int, int, int]]] = field(default_factory=dict)   # row -> (code, start, end)

    def known(self, row: int, source_id: int, code_id: int) -> bool | None:
        """True/False where the coding says whether the turn has the code, None where it does not
        (the code's codebook was never applied to the source)."""
        if code_id in self.labels.get(row, ()):
            return True
        if code_id in self.rejected.get(row, ()) or self.codebook_of[code_id] in self.coded_books.get(source_id, ()):
            return False
        return None


def _rows_overlapping(units: Units, by_source: dict[int, tuple[list[int], list[int], list[int]]],
                      source_id: int, start: int, end: int) -> list[int]:
    if source_id not in by_source:
        return []
    starts, ends, rows = by_source[source_id]
    lo = bisect_right(ends, start)           # first turn ending after the span starts
    hi = bisect_left(starts, end)            # turns starting before the span ends
    return rows[lo:hi]


def coded_turns(session: Session, project_id: int, units: Units, *, coder_ids: list[int] | None = None) -> CodedTurns:
    """The codes on each turn, by every coder (or ``coder_ids``), and the rejected suggestions."""
    by_source: dict[int, tuple[list[int], list[int], list[int]]] = {}
    for row in np.argsort(units.source_id, kind="stable"):
        starts, ends, rows = by_source.setdefault(int(units.source_id[row]), ([], [], []))
        starts.append(int(units.start[row]))
        ends.append(int(units.end[row]))
        rows.append(int(row))
    codebook_of = dict(session.execute(select(Code.id, Code.codebook_id).join(Code.codebook)
                                       .where(Code.codebook.has(project_id=project_id))).all())
    source_ids = list(by_source)
    labels: dict[int, set[int]] = {}
    spans: dict[int, list[tuple[int, int, int]]] = {}
    coded_books: dict[int, set[int]] = {}
    stmt = select(Coding.source_id, Coding.code_id, Coding.start, Coding.end).where(Coding.source_id.in_(source_ids))
    if coder_ids:
        stmt = stmt.where(Coding.coder_id.in_(coder_ids))
    for sid, code_id, start, end in session.execute(stmt):
        coded_books.setdefault(sid, set()).add(codebook_of[code_id])
        for row in _rows_overlapping(units, by_source, sid, start, end):
            labels.setdefault(row, set()).add(code_id)
            spans.setdefault(row, []).append((code_id, start, end))
    rejected: dict[int, set[int]] = {}
    for sid, code_id, start, end in session.execute(
            select(Suggestion.source_id, Suggestion.code_id, Suggestion.start, Suggestion.end)
            .where(Suggestion.source_id.in_(source_ids), Suggestion.status == SuggestionStatus.rejected)):
        for row in _rows_overlapping(units, by_source, sid, start, end):
            if code_id not in labels.get(row, ()):
                rejected.setdefault(row, set()).add(code_id)
    return CodedTurns(labels, rejected, coded_books, codebook_of, spans)


_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)]*\s+|\n+")


@dataclass
class Sentences:
    """The sentences of turns: ``row`` is the turn's row in :class:`Units`, offsets are the source's."""
    row: np.ndarray
    start: np.ndarray
    end: np.ndarray
    text: list[str]

    def __len__(self) -> int:
        return len(self.text)


def split_sentences(units: Units, min_words: int = 3) -> Sentences:
    """Each turn cut at sentence ends (a full stop, question or exclamation mark, ellipsis, or a
    line break); a piece under ``min_words`` words joins the sentence it opens (or, at the end of
    the turn, the one before), so that "Yes." or "Well, hm." is never a unit of its own.
    Language-independent and fast: the rules' spaCy sentences are not needed for meaning."""
    rows, starts, ends, texts = [], [], [], []
    for row, text in enumerate(units.text):
        base = int(units.start[row])
        pieces, at = [], 0
        for m in _SENTENCE_END.finditer(text):
            pieces.append((at, m.start()))
            at = m.end()
        pieces.append((at, len(text)))
        pieces = [(a, b) for a, b in pieces if text[a:b].strip()]
        merged: list[list[int]] = []
        carry = None                              # a short piece waiting for the sentence it opens
        for a, b in pieces:
            a = carry if carry is not None else a
            if len(text[a:b].split()) < min_words:
                carry = a
                continue
            carry = None
            merged.append([a, b])
        if carry is not None:                     # a short piece at the end closes the sentence before it
            if merged:
                merged[-1][1] = pieces[-1][1]
            else:
                merged.append([carry, pieces[-1][1]])
        for a, b in merged:
            rows.append(row)
            starts.append(base + a)
            ends.append(base + b)
            texts.append(text[a:b])
    return Sentences(np.array(rows, dtype=np.int64), np.array(starts, dtype=np.int64),
                     np.array(ends, dtype=np.int64), texts)
