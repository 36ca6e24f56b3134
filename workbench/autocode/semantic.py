"""Suggestions by meaning alone: a turn whose closest sentence comes near a code's definition,
when-to-use text or examples, or near a sentence already coded with it, and nearer to that code
than to the code's when-not-to-use text and to the other codes of its codebook.

It needs no training, so it works on the first day of a project with an English codebook; its
precision is modest (bench/suggesters.py measures it), and the learned suggester uses the same
similarities among its features once there is coding to learn from.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from workbench.autocode.features import Pool
from workbench.autocode.signals import Signals
from workbench.autocode.units import CodedTurns

THRESHOLD = 0.55     # cosine similarity; all-MiniLM-L6-v2 puts paraphrases of one idea above ~0.6


@dataclass
class Match:
    row: int
    code_position: int
    score: float
    sentence: int                   # row in Signals.sentences that came closest
    nearest: str                    # "definition", "when to use", "example", "coding"
    nearest_text: str
    nearest_where: tuple[int, int, int] | None = None    # (source, start, end) of a coded sentence


def propose(sig: Signals, rows: np.ndarray, coded: CodedTurns, pool: Pool | None = None, *,
            threshold: float = THRESHOLD, chunk: int = 256,
            progress: Callable[[float], None] | None = None) -> list[Match]:
    """The best code of each codebook for each English turn of ``rows``, where it clears
    ``threshold`` and beats the code's when-not-to-use text."""
    if sig.sentence_vectors is None:
        return []
    sentences = sig.sentences
    codes = sig.codes
    books: dict[int, list[int]] = {}
    for i, c in enumerate(codes):
        books.setdefault(c.codebook_id, []).append(i)
    texts = [(i, kind, t) for i, c in enumerate(codes) for kind, t in zip(c.kinds, c.positive)]
    coded_rows = []
    if pool is not None:
        for code_id, found in pool.coded_sentences.items():
            pos = next((i for i, c in enumerate(codes) if c.code_id == code_id), None)
            if pos is not None:
                coded_rows += [(pos, int(s)) for s in found]
    targets = np.vstack([sig.code_vectors] + ([sig.sentence_vectors[[s for _, s in coded_rows]]] if coded_rows else []))
    owner = np.concatenate([sig.code_vector_owner, np.array([p for p, _ in coded_rows], dtype=np.int64)])
    target_source = np.concatenate([np.full(len(sig.code_vector_owner), -1),
                                    sig.units.source_id[sentences.row[[s for _, s in coded_rows]]] if coded_rows
                                    else np.zeros(0, dtype=np.int64)])
    negatives = np.full(len(codes), -np.inf, dtype=np.float32)
    out: list[Match] = []
    rows = np.array([r for r in rows if sig.embedded[r]], dtype=np.int64)
    for lo in range(0, len(rows), chunk):
        r = rows[lo:lo + chunk]
        first = np.searchsorted(sentences.row, r, side="left")
        last = np.searchsorted(sentences.row, r, side="right")
        for row, a, b in zip(r, first, last):
            if b <= a:
                continue
            vec = sig.sentence_vectors[a:b]
            sim = vec @ targets.T
            sim[:, target_source == sig.units.source_id[row]] = -1.0       # not its own source's coding
            negative = negatives.copy()
            if sig.negative_vectors is not None and len(sig.negative_vectors):
                neg = (vec @ sig.negative_vectors.T).max(axis=0)
                np.maximum.at(negative, sig.negative_owner, neg)
            best_target = sim.max(axis=0)
            per_code = np.full(len(codes), -1.0, dtype=np.float32)
            np.maximum.at(per_code, owner, best_target)
            for members in books.values():
                top = members[int(np.argmax(per_code[members]))]
                score = float(per_code[top])
                code_id = codes[top].code_id
                if (score < threshold or score <= negative[top] or code_id in coded.labels.get(int(row), ())
                        or code_id in coded.rejected.get(int(row), ())):
                    continue
                cols = np.flatnonzero(owner == top)
                col = cols[int(np.argmax(best_target[cols]))]
                sentence = a + int(np.argmax(sim[:, col]))
                if col < len(texts):
                    _, kind, text = texts[col]
                    out.append(Match(int(row), top, score, sentence, kind, text))
                else:
                    s = coded_rows[col - len(texts)][1]
                    out.append(Match(int(row), top, score, sentence, "coding", sentences.text[s],
                                     (int(sig.units.source_id[sentences.row[s]]), int(sentences.start[s]),
                                      int(sentences.end[s]))))
        if progress:
            progress(min(lo + chunk, len(rows)) / max(len(rows), 1))
    return out
