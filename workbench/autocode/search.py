"""Search by meaning: the turns of a project ranked by how close their closest sentence comes to a
query ("passages about sharing the cost of a stand"), wording aside.

Each sentence is embedded once and kept in the project (by its text's hash); a process keeps the
project's sentence matrix while no source text changes, so a search after the first costs one
query embedding and one matrix product. Sources in a language the model does not cover are left
out, and the result says so.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from threading import Lock

import numpy as np
from sqlalchemy import select

from workbench.autocode.embedding_store import embed_texts
from workbench.autocode.embeddings import load_embedder
from workbench.autocode.units import Sentences, Units, load_units, split_sentences
from workbench.db.models import Source
from workbench.errors import NotFound


@dataclass
class Hit:
    source_id: int
    source: str
    start: int                 # the turn
    end: int
    sentence_start: int        # its sentence closest to the query
    sentence_end: int
    score: float
    text: str
    role: str | None


@dataclass
class SearchResult:
    hits: list[Hit]
    searched_turns: int
    left_out: list[str] = field(default_factory=list)     # sources in languages the model does not cover


@dataclass
class _Index:
    key: tuple
    units: Units
    sentences: Sentences
    rows: np.ndarray           # sentences searched (covered languages)
    vectors: np.ndarray
    left_out: list[str]


_CACHE: dict[tuple[str, int], _Index] = {}
_LOCK = Lock()


def _key(session, project_id: int, source_ids: list[int] | None) -> tuple:
    stmt = select(Source.id, Source.text).where(Source.project_id == project_id).order_by(Source.id)
    if source_ids:
        stmt = stmt.where(Source.id.in_(source_ids))
    return tuple((sid, hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest())
                 for sid, text in session.execute(stmt))


def index(store, project_id: int, source_ids: list[int] | None = None,
          progress: Callable[[int, int], None] | None = None) -> _Index:
    """The project's searchable sentences, embedded (the new ones now, the rest from the store)."""
    embedder = load_embedder()
    with store.read() as s:
        key = _key(s, project_id, source_ids)
        cache_key = (str(store.url), project_id)
        with _LOCK:
            cached = _CACHE.get(cache_key)
        if cached is not None and cached.key == key:
            return cached
        units = load_units(s, [sid for sid, _ in key])
    sentences = split_sentences(units)
    covered = np.array([embedder.covers(units.language[r]) for r in sentences.row], dtype=bool)
    rows = np.flatnonzero(covered)
    vectors, _ = embed_texts(store, [sentences.text[i] for i in rows], embedder=embedder, progress=progress)
    left_out = sorted({units.source_name[int(units.source_id[r])] for r in range(len(units))
                       if not embedder.covers(units.language[r])})
    built = _Index(key, units, sentences, rows, vectors, left_out)
    with _LOCK:
        _CACHE[cache_key] = built
    return built


def search(store, project_id: int, query: str, *, limit: int = 20, source_ids: list[int] | None = None,
           roles: list[str] | None = None, progress: Callable[[int, int], None] | None = None) -> SearchResult:
    """The ``limit`` turns closest in meaning to ``query`` (one hit per turn, best first)."""
    if not query.strip():
        raise NotFound("type what the passages should be about")
    idx = index(store, project_id, source_ids, progress)
    units, sentences = idx.units, idx.sentences
    if not len(idx.rows):
        return SearchResult([], 0, idx.left_out)
    q = load_embedder().embed([query.strip()])[0]
    scores = idx.vectors @ q
    turn_of = sentences.row[idx.rows]
    if roles:
        allowed = np.array([units.role[r] in roles for r in turn_of])
        scores = np.where(allowed, scores, -np.inf)
    best = np.full(len(units), -np.inf, dtype=np.float32)
    np.maximum.at(best, turn_of, scores)
    order = np.argsort(-best, kind="stable")
    hits = []
    for row in order[:limit]:
        if not np.isfinite(best[row]):
            break
        mine = np.flatnonzero((turn_of == row) & (scores == best[row]))
        s = int(idx.rows[mine[0]])
        hits.append(Hit(int(units.source_id[row]), units.source_name[int(units.source_id[row])], int(units.start[row]),
                        int(units.end[row]), int(sentences.start[s]), int(sentences.end[s]), round(float(best[row]), 3),
                        units.text[row], units.role[row]))
    return SearchResult(hits, int(len(np.unique(turn_of))), idx.left_out)
