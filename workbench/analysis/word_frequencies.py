"""Word frequencies: which words the interviews use most, per language's stop words and lemmas.

Words are runs of letters (numbers and punctuation are not words), lower-cased. Stop words come
from spaCy's list for the source's language; lemmas from spacy-lookups-data's lookup table for it
(an English "companies" counts as "company"), and each row lists the forms it merged, so a wrong
merge is visible (Portuguese lookup lemmas are rough: "empresas" -> "empresar"). Counts per
source are kept in memory by the text's hash, so a second count over a large project only adds
them up.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.corpus.language import guess_from_counts, guess_language
from workbench.db.models import Segment, Source, Speaker
from workbench.errors import InvalidQuery

_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_CLITICS = frozenset({"s", "t", "re", "ve", "ll", "d", "m"})


def _is_stop(form: str, word: str, stops: frozenset[str]) -> bool:
    """A stop word, also as a contraction of stop words ("it's", "don't", "we’ll")."""
    if form in stops or word in stops:
        return True
    parts = re.split(r"['’]", form)
    return len(parts) > 1 and all(p in stops or p in _CLITICS or p + "n" in stops for p in parts)
DEFAULT_LANGUAGE = "en"


@dataclass
class WordFrequencies:
    """The table (word, count, per 1,000 words, sources, forms) and what it was counted over.
    ``sources`` is the number of sources holding the word's most widespread form (a lower bound
    where forms of one word are spread over different sources)."""
    table: pd.DataFrame
    total_words: int
    sources: int
    languages: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@lru_cache(maxsize=16)
def stop_words(language: str) -> frozenset[str]:
    """spaCy's stop words for a language (empty when spaCy has no such language)."""
    from spacy.util import get_lang_class
    try:
        return frozenset(w.lower() for w in get_lang_class(language).Defaults.stop_words)
    except Exception:                      # spaCy raises ImportError or its own error for unknown codes
        return frozenset()


@lru_cache(maxsize=8)
def _lemma_table(language: str):
    from spacy.lookups import load_lookups
    try:
        return load_lookups(language, ["lemma_lookup"]).get_table("lemma_lookup")
    except Exception:                      # no lookup table for this language: words stay as written
        return None


def lemma_of(language: str, word: str) -> str:
    """The lookup lemma of a lower-case word (the word itself when the table has none)."""
    table = _lemma_table(language)
    if table is None:
        return word
    lemma = table.get(word)
    if isinstance(lemma, list):
        lemma = lemma[0] if lemma else None
    return lemma.lower() if isinstance(lemma, str) and lemma else word


_MAX_CACHED = 4096
_COUNTS: dict[tuple, dict[str, Counter]] = {}
_TOTALS: dict[tuple, tuple[dict[str, Counter], dict[str, Counter]]] = {}


def _remember(cache: dict, key, value):
    if len(cache) >= _MAX_CACHED:
        cache.pop(next(iter(cache)))
    cache[key] = value
    return value


def _count(key: tuple, spans: tuple[tuple[int, int, str | None], ...], text: str,
           language: str) -> dict[str, Counter]:
    """Word forms in ``spans`` of a text by language: a turn transcribed in a language of its own
    (a recording whose language changes) counts in it; any other turn's language is guessed from
    its stop words (a Portuguese answer in an English interview counts as Portuguese), and a turn
    of fewer than 20 words takes the source's. Kept by the text's hash and the spans: an edited
    transcript, or other roles, are counted again."""
    if key in _COUNTS:
        return _COUNTS[key]
    low = text.lower()
    out: dict[str, Counter] = {}
    for a, b, stored in spans:
        turn = Counter(_WORD.findall(low, a, b))
        if turn:
            # A short turn ("Oui, d'accord.") says too little to change the source's language.
            lang = stored or (guess_from_counts(turn) if turn.total() >= 20 else None) or language
            out.setdefault(lang, Counter()).update(turn)
    return _remember(_COUNTS, key, out)


def _project_counts(units: list[tuple]) -> tuple[dict[str, Counter], dict[str, Counter]]:
    """Per language: how often each form occurs, and in how many sources."""
    key = tuple(u[0] for u in units)
    if key in _TOTALS:
        return _TOTALS[key]
    forms: dict[str, Counter] = {}
    sources: dict[str, Counter] = {}
    for unit_key, spans, text, language in units:
        for lang, counts in _count(unit_key, spans, text, language).items():
            forms.setdefault(lang, Counter()).update(counts)
            sources.setdefault(lang, Counter()).update(counts.keys())
    return _remember(_TOTALS, key, (forms, sources))


def word_frequencies(session: Session, project_id: int, *, source_ids: list[int] | None = None,
                     roles: list[str] | None = None, lemmas: bool = True, drop_stop_words: bool = True,
                     exclude: list[str] | tuple[str, ...] = (), min_length: int = 2,
                     limit: int | None = 100) -> WordFrequencies:
    """The most frequent words in the turns of the project's sources (or of ``source_ids``; only
    turns of ``roles`` when given), most frequent first; ``exclude`` drops words (and, with
    ``lemmas``, every form of them)."""
    if min_length < 1:
        raise InvalidQuery(f"the shortest word counted must have at least 1 letter, not {min_length}")
    stmt = select(Source.id, Source.text_hash, Source.language, Source.text).where(Source.project_id == project_id)
    if source_ids is not None:
        stmt = stmt.where(Source.id.in_(source_ids or [-1]))
    sources = session.execute(stmt).all()
    speakers = {sp: (role.value if role else "") for sp, role in session.execute(
        select(Speaker.id, Speaker.role).join(Source).where(Source.project_id == project_id))}
    spans: dict[int, list[tuple[int, int, str | None]]] = {}
    for sid, a, b, sp, lang in session.execute(
            select(Segment.source_id, Segment.start, Segment.end, Segment.speaker_id, Segment.language)
            .join(Source).where(Source.project_id == project_id)):
        if roles is None or speakers.get(sp, "") in roles:
            spans.setdefault(sid, []).append((a, b, lang.split("-")[0].lower() if lang else None))
    units = []
    for sid, text_hash, language, text in sources:
        mine = tuple(sorted(spans.get(sid, ())))
        if mine:
            language = (language or guess_language(text) or DEFAULT_LANGUAGE).split("-")[0].lower()
            units.append(((sid, text_hash, language, hash(mine)), mine, text, language))
    forms, in_sources = _project_counts(units)
    excluded = {w.strip().lower() for w in exclude if w.strip()}
    rows: dict[str, list] = {}              # word -> [count, sources (most of any one form), forms merged]
    total = 0
    for language, counts in forms.items():
        stops = stop_words(language) if drop_stop_words else frozenset()
        for form, n in counts.items():
            total += n
            word = lemma_of(language, form) if lemmas else form
            if len(word) < min_length or _is_stop(form, word, stops) or form in excluded or word in excluded:
                continue
            row = rows.setdefault(word, [0, 0, Counter()])
            row[0] += n
            row[1] = max(row[1], in_sources[language][form])
            row[2][form] += n
    languages = set(forms)
    counted = len(units)
    notes = []
    missing = sorted(lang for lang in languages if _lemma_table(lang) is None) if lemmas else []
    if missing:
        notes.append(f"no lemma table for {', '.join(missing)}: those words are counted as written")
    ordered = sorted(rows.items(), key=lambda kv: (-kv[1][0], kv[0]))[:limit]
    # A lemma no source uses (a rough table's "empresar") is shown as the group's commonest form.
    table = pd.DataFrame(
        [(w if w in merged or any(w in c for c in forms.values()) else merged.most_common(1)[0][0],
          n, round(1000 * n / total, 2) if total else 0.0, k, ", ".join(f for f, _ in merged.most_common()))
         for w, (n, k, merged) in ordered],
        columns=["word", "count", "per 1,000 words", "sources", "forms"])
    return WordFrequencies(table=table, total_words=total, sources=counted, languages=sorted(languages), notes=notes)
