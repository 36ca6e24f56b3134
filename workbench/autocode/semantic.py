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
    # Targets sorted by code, so that a sentence's best similarity to each code is one reduction over
    # contiguous columns; the maximum over a turn's sentences comes after, on that small matrix.
    order = np.argsort(owner, kind="stable")
    targets_sorted = np.ascontiguousarray(targets[order].T)
    source_sorted = target_source[order]
    present = np.unique(owner)
    code_first = np.searchsorted(owner[order], present)
    neg_order = np.argsort(sig.negative_owner, kind="stable") if len(sig.negative_owner) else np.zeros(0, np.int64)
    neg_present = np.unique(sig.negative_owner)
    neg_first = np.searchsorted(sig.negative_owner[neg_order], neg_present)
    out: list[Match] = []
    rows = np.array([r for r in rows if sig.embedded[r]], dtype=np.int64)
    for lo in range(0, len(rows), chunk):
        r = rows[lo:lo + chunk]
        first = np.searchsorted(sentences.row, r, side="left")
        last = np.searchsorted(sentences.row, r, side="right")
        r, first, last = r[last > first], first[last > first], last[last > first]
        if not len(r):
            continue
        idx = np.concatenate([np.arange(a, b) for a, b in zip(first, last)])
        starts = np.concatenate([[0], np.cumsum(last - first)[:-1]])
        vec = sig.sentence_vectors[idx]
        sim = vec @ targets_sorted
        own = sig.units.source_id[sentences.row[idx]]
        sim[own[:, None] == source_sorted[None, :]] = -1.0             # not its own source's coding
        per_code = np.full((len(r), len(codes)), -1.0, dtype=np.float32)
        per_code[:, present] = np.maximum.reduceat(np.maximum.reduceat(sim, code_first, axis=1), starts, axis=0)
        negative = np.full((len(r), len(codes)), -np.inf, dtype=np.float32)
        if len(neg_present):
            neg = np.maximum.reduceat(vec @ sig.negative_vectors.T, starts, axis=0)
            negative[:, neg_present] = np.maximum.reduceat(neg[:, neg_order], neg_first, axis=1)
        for members in books.values():
            members = np.asarray(members)
            top = members[np.argmax(per_code[:, members], axis=1)]
            score = per_code[np.arange(len(r)), top]
            for i in np.flatnonzero((score >= threshold) & (score > negative[np.arange(len(r)), top])):
                row, pos = int(r[i]), int(top[i])
                code_id = codes[pos].code_id
                if code_id in coded.labels.get(row, ()) or code_id in coded.rejected.get(row, ()):
                    continue
                at = int(np.searchsorted(present, pos))
                lo_col = int(code_first[at])
                hi_col = int(code_first[at + 1]) if at + 1 < len(code_first) else len(order)
                block = sim[starts[i]:starts[i] + last[i] - first[i], lo_col:hi_col]
                k, j = np.unravel_index(int(np.argmax(block)), block.shape)
                sentence, col = int(first[i] + k), int(order[lo_col + j])
                if col < len(texts):
                    _, kind, text = texts[col]
                    out.append(Match(row, pos, float(score[i]), sentence, kind, text))
                else:
                    s = coded_rows[col - len(texts)][1]
                    out.append(Match(row, pos, float(score[i]), sentence, "coding", sentences.text[s],
                                     (int(sig.units.source_id[sentences.row[s]]), int(sentences.start[s]),
                                      int(sentences.end[s]))))
        if progress:
            progress(min(lo + chunk, len(rows)) / max(len(rows), 1))
    return out
