"""What the suggesters know about turns and codes, computed once per run: the turns' sentence
embeddings (where the model covers the language), their character n-grams (any language), the
codes' own texts embedded the same ways, and where the rules fired.

Character n-grams are the part that works in every language and for every codebook: they see
"exporta", "exportação" and "export" as kin without a word list. Embeddings add meaning across
wording, for English.
"""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from workbench.autocode.char_ngrams import CharNgrams
from workbench.autocode.embedding_store import embed_texts
from workbench.autocode.embeddings import DIMENSIONS, Embedder, load_embedder
from workbench.autocode.engine import Proposal
from workbench.autocode.units import Sentences, Units, split_sentences
from workbench.codebook.lookup import code_path, codes_query
from workbench.db.models import Code
from workbench.errors import ModelNotFound

Progress = Callable[[str, float], None]


@dataclass
class CodeTexts:
    """A code as the suggesters read it: what it is (definition, when to use, examples) and what it
    is not (when not to use)."""
    code_id: int
    codebook_id: int
    path: str
    name: str
    positive: list[str]
    negative: list[str]
    kinds: list[str] = field(default_factory=list)     # of each positive text: definition, when to use, example


def code_texts(session, project_id: int, codebook_ids: list[int] | None = None,
               code_ids: list[int] | None = None) -> list[CodeTexts]:
    """The chosen codes' texts, in codebook order."""
    out = []
    for code in session.scalars(codes_query(project_id, codebook_ids, code_ids)
                                .order_by(Code.codebook_id, Code.position, Code.id)):
        named = [("definition", code.definition), ("when to use", code.when_to_use),
                 *(("example", e) for e in code.examples or [])]
        named = [(kind, t) for kind, t in named if t and t.strip()] or [("name", code.name)]
        negative = [t for t in (code.when_not_to_use,) if t and t.strip()]
        out.append(CodeTexts(code.id, code.codebook_id, " › ".join(code_path(code)), code.name,
                             [t for _, t in named], negative, [k for k, _ in named]))
    return out


@dataclass
class Signals:
    units: Units
    codes: list[CodeTexts]
    embedder: Embedder | None
    embedded: np.ndarray            # rows whose language the embedder covers
    vectors: np.ndarray | None      # turns: the normalised mean of their sentences (zeros where not embedded)
    sentences: Sentences
    sentence_vectors: np.ndarray | None
    ngrams: sparse.csr_matrix       # tf-idf of character n-grams, rows unit length
    code_vectors: np.ndarray | None  # the codes' positive texts, stacked
    code_vector_owner: np.ndarray   # column -> position of its code in ``codes``
    negative_vectors: np.ndarray | None
    negative_owner: np.ndarray
    code_ngrams: sparse.csr_matrix  # one row per code: its positive texts together
    rule_hits: dict[int, dict[int, tuple[int, int, str, str]]] = field(default_factory=dict)
    newly_embedded: int = 0
    note: str = ""                  # what the embedder did not cover, for the user

    @property
    def code_index(self) -> dict[int, int]:
        return {c.code_id: i for i, c in enumerate(self.codes)}


def _rule_hits(units: Units, proposals: list[Proposal]) -> dict[int, dict[int, tuple[int, int, str, str]]]:
    """row -> code -> (start, end, rule, matched words) of the first rule proposal in the turn."""
    by_source: dict[int, tuple[list[int], list[int]]] = {}
    for row in np.argsort(units.source_id, kind="stable"):
        starts, rows = by_source.setdefault(int(units.source_id[row]), ([], []))
        starts.append(int(units.start[row]))
        rows.append(int(row))
    hits: dict[int, dict[int, tuple[int, int, str, str]]] = {}
    for p in proposals:
        if p.source_id not in by_source:
            continue
        starts, rows = by_source[p.source_id]
        at = bisect_right(starts, p.start) - 1
        if at >= 0:
            hits.setdefault(rows[at], {}).setdefault(p.code_id, (p.start, p.end, p.rule, p.matched))
    return hits


NGRAM_FIT_MAX = 4000      # turns the n-gram vocabulary and weights are learned from (a sample beyond)


def compute(store, units: Units, codes: list[CodeTexts], proposals: list[Proposal], *, rows: np.ndarray | None = None,
            fit_rows: np.ndarray | None = None, use_embeddings: bool = True,
            progress: Progress | None = None) -> Signals:
    """Everything the suggesters need about the turns ``rows`` (default: all) and ``codes``; a
    row's question is embedded with it. Embeddings are taken from the project's store where they
    were computed before. Rows left out get no vector and no n-grams: nothing reads them. The
    n-gram vocabulary and weights are learned from ``fit_rows`` (default: ``rows``): from the
    coded turns, a source gets the same n-grams whichever other sources a run is asked for."""
    say = progress or (lambda _what, _share: None)
    needed = np.zeros(len(units), dtype=bool)
    needed[np.arange(len(units)) if rows is None else rows] = True
    questions = units.question[needed]
    with_questions = needed.copy()
    with_questions[questions[questions >= 0]] = True
    embedder, note = None, ""
    if use_embeddings:
        try:
            embedder = load_embedder()
        except ModelNotFound as exc:
            note = exc.message
    covered = np.array([embedder is not None and embedder.covers(lang) for lang in units.language], dtype=bool)
    if embedder is not None and not covered[needed].all():
        left = sorted({units.language[i] for i in np.flatnonzero(needed & ~covered)})
        note = (f"{embedder.name} covers English only: turns in {', '.join(left)} are compared by their character "
                "n-grams and the rules, not by meaning")
    embedded = covered & with_questions
    vectors = sentence_vectors = code_vectors = negative_vectors = None
    newly = 0
    sentences = split_sentences(units)
    if embedder is not None:
        vectors = np.zeros((len(units), DIMENSIONS), dtype=np.float32)
        sentence_vectors = np.zeros((len(sentences), DIMENSIONS), dtype=np.float32)
        todo = np.flatnonzero(embedded[sentences.row])
        if len(todo):
            what = "embedding each sentence once (kept for the next run)"
            say(what, 0.0)
            sentence_vectors[todo], newly = embed_texts(store, [sentences.text[i] for i in todo], embedder=embedder,
                                                        progress=lambda d, t: say(what, d / max(t, 1)))
        # A turn's vector is the mean of its sentences': as good as embedding the turn (measured in
        # bench/suggesters.py) and free once the sentences are embedded.
        np.add.at(vectors, sentences.row, sentence_vectors)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors = np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
        code_vectors = embedder.embed([t for c in codes for t in c.positive])
        negative_vectors = embedder.embed([t for c in codes for t in c.negative])
    say("character n-grams", 0.0)
    fit = np.flatnonzero(needed) if fit_rows is None or not len(fit_rows) else np.asarray(fit_rows)
    ngrams, code_ngrams = _ngrams(units, codes, np.flatnonzero(needed), fit)
    hits = _rule_hits(units, proposals)
    return Signals(units=units, codes=codes, embedder=embedder, embedded=embedded, vectors=vectors,
                   sentences=sentences, sentence_vectors=sentence_vectors,
                   ngrams=ngrams, code_vectors=code_vectors,
                   code_vector_owner=np.array([i for i, c in enumerate(codes) for _ in c.positive], dtype=np.int64),
                   negative_vectors=negative_vectors,
                   negative_owner=np.array([i for i, c in enumerate(codes) for _ in c.negative], dtype=np.int64),
                   code_ngrams=code_ngrams, rule_hits=hits, newly_embedded=newly, note=note)


def _ngrams(units: Units, codes: list[CodeTexts], rows: np.ndarray,
            fit: np.ndarray) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
    """Tf-idf of character 3- and 4-grams within words, of ``rows`` (the others stay empty) and of
    each code's texts; vocabulary and weights learned from a reproducible sample of ``fit``."""
    code_docs = [" ".join(c.positive) for c in codes]
    if not len(rows):
        return sparse.csr_matrix((len(units), 0), dtype=np.float32), sparse.csr_matrix((len(codes), 0), dtype=np.float32)
    sample = fit if len(fit) <= NGRAM_FIT_MAX else np.sort(np.random.default_rng(0).choice(fit, NGRAM_FIT_MAX,
                                                                                            replace=False))
    vectorizer = CharNgrams(ngram_range=(3, 4), min_df=2, max_features=200_000)
    vectorizer.fit([units.text[i] for i in sample] + code_docs)
    part = vectorizer.transform([units.text[i] for i in rows])
    place = sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, np.arange(len(rows)))),
                              shape=(len(units), len(rows)))
    return (place @ part).tocsr(), vectorizer.transform(code_docs)
