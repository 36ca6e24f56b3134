"""Features of a (turn, code) pair, each measured against that code alone, so that one model can
learn how much to trust each kind of evidence for every code of any codebook:

- the rules: did a rule of the code fire in the turn, one of its codebook, one in the question
  before it;
- the code's texts: how close the turn (and its question) comes to the definition, when-to-use
  text and examples, and to the when-not-to-use text, by meaning and by character n-grams;
- the project's coding: how close the turn comes to turns coded with the code in other sources
  (nearest, mean of the three nearest, the margin to the nearest coded turn overall, and the
  share of the code among the ten nearest), by meaning and by n-grams; how close its closest
  sentence comes to a coded sentence (codings are often a sentence, turns hold several topics);
  the code's base rate.

Similarities with turns of the same source are left out, for training and proposing alike: a
model trained on them would learn to trust near-duplicates that new interviews do not have.
Features that cannot be measured (a language the embedding model does not cover) are NaN.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from workbench.autocode.signals import Signals

NEIGHBOURS = 10
FEATURES = ["rule", "rule_codebook", "rule_question",
            "definition_meaning", "not_meaning", "question_meaning", "definition_ngrams",
            "coded_meaning", "coded_meaning_3", "coded_meaning_margin", "coded_meaning_share",
            "coded_ngrams", "coded_ngrams_3", "coded_ngrams_margin", "coded_ngrams_share",
            "base_rate", "words", "definition_sentence", "coded_sentence", "coded_sentence_3"]
SENTENCE_POSITIVES_MAX = 100      # coded sentences per code compared with (a reproducible sample beyond: nearest-
#                                  neighbour similarity gains little past a hundred examples, and costs a matmul per turn)


@dataclass
class Pool:
    """The coded turns a turn is compared with: rows of ``Signals.units`` and their codes, and
    per code the sentences (of ``Signals.sentences``) its codings cover."""
    rows: np.ndarray
    labels: list[set[int]]
    base_rate: dict[int, float]
    coded_sentences: dict[int, np.ndarray]

    def positives(self, code_id: int) -> np.ndarray:
        return np.array([i for i, lab in enumerate(self.labels) if code_id in lab], dtype=np.int64)


def _group_max(matrix: np.ndarray, owner: np.ndarray, groups: int) -> np.ndarray:
    """Column-group maxima: ``out[:, g] = max(matrix[:, owner == g])`` (-inf for empty groups)."""
    out = np.full((matrix.shape[0], groups), -np.inf, dtype=np.float32)
    for g in range(groups):
        cols = owner == g
        if cols.any():
            out[:, g] = matrix[:, cols].max(axis=1)
    return out


def _top_mean(values: np.ndarray, k: int) -> np.ndarray:
    if values.shape[1] <= k:
        return values.mean(axis=1)
    return np.partition(values, -k, axis=1)[:, -k:].mean(axis=1)


def _neighbour_features(sim: np.ndarray, positives: dict[int, np.ndarray], label_matrix: sparse.csr_matrix,
                        code_cols: np.ndarray) -> dict[str, np.ndarray]:
    """The four 'coded' features of every (row, code) from a rows x pool similarity matrix in
    which excluded pool turns hold -1."""
    n, pool = sim.shape
    k = min(NEIGHBOURS, pool)
    top = np.argpartition(-sim, k - 1, axis=1)[:, :k] if pool else np.zeros((n, 0), dtype=np.int64)
    top_sim = np.take_along_axis(sim, top, axis=1)
    nearest = top_sim.max(axis=1) if k else np.full(n, -1.0, dtype=np.float32)
    weights = np.clip(top_sim, 0, None)
    w = sparse.csr_matrix((weights.ravel(), top.ravel(), np.arange(0, n * k + 1, k)), shape=(n, pool))
    share = np.asarray((w @ label_matrix).todense()) / np.maximum(weights.sum(axis=1, keepdims=True), 1e-6)
    best = np.full((n, len(code_cols)), -1.0, dtype=np.float32)
    best3 = np.full((n, len(code_cols)), -1.0, dtype=np.float32)
    for j, code_col in enumerate(code_cols):
        pos = positives.get(int(code_col))
        if pos is not None and len(pos):
            part = sim[:, pos]
            best[:, j] = part.max(axis=1)
            best3[:, j] = _top_mean(part, 3)
    return {"best": best, "best3": best3, "margin": best - nearest[:, None], "share": share[:, code_cols]}


COMMON_NGRAM = 0.05      # n-grams in more than this share of the pool's turns are multiplied as dense columns


class NgramSimilarity:
    """Dot products of turns' n-gram vectors with the pool's, exactly, split in two: the n-grams
    common in the pool as dense columns (one BLAS product) and the rest as a sparse product (short
    posting lists). A plain sparse product spends most of its time on the few n-grams nearly every
    turn shares ("the", " an"); this is about five times faster."""

    def __init__(self, ngrams: sparse.csr_matrix, pool_rows: np.ndarray):
        pool = ngrams[pool_rows]
        share = np.bincount(pool.indices, minlength=ngrams.shape[1]) / max(pool.shape[0], 1)
        common = share > COMMON_NGRAM
        self.common, self.rare = ngrams[:, common].tocsr(), ngrams[:, ~common].tocsr()
        self.pool_common = np.ascontiguousarray(pool[:, common].toarray().T)      # n-grams x pool
        self.pool_rare = pool[:, ~common].T.tocsr()

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        """rows x pool similarities (float32)."""
        sim = self.common[rows].toarray() @ self.pool_common
        sim += (self.rare[rows] @ self.pool_rare).toarray()
        return sim


def _row_max(values: np.ndarray, owner_first: np.ndarray) -> np.ndarray:
    """Per turn, the maximum over its sentences' rows of ``values`` (sentences grouped by turn,
    ``owner_first`` the first sentence row of each turn)."""
    return np.maximum.reduceat(values, owner_first, axis=0)


class CodedSentences:
    """The sentences coded with each code (``Pool.coded_sentences``), gathered once for a run: their
    vectors as columns, their sources, and each code's columns among them."""

    def __init__(self, sig: Signals, pool: Pool, code_ids: list[int]):
        coded = [pool.coded_sentences.get(c, np.zeros(0, dtype=np.int64)) for c in code_ids]
        self.union = np.unique(np.concatenate(coded)) if any(len(c) for c in coded) else np.zeros(0, dtype=np.int64)
        self.columns = [np.searchsorted(self.union, c) for c in coded]
        self.vectors = self.source = None              # without the embedding model: nothing to compare by meaning
        if sig.sentence_vectors is not None and len(self.union):
            self.vectors = np.ascontiguousarray(sig.sentence_vectors[self.union])      # coded sentences x 384
            self.source = sig.units.source_id[sig.sentences.row[self.union]]


def _sentence_features(sig: Signals, rows: np.ndarray, coded: CodedSentences, code_positions: np.ndarray,
                       out: np.ndarray) -> None:
    sentences = sig.sentences
    first = np.searchsorted(sentences.row, rows, side="left")
    last = np.searchsorted(sentences.row, rows, side="right")
    has = (last > first) & sig.embedded[rows]
    if not has.any():
        return
    idx = np.concatenate([np.arange(a, b) for a, b, h in zip(first, last, has) if h])
    starts = np.cumsum([0] + [b - a for a, b, h in zip(first, last, has) if h])[:-1]
    vectors = sig.sentence_vectors[idx]
    definition = _group_max(vectors @ sig.code_vectors.T, sig.code_vector_owner, len(sig.codes))[:, code_positions]
    out[has, :, 17] = _row_max(definition, starts)
    if not len(coded.union):
        return
    # Coded sentences as rows: the maximum over a turn's sentences then runs along contiguous memory.
    sim = coded.vectors @ vectors.T                                   # coded sentences x the turns' sentences
    own_source = sig.units.source_id[sentences.row[idx]]
    sim[coded.source[:, None] == own_source[None, :]] = -1.0
    best = np.maximum.reduceat(sim, starts, axis=1)                    # coded sentences x turns
    for j, cols in enumerate(coded.columns):
        if len(cols):
            part = best[cols]
            out[has, j, 18] = part.max(axis=0)
            out[has, j, 19] = _top_mean(part.T, 3)
        else:
            out[has, j, 18] = out[has, j, 19] = -1.0


def pair_features(sig: Signals, rows: np.ndarray, pool: Pool, code_positions: np.ndarray,
                  chunk: int = 256) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(row, code position, features) for every row of ``rows`` and code of ``code_positions`` (positions
    in ``sig.codes``), in chunks of rows; features in the order of :data:`FEATURES`."""
    units, codes = sig.units, sig.codes
    code_ids = [codes[i].code_id for i in code_positions]
    codebook_of = {c.code_id: c.codebook_id for c in codes}
    column = {cid: j for j, cid in enumerate(sorted({cid for lab in pool.labels for cid in lab} | set(code_ids)))}
    label_matrix = sparse.csr_matrix(
        (np.ones(sum(len(lab) for lab in pool.labels), dtype=np.float32),
         ([i for i, lab in enumerate(pool.labels) for _ in lab], [column[c] for lab in pool.labels for c in lab])),
        shape=(len(pool.rows), len(column)))
    code_cols = np.array([column[c] for c in code_ids], dtype=np.int64)
    positives = {column[c]: pool.positives(c) for c in code_ids}
    pool_source = units.source_id[pool.rows]
    pool_embedded = sig.embedded[pool.rows]
    base = np.array([pool.base_rate.get(c, 0.0) for c in code_ids], dtype=np.float32)
    ngram_similarity = NgramSimilarity(sig.ngrams, pool.rows)
    coded_sentences = CodedSentences(sig, pool, code_ids)
    for lo in range(0, len(rows), chunk):
        r = rows[lo:lo + chunk]
        n = len(r)
        same_source = units.source_id[r][:, None] == pool_source[None, :]
        out = np.full((n, len(code_ids), len(FEATURES)), np.nan, dtype=np.float32)
        # the rules
        for i, row in enumerate(r):
            hits = sig.rule_hits.get(int(row), {})
            books = {codebook_of.get(c) for c in hits}
            q = int(units.question[row])
            qhits = sig.rule_hits.get(q, {}) if q >= 0 else {}
            for j, cid in enumerate(code_ids):
                out[i, j, 0] = cid in hits
                out[i, j, 1] = codebook_of[cid] in books
                out[i, j, 2] = cid in qhits
        # the code's texts
        ng = sig.ngrams[r]
        out[:, :, 6] = (ng @ sig.code_ngrams[code_positions].T).toarray()
        if sig.vectors is not None:
            v = sig.vectors[r]
            covered = sig.embedded[r]
            definition = _group_max(v @ sig.code_vectors.T, sig.code_vector_owner, len(codes))[:, code_positions]
            negative = _group_max(v @ sig.negative_vectors.T, sig.negative_owner, len(codes))[:, code_positions]
            q = units.question[r]
            qv = np.where((q >= 0)[:, None], sig.vectors[np.maximum(q, 0)], 0.0).astype(np.float32)
            question = _group_max(qv @ sig.code_vectors.T, sig.code_vector_owner, len(codes))[:, code_positions]
            question[q < 0] = np.nan
            negative[~np.isfinite(negative)] = np.nan
            for f, values in ((3, definition), (4, negative), (5, question)):
                values[~covered] = np.nan
                out[:, :, f] = values
            # the project's coding, by meaning
            sim = v @ sig.vectors[pool.rows].T
            sim[same_source | ~pool_embedded[None, :]] = -1.0
            near = _neighbour_features(sim, positives, label_matrix, code_cols)
            for f, key in ((7, "best"), (8, "best3"), (9, "margin"), (10, "share")):
                values = near[key]
                values[~covered] = np.nan
                out[:, :, f] = values
        # the project's coding, by character n-grams
        sim = ngram_similarity(r)
        sim[same_source] = -1.0
        near = _neighbour_features(sim, positives, label_matrix, code_cols)
        for f, key in ((11, "best"), (12, "best3"), (13, "margin"), (14, "share")):
            out[:, :, f] = near[key]
        if sig.sentence_vectors is not None:
            _sentence_features(sig, r, coded_sentences, code_positions, out)
        out[:, :, 15] = base[None, :]
        out[:, :, 16] = np.log1p([len(units.text[row].split()) for row in r])[:, None]
        rr, cc = np.meshgrid(r, code_positions, indexing="ij")
        yield rr.ravel(), cc.ravel(), out.reshape(-1, len(FEATURES))
