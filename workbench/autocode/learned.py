"""The suggester that learns from the researcher's coding.

One gradient-boosted model (scikit-learn's HistGradientBoostingClassifier) over the pair features
of ``features``: every feature is measured against one code's own texts and coded turns, so the
model learns how far to trust a rule hit, a near coded turn or a close definition, for any code
of any codebook, from every coding in the project at once - and still works for a code with few
examples. Positives are the turns a code was applied to (hand codings and accepted suggestions),
negatives the other turns of sources coded with the code's codebook and the rejected suggestions.

Before proposing, the model is cross-validated by source (the turns of one interview are never
both learned from and judged): the probability threshold is the one with the best F1 among those
reaching the target precision, and each code gets its own cross-validated precision and recall.
Codes with too few coded turns are not proposed, with how many more they need.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import GroupKFold

from workbench.autocode import relevance
from workbench.autocode.features import FEATURES, SENTENCE_POSITIVES_MAX, Pool, pair_features
from workbench.autocode.signals import Signals
from workbench.autocode.units import CodedTurns, Units

MIN_POSITIVES = 5          # coded turns a code needs ...
MIN_SOURCES = 2            # ... in at least this many sources (else its examples are one interview's)
MIN_TRAINING_SOURCES = 3   # sources with coding, for a cross-validation by source to mean anything
TARGET_PRECISION = 0.75    # the threshold aims a little above 0.7 so that new interviews keep 0.7
POOL_MAX = 3000            # coded turns learned from and compared with: a sample beyond this keeps large projects fast
FOLDS = 5


class NotEnoughCoding(Exception):
    """The project's coding is too thin to learn from (said how)."""


@dataclass
class CodeReport:
    code_id: int
    path: str
    coded_turns: int
    sources: int
    learned: bool
    precision: float | None = None     # cross-validated, at the chosen threshold; None = undefined
    recall: float | None = None
    proposed: int = 0                  # cross-validated proposals the figures rest on
    needs: str = ""

    def as_row(self) -> dict:
        return {"code": self.path, "coded turns": self.coded_turns, "sources": self.sources,
                "learned": self.learned, "precision (CV)": self.precision, "recall (CV)": self.recall,
                "proposed (CV)": self.proposed, "note": self.needs}


@dataclass
class Trained:
    model: HistGradientBoostingClassifier
    threshold: float
    codes: list[int]                   # positions in Signals.codes that are learned
    pool: Pool
    reports: list[CodeReport]
    precision: float | None            # overall, cross-validated at the threshold
    recall: float | None
    f1: float | None
    training_pairs: int
    sources: int
    notes: list[str] = field(default_factory=list)
    blank: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))   # features set to 0
    # each coded source's relevance, cross-validated (autocode.relevance), and the floor it sets
    coded_relevance: dict[int, float] = field(default_factory=dict)
    relevance_floor: float | None = None


def pool_rows(units: Units, coded: CodedTurns, answer_rows: np.ndarray, seed: int = 0) -> np.ndarray:
    """The coded turns to learn from and compare with: answers in sources with any coding, a
    reproducible sample of them when there are more than :data:`POOL_MAX`."""
    rows = np.array([r for r in answer_rows if coded.coded_books.get(int(units.source_id[r]))], dtype=np.int64)
    if len(rows) > POOL_MAX:
        rows = np.sort(np.random.default_rng(seed).choice(rows, POOL_MAX, replace=False))
    return rows


def missing_coding(units: Units, coded: CodedTurns, rows: np.ndarray, code_ids: list[int]) -> str | None:
    """Why the pool ``rows`` is too thin to learn any of ``code_ids`` from, or None when it is not -
    checked before anything is embedded, so that a project without coding pays nothing for it."""
    sources = {int(units.source_id[r]) for r in rows}
    if len(sources) < MIN_TRAINING_SOURCES:
        return (f"coding in {len(sources)} source(s); learning needs coded turns in at least "
                f"{MIN_TRAINING_SOURCES} sources")
    wanted = set(code_ids)
    turns: dict[int, int] = {}
    where: dict[int, set[int]] = {}
    for r in rows:
        for code_id in coded.labels.get(int(r), ()):
            if code_id in wanted:
                turns[code_id] = turns.get(code_id, 0) + 1
                where.setdefault(code_id, set()).add(int(units.source_id[r]))
    if not any(n >= MIN_POSITIVES and len(where[c]) >= MIN_SOURCES for c, n in turns.items()):
        return f"no code has {MIN_POSITIVES} coded turns in {MIN_SOURCES} sources yet"
    return None


def make_pool(sig: Signals, coded: CodedTurns, rows: np.ndarray, seed: int = 0) -> Pool:
    """The pool of :func:`pool_rows`: each turn's codes, each code's coded sentences and base rate."""
    labels = [set(coded.labels.get(int(r), ())) for r in rows]
    sentences = sig.sentences
    coded_sentences: dict[int, list[int]] = {}
    for r in rows:
        first, last = np.searchsorted(sentences.row, [r, r + 1])
        for code_id, start, end in coded.spans.get(int(r), ()):
            for i in range(first, last):
                if sentences.start[i] < end and start < sentences.end[i]:
                    coded_sentences.setdefault(code_id, []).append(i)
    rng = np.random.default_rng(seed)
    sampled = {}
    for code_id, found in coded_sentences.items():
        found = np.unique(found)
        if len(found) > SENTENCE_POSITIVES_MAX:
            found = np.sort(rng.choice(found, SENTENCE_POSITIVES_MAX, replace=False))
        sampled[code_id] = found
    base: dict[int, float] = {}
    for code in sig.codes:
        eligible = [i for i, r in enumerate(rows) if code.codebook_id in coded.coded_books[int(sig.units.source_id[r])]]
        if eligible:
            base[code.code_id] = sum(code.code_id in labels[i] for i in eligible) / len(eligible)
    return Pool(rows, labels, base, sampled)


def _reports(sig: Signals, coded: CodedTurns, pool: Pool) -> list[CodeReport]:
    out = []
    for code in sig.codes:
        pos = pool.positives(code.code_id)
        n_sources = len({int(sig.units.source_id[pool.rows[i]]) for i in pos})
        learned = len(pos) >= MIN_POSITIVES and n_sources >= MIN_SOURCES
        needs = ""
        if not learned:
            more = []
            if len(pos) < MIN_POSITIVES:
                more.append(f"{MIN_POSITIVES - len(pos)} more coded turns")
            if n_sources < MIN_SOURCES:
                more.append(f"coded turns in {MIN_SOURCES - n_sources} more sources")
            needs = "needs " + " and ".join(more)
        out.append(CodeReport(code.code_id, code.path, len(pos), n_sources, learned, needs=needs))
    return out


def _training_matrix(sig: Signals, coded: CodedTurns, pool: Pool, positions: np.ndarray,
                     progress: Callable[[float], None] | None):
    xs, ys, groups, rows_out, codes_out = [], [], [], [], []
    done = 0
    for rows, code_pos, x in pair_features(sig, pool.rows, pool, positions):
        truth = np.array([coded.known(int(r), int(sig.units.source_id[r]), sig.codes[c].code_id)
                          for r, c in zip(rows, code_pos)], dtype=object)
        keep = truth != None  # noqa: E711 - elementwise on an object array
        xs.append(x[keep])
        ys.append(truth[keep].astype(bool))
        groups.append(sig.units.source_id[rows[keep]])
        rows_out.append(rows[keep])
        codes_out.append(code_pos[keep])
        done += len(set(rows.tolist()))
        if progress:
            progress(done / max(len(pool.rows), 1))
    cat = (lambda parts, dtype: np.concatenate(parts) if parts else np.zeros(0, dtype=dtype))
    return (np.concatenate(xs) if xs else np.zeros((0, len(FEATURES)), np.float32), cat(ys, bool),
            cat(groups, np.int64), cat(rows_out, np.int64), cat(codes_out, np.int64))


def new_model() -> HistGradientBoostingClassifier:
    """The classifier: small trees, strong regularisation (a project has hundreds of examples, not
    millions), fixed seed for the same proposals on the same data."""
    return HistGradientBoostingClassifier(max_iter=150, learning_rate=0.05, max_leaf_nodes=8, min_samples_leaf=30,
                                          l2_regularization=1.0, random_state=0)


def _prf(y: np.ndarray, proposed: np.ndarray) -> tuple[float | None, float | None, float | None, int]:
    tp = int((y & proposed).sum())
    n_prop, n_true = int(proposed.sum()), int(y.sum())
    p = tp / n_prop if n_prop else None
    r = tp / n_true if n_true else None
    f = (2 * p * r / (p + r) if p is not None and r is not None and p + r else (0.0 if p is not None and r is not None
                                                                                else None))
    return p, r, f, n_prop


def choose_threshold(y: np.ndarray, prob: np.ndarray, target: float = TARGET_PRECISION) -> tuple[float, bool]:
    """The threshold with the best F1 among those whose precision reaches ``target`` (True), else
    the one with the best precision-weighted F1 (False)."""
    best, best_any = None, None
    for t in np.round(np.arange(0.05, 0.96, 0.01), 2):
        p, r, f, n = _prf(y, prob >= t)
        if p is None or f is None or n < 5:
            continue
        if p >= target and (best is None or f > best[1]):
            best = (float(t), f)
        score = f * p
        if best_any is None or score > best_any[1]:
            best_any = (float(t), score)
    if best is not None:
        return best[0], True
    return (best_any[0] if best_any else 0.5), False


def train(sig: Signals, coded: CodedTurns, rows: np.ndarray, *,
          target_precision: float = TARGET_PRECISION,
          progress: Callable[[str, float], None] | None = None) -> Trained:
    """Learn from the project's coding of the pool ``rows`` (:func:`pool_rows`); NotEnoughCoding
    says what is missing."""
    say = progress or (lambda _what, _share: None)
    pool = make_pool(sig, coded, rows)
    reports = _reports(sig, coded, pool)
    sources = len({int(sig.units.source_id[r]) for r in pool.rows})
    learned = np.array([i for i, rep in enumerate(reports) if rep.learned], dtype=np.int64)
    missing = missing_coding(sig.units, coded, pool.rows, [c.code_id for c in sig.codes])
    if missing:
        raise NotEnoughCoding(missing)
    x, y, groups, pair_rows, code_pos = _training_matrix(sig, coded, pool, learned,
                                                     lambda share: say("comparing the coded turns", share))
    # A feature nobody could measure (meaning, without the embedding model) is a constant, not a gap.
    blank = np.flatnonzero(np.isnan(x).all(axis=0)) if len(x) else np.zeros(0, dtype=np.int64)
    x[:, blank] = 0.0
    if y.sum() < MIN_POSITIVES or (~y).sum() < MIN_POSITIVES:
        raise NotEnoughCoding("the coded turns hold too few examples of a code and of its absence")
    say("cross-validating by source", 0.0)
    oof = np.zeros(len(y), dtype=np.float64)
    folds = GroupKFold(n_splits=min(FOLDS, len(set(groups.tolist()))))
    for k, (fit, held) in enumerate(folds.split(x, y, groups)):
        m = new_model()
        if y[fit].all() or not y[fit].any():
            oof[held] = y[fit].mean()
            continue
        m.fit(x[fit], y[fit])
        oof[held] = m.predict_proba(x[held])[:, 1]
        say("cross-validating by source", (k + 1) / folds.n_splits)
    threshold, reached = choose_threshold(y, oof, target_precision)
    coded_relevance = _coded_relevance(sig, pair_rows, oof)
    p, r, f, _ = _prf(y, oof >= threshold)
    for rep_pos in learned:
        mask = code_pos == rep_pos
        cp, cr, _, n = _prf(y[mask], oof[mask] >= threshold)
        reports[rep_pos].precision, reports[rep_pos].recall, reports[rep_pos].proposed = cp, cr, n
    say("learning", 0.0)
    model = new_model().fit(x, y)
    notes = [] if reached else [f"no threshold reached a cross-validated precision of {target_precision:.2f}; "
                                f"the one used gives {p:.2f}" if p is not None else "no threshold proposes anything"]
    return Trained(model, threshold, learned.tolist(), pool, reports, p, r, f, len(y), sources, notes, blank,
                   coded_relevance, relevance.floor(coded_relevance))


def _coded_relevance(sig: Signals, pair_rows: np.ndarray, oof: np.ndarray) -> dict[int, float]:
    """Each coded source's relevance from the scores of the model that did not learn from it."""
    order = np.argsort(pair_rows, kind="stable")
    rows, first = np.unique(pair_rows[order], return_index=True)
    best = {int(r): np.sort(part)[-relevance.TOP:] for r, part in zip(rows, np.split(oof[order], first[1:]))}
    return relevance.source_relevance(sig.units, rows, best)


@dataclass
class Scored:
    row: int
    code_position: int
    score: float
    features: dict[str, float]


def propose(trained: Trained, sig: Signals, rows: np.ndarray, coded: CodedTurns, *,
            threshold: float | None = None, progress: Callable[[float], None] | None = None,
            best: dict[int, np.ndarray] | None = None) -> list[Scored]:
    """The (turn, code) pairs of ``rows`` the model scores at or above the threshold, leaving out
    codes already on the turn or rejected there; ``best`` gets each row's best scores (of every
    code, for autocode.relevance)."""
    cut = trained.threshold if threshold is None else threshold
    out: list[Scored] = []
    positions = np.array(trained.codes, dtype=np.int64)
    done = 0
    for r, c, x in pair_features(sig, rows, trained.pool, positions):
        x[:, trained.blank] = 0.0
        prob = trained.model.predict_proba(x)[:, 1]
        if best is not None and len(positions):
            best.update(zip(r[::len(positions)].tolist(), relevance.best_scores(prob, len(positions))))
        for i in np.flatnonzero(prob >= cut):
            row, pos = int(r[i]), int(c[i])
            code_id = sig.codes[pos].code_id
            if code_id in coded.labels.get(row, ()) or code_id in coded.rejected.get(row, ()):
                continue
            out.append(Scored(row, pos, float(prob[i]), dict(zip(FEATURES, map(float, x[i])))))
        done += len(set(r.tolist()))
        if progress:
            progress(done / max(len(rows), 1))
    return out


def nearest_example(sig: Signals, pool: Pool, row: int, code_position: int) -> dict:
    """Why a turn resembles a code's coding: the coded sentence (by meaning) or coded turn (by
    character n-grams) of another source closest to it, and the turn's sentence closest to that."""
    units, sentences = sig.units, sig.sentences
    code_id = sig.codes[code_position].code_id
    first, last = np.searchsorted(sentences.row, [row, row + 1])
    coded = pool.coded_sentences.get(code_id, np.zeros(0, dtype=np.int64))
    coded = coded[units.source_id[sentences.row[coded]] != units.source_id[row]] if len(coded) else coded
    if sig.sentence_vectors is not None and sig.embedded[row] and last > first and len(coded):
        sim = sig.sentence_vectors[first:last] @ sig.sentence_vectors[coded].T
        i, j = np.unravel_index(int(np.argmax(sim)), sim.shape)
        other = int(coded[j])
        return {"by": "meaning", "similarity": round(float(sim[i, j]), 3),
                "source": units.source_name.get(int(units.source_id[sentences.row[other]]), ""),
                "text": sentences.text[other][:300],
                "highlight": [int(sentences.start[first + i]), int(sentences.end[first + i])]}
    positives = pool.positives(code_id)
    positives = positives[units.source_id[pool.rows[positives]] != units.source_id[row]] if len(positives) else positives
    if not len(positives):
        return {}
    sim = (sig.ngrams[row] @ sig.ngrams[pool.rows[positives]].T).toarray().ravel()
    best = int(pool.rows[positives[int(np.argmax(sim))]])
    return {"by": "character n-grams", "similarity": round(float(sim.max()), 3),
            "source": units.source_name.get(int(units.source_id[best]), ""), "text": units.text[best][:300]}
