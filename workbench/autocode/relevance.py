"""Whether a source is about what the project codes at all.

Keyword rules and a model learned from a few interviews both fire now and then on any talk that
shares their words ("export licence", "our partner", "I don't know"): an interview with a museum
conservator drew five suggestions per 1,000 words. Turn by turn that cannot be told from a real
hit; source by source it can. A source's **relevance** is how confident the learned model is at
its most confident: over every stretch of about :data:`WINDOW_WORDS` answered words, the mean of
the :data:`TOP` best (turn, code) scores in it, and the highest such mean. A coded interview's
relevance, measured with the model that never saw it (cross-validation by source), is what an
interview on the topic looks like; a source below :data:`FLOOR_SHARE` of the least relevant
coded source is held back as off topic, and the run says so with its figure. A source shorter
than a window is judged by a share of :data:`TOP` in proportion to its length.

The best stretch, not the whole source, is measured, so that a long interview that turns to the
topic for one part of it still counts as on topic.
"""
from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from workbench.autocode.units import Units

WINDOW_WORDS = 1000
TOP = 10
PER_TURN = 2         # scores a single turn may add to a stretch's TOP
# Chosen on 2026-12-03 from the interviews of bench/data (on topic: at least 0.77 of the least
# relevant coded source; off topic: at most 0.59), closer to the off-topic side: a source held back
# wrongly loses every suggestion, one let through keeps a handful.
FLOOR_SHARE = 0.65


def best_scores(prob: np.ndarray, codes: int) -> np.ndarray:
    """Each row's :data:`TOP` best scores (ascending) from ``prob`` laid out row by row, ``codes``
    scores per row."""
    per_row = prob.reshape(-1, codes)
    keep = min(TOP, codes)
    return np.sort(np.partition(per_row, codes - keep, axis=1)[:, codes - keep:], axis=1)


def source_relevance(units: Units, rows: Iterable[int], best: dict[int, np.ndarray]) -> dict[int, float]:
    """The relevance of each source of ``rows`` (answer rows; ``best``: row -> its best scores)."""
    by_source: dict[int, list[int]] = {}
    for r in rows:
        by_source.setdefault(int(units.source_id[r]), []).append(int(r))
    out = {}
    for source_id, members in by_source.items():
        members.sort(key=lambda r: int(units.start[r]))
        words = np.array([len(units.text[r].split()) for r in members])
        scores = [best.get(r, np.zeros(0)) for r in members]
        out[source_id] = _best_window(words, scores)
    return out


def _best_window(words: np.ndarray, scores: list[np.ndarray]) -> float:
    """The best mean of :data:`TOP` scores over the stretches of consecutive turns that reach
    :data:`WINDOW_WORDS` (or the source's end)."""
    # A source shorter than a window is judged by as many scores as its length earns: a note of a
    # hundred words cannot hold ten confident turns. Fewer scores than that count the missing as 0.
    total = int(words.sum())
    k = TOP if total >= WINDOW_WORDS else max(1, math.ceil(TOP * total / WINDOW_WORDS))
    best = 0.0
    end, covered = 0, 0
    for start in range(len(words)):
        while end < len(words) and covered < WINDOW_WORDS:
            covered += int(words[end])
            end += 1
        found = np.concatenate(scores[start:end]) if end > start else np.zeros(0)
        # A stretch of a few long turns (a transcript without speaker turns is one) is judged by a
        # few scores per turn: one turn on the topic rarely holds ten codes.
        used = min(k, PER_TURN * (end - start))
        best = max(best, float(np.sort(found)[-used:].sum()) / used)
        if end == len(words):
            break                                   # every later stretch is a part of this one
        covered -= int(words[start])
    return best


def floor(training: dict[int, float]) -> float | None:
    """The relevance under which a source is held back: a share of the least relevant coded
    source's (None without coded sources)."""
    return FLOOR_SHARE * min(training.values()) if training else None


def explain(coded: dict[int, float]) -> str:
    """One sentence on the floor the coded sources set (for the learned suggester's report)."""
    if not coded:
        return "No coded source to measure relevance by: no source is held back as off topic."
    return (f"A source is held back as off topic under relevance {floor(coded):.2f} ({FLOOR_SHARE:.0%} of the "
            f"least relevant coded source's {min(coded.values()):.2f}; coded sources "
            f"{min(coded.values()):.2f}-{max(coded.values()):.2f}, cross-validated).")
