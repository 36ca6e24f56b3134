"""Searching the words of the sources: every occurrence, keyword in context, codable at once.

The query is what a researcher types in any QDA tool: words, ``"quoted phrases"`` and ``prefix*``
wildcards; a hit is any of them (OR). Matching ignores case and accents ("negocio" finds
"negócio") and respects word edges ("fair" does not find "affair"). The sources are scanned with
one compiled pattern each rather than through a database full-text index: the hits need exact
character offsets (to code them), both database engines must give the same answer, and a scan of
the 200-interview load project stays well under a second (bench/load.py).
"""
from __future__ import annotations

import bisect
import re
import shlex
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.coding.codings import apply_code
from workbench.db.models import Case, Coder, Segment, Source, Speaker
from workbench.errors import InvalidQuery

MAX_TERMS = 20
MAX_QUERY = 500


@dataclass(frozen=True, slots=True)
class Hit:
    """One occurrence: where it is (source, turn, code-point offsets); its context comes from
    :meth:`TextSearchResult.kwic` (a common word has 100,000 hits; few are ever shown)."""
    source_id: int
    source: str
    case: str
    turn: int                  # the turn's index in its source (0-based)
    speaker: str
    role: str
    start: int
    end: int
    turn_start: int
    turn_end: int


@dataclass
class TextSearchResult:
    """All hits of a query plus what was searched, for "N hits in M turns of K sources"."""
    query: str
    terms: list[str]
    hits: list[Hit] = field(default_factory=list)
    turns_searched: int = 0
    texts: dict[int, str] = field(default_factory=dict, repr=False)

    def kwic(self, hit: Hit, width: int = 60) -> tuple[str, str, str]:
        """Keyword in context: up to ``width`` characters of the turn left of the hit, the words
        found, and the turn right of it, each on one line."""
        text = self.texts[hit.source_id]
        left, right = _context(text, hit.start, hit.end, hit.turn_start, hit.turn_end, width)
        return left, _one_line(text[hit.start:hit.end]), right

    @property
    def turns_with_hits(self) -> int:
        return len({(h.source_id, h.turn) for h in self.hits})

    @property
    def sources_with_hits(self) -> int:
        return len({h.source_id for h in self.hits})

    def summary(self) -> str:
        """``12 hits in 9 turns of 4 sources (of 1,234 turns searched)``."""
        n = len(self.hits)
        return (f"{n} hit{'s' * (n != 1)} in {self.turns_with_hits} turn{'s' * (self.turns_with_hits != 1)} of "
                f"{self.sources_with_hits} source{'s' * (self.sources_with_hits != 1)} "
                f"({self.turns_searched:,} turns searched)")


@lru_cache(maxsize=1)
def _folds() -> dict[str, str]:
    """Lower-case accented Latin letter -> its base letter (à -> a, ç -> c, ő -> o)."""
    table = {}
    for cp in [*range(0x00C0, 0x0250), *range(0x1E00, 0x1F00)]:
        ch = chr(cp).lower()
        base = unicodedata.normalize("NFD", ch)[0]
        if len(ch) == 1 and base != ch and base.isascii():
            table[ch] = base
    return table


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _fold_char(m: re.Match) -> str:
    return _folds().get(m.group(), m.group())


def fold(text: str) -> str:
    """``text`` lower-cased and without accents, *the same length* (so offsets carry over)."""
    low = text.lower()
    if len(low) != len(text):       # "İ" lowers to two characters: keep such letters as they are
        low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    return _NON_ASCII.sub(_fold_char, low)


def parse_query(query: str) -> list[str]:
    """The terms of a query: words, quoted phrases (kept whole), ``word*`` prefixes.

    Raises :class:`InvalidQuery` for an empty query, an unclosed quote or too many terms."""
    query = query.strip()
    if not query:
        raise InvalidQuery("type a word or a \"phrase\" to search for")
    if len(query) > MAX_QUERY:
        raise InvalidQuery(f"the query has {len(query)} characters; at most {MAX_QUERY} are searched")
    try:
        terms = shlex.split(query.replace("“", '"').replace("”", '"'), posix=True)
    except ValueError:
        raise InvalidQuery('a quote is not closed: write phrases as "trade fair"') from None
    terms = [" ".join(t.split()) for t in terms if t.strip() and t.strip() != "*"]
    if not terms:
        raise InvalidQuery("type a word or a \"phrase\" to search for (a lone * matches nothing)")
    if len(terms) > MAX_TERMS:
        raise InvalidQuery(f"the query has {len(terms)} terms; at most {MAX_TERMS} are searched at once")
    return list(dict.fromkeys(terms))


def _term_pattern(term: str) -> str:
    words = fold(term).rstrip("*").split(" ")
    return r"\s+".join(re.escape(w) for w in words) + (r"\w*" if term.endswith("*") else r"(?!\w)")


def compile_query(query: str) -> tuple[list[str], re.Pattern]:
    """The terms and one pattern finding any of them in :func:`fold`-ed text. The start's word edge
    is checked apart (:func:`_starts_word`): a look-behind makes the scan several times slower."""
    terms = parse_query(query)
    # Longer terms first, so that "trade fair" wins over "trade" where both match.
    ordered = sorted(terms, key=len, reverse=True)
    return terms, re.compile("|".join(_term_pattern(t) for t in ordered))


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _starts_word(text: str, a: int) -> bool:
    return a == 0 or not _is_word(text[a - 1])


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _context(text: str, a: int, b: int, lo: int, hi: int, width: int) -> tuple[str, str]:
    """Up to ``width`` characters either side of [a, b) within the turn [lo, hi), cut at a space."""
    left = text[max(lo, a - width):a]
    if a - width > lo and " " in left:
        left = "…" + left[left.index(" ") + 1:]
    right = text[b:min(hi, b + width)]
    if b + width < hi and " " in right:
        right = right[:right.rindex(" ")] + "…"
    return _one_line(left) + (" " if left[-1:].isspace() else ""), \
        (" " if right[:1].isspace() else "") + _one_line(right)


def text_search(session: Session, project_id: int, query: str, *, source_ids: list[int] | None = None,
                roles: list[str] | None = None, limit: int | None = None) -> TextSearchResult:
    """Every occurrence of ``query`` in the turns of the project's sources (in source and text
    order), optionally only in some sources or in turns of some speaker roles; ``limit`` stops after
    that many hits (the counts then cover what was found so far)."""
    terms, pattern = compile_query(query)
    result = TextSearchResult(query=query, terms=terms)
    stmt = (select(Source.id, Source.name, Source.text, Case.name).outerjoin(Case, Case.id == Source.case_id)
            .where(Source.project_id == project_id).order_by(Source.name, Source.id))
    if source_ids is not None:
        stmt = stmt.where(Source.id.in_(source_ids or [-1]))
    sources = session.execute(stmt).all()
    speakers = {sp: (label, role.value if role else "") for sp, label, role in session.execute(
        select(Speaker.id, Speaker.label, Speaker.role).join(Source).where(Source.project_id == project_id))}
    seg_stmt = (select(Segment.source_id, Segment.idx, Segment.start, Segment.end, Segment.speaker_id)
                .join(Source, Source.id == Segment.source_id).where(Source.project_id == project_id))
    if source_ids is not None:
        seg_stmt = seg_stmt.where(Segment.source_id.in_(source_ids or [-1]))
    turns: dict[int, list[tuple]] = {}
    for sid, idx, a, b, sp in session.execute(seg_stmt):
        label, role = speakers.get(sp, ("", ""))
        if roles is None or role in roles:
            turns.setdefault(sid, []).append((a, b, idx, label, role))
    for mine in turns.values():
        mine.sort()
    for sid, name, text, case in sources:
        mine = turns.get(sid, [])
        result.turns_searched += len(mine)
        if not mine:
            continue
        starts = [t[0] for t in mine]
        folded = fold(text)
        for m in pattern.finditer(folded):
            if not _starts_word(folded, m.start()):
                continue
            i = bisect.bisect_right(starts, m.start()) - 1
            if i < 0 or m.end() > mine[i][1]:
                continue            # in a speaker label, between turns, or across a turn's end
            lo, hi, idx, label, role = mine[i]
            result.texts[sid] = text
            result.hits.append(Hit(sid, name, case or "", idx, label, role, m.start(), m.end(), lo, hi))
            if limit is not None and len(result.hits) >= limit:
                return result
    return result


def code_hits(session: Session, project_id: int, hits: list[Hit], code_id: int, coder: Coder, *,
              unit: str = "hit") -> tuple[int, int]:
    """Code every hit (``unit="hit"``: the words found; ``"turn"``: the whole turn, once per turn)
    in one change (undone as one). Returns ``(created, already coded)``."""
    if unit not in ("hit", "turn"):
        raise InvalidQuery(f"unknown unit {unit!r}: code the 'hit' or the whole 'turn'")
    spans = dict.fromkeys((h.source_id, *((h.start, h.end) if unit == "hit" else (h.turn_start, h.turn_end)))
                          for h in hits)
    created = existing = 0
    sources: dict[int, Source] = {}
    for sid, a, b in spans:
        source = sources.get(sid) or sources.setdefault(sid, session.get(Source, sid))
        if source is None or source.project_id != project_id:
            raise InvalidQuery(f"source {sid} is not in this project (search again)")
        _, new = apply_code(session, source, code_id, coder, a, b)
        created += new
        existing += not new
    return created, existing
