"""Inter-coder agreement: pure functions over DataFrames (no database), vectorised.

What is compared is decided first and said in the result: the sources every compared coder
marked done (or, where nobody marked anything, the sources where each coder has at least one
coding of the compared codes - the others are listed as excluded, with a warning). Inside them a
coder who did not apply a code to a unit said "no": a skipped interview can never look like
perfect agreement, because a skipped interview is not compared.

Units: ``source`` (a source has the code or not), ``turn`` (a speaker turn has it or not) or
``character``. Turns and characters are those of respondent turns by default - every turn whose
speaker is not marked interviewer (unlabelled turns and document pages count) - or of every turn
with ``include_interviewer``; the blank lines between turns, and empty turns (a label with no
words after it), are never units.

Per code and pooled over codes (every unit-and-code pair one unit), from the weighted histogram of
the coders' yes/no patterns: percent agreement, Cohen's kappa (two coders) and Krippendorff's
alpha (nominal). Without variation (every unit the same value for every coder) kappa and alpha
are undefined and reported as such, never as 1. The formulas are checked against scikit-learn
and the ``krippendorff`` package in the tests.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workbench.errors import AgreementProblem

UNITS = ("character", "turn", "source")
POOLED = "all codes (pooled)"
UNDEFINED = "undefined (no variation)"
RELIABLE, TENTATIVE = 0.80, 0.667          # Krippendorff (2004): rely on alpha >= .80, tentative from .667


# -- statistics from a histogram of patterns ------------------------------------------------------

def _counts(histogram: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Weights and numbers of "yes" of each pattern (bit c = coder c said yes)."""
    patterns = np.arange(len(histogram))
    ones = np.array([bin(p).count("1") for p in patterns])
    return np.asarray(histogram, dtype=float), ones


def percent_from(histogram: np.ndarray, m: int) -> float:
    """Share of agreeing pairs of judgements over all units (NaN without units)."""
    w, n1 = _counts(histogram, m)
    total = w.sum()
    if total == 0:
        return float("nan")
    n0 = m - n1
    return float((w * (n1 * (n1 - 1) + n0 * (n0 - 1))).sum() / (m * (m - 1)) / total)


def kappa_from(histogram: np.ndarray) -> float:
    """Cohen's kappa of two coders (patterns 0-3: bit 0 coder a, bit 1 coder b); NaN when the
    chance agreement is 1 (both coders gave one value to every unit: no variation)."""
    w = np.asarray(histogram, dtype=float)
    total = w.sum()
    if total == 0:
        return float("nan")
    po = (w[0] + w[3]) / total
    a1, b1 = (w[1] + w[3]) / total, (w[2] + w[3]) / total
    pe = a1 * b1 + (1 - a1) * (1 - b1)
    return float((po - pe) / (1 - pe)) if pe < 1 - 1e-12 else float("nan")


def alpha_from(histogram: np.ndarray, m: int) -> float:
    """Krippendorff's alpha (nominal, two values) from pattern weights; NaN when only one value
    occurs (expected disagreement 0: no variation)."""
    w, n1 = _counts(histogram, m)
    n0 = m - n1
    o01 = (w * n1 * n0).sum() / (m - 1)                 # pairs of different values (each order)
    yes, no = (w * n1).sum(), (w * n0).sum()
    n = yes + no
    if yes == 0 or no == 0 or n <= 1:
        return float("nan")
    return float(1 - (n - 1) * o01 / (yes * no))


# -- statistics of a coders x units matrix (missing data allowed) -----------------------------------

def percent_agreement(matrix: np.ndarray) -> float:
    """Share of agreeing pairs of judgements, over units that at least two coders judged."""
    agree = total = 0.0
    for col in np.asarray(matrix, dtype=float).T:
        vals = col[~np.isnan(col)]
        m = len(vals)
        if m < 2:
            continue
        same = sum(int(np.sum(vals == v)) * (int(np.sum(vals == v)) - 1) for v in np.unique(vals))
        agree += same
        total += m * (m - 1)
    return agree / total if total else float("nan")


def cohen_kappa(a: np.ndarray, b: np.ndarray) -> float:
    """Cohen's kappa of two coders over the units both judged; NaN without variation."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    keep = ~(np.isnan(a) | np.isnan(b))
    a, b = a[keep], b[keep]
    if not len(a):
        return float("nan")
    po = float(np.mean(a == b))
    pe = float(sum(np.mean(a == c) * np.mean(b == c) for c in np.union1d(a, b)))
    return (po - pe) / (1 - pe) if pe < 1 - 1e-12 else float("nan")


def krippendorff_alpha(matrix: np.ndarray) -> float:
    """Krippendorff's alpha, nominal level; rows are coders, columns units, NaN = missing.
    NaN when the data hold one value only (no variation)."""
    data = np.asarray(matrix, dtype=float)
    values = np.unique(data[~np.isnan(data)])
    if len(values) < 2:
        return float("nan")
    index = {v: i for i, v in enumerate(values)}
    coincidence = np.zeros((len(values), len(values)))
    for col in data.T:
        vals = col[~np.isnan(col)]
        m = len(vals)
        if m < 2:
            continue
        counts = np.zeros(len(values))
        for v in vals:
            counts[index[v]] += 1
        coincidence += (np.outer(counts, counts) - np.diag(counts)) / (m - 1)
    n_c = coincidence.sum(axis=1)
    n = n_c.sum()
    expected = (n * n - np.sum(n_c * n_c)) / (n - 1) if n > 1 else 0.0
    if expected <= 0:
        return float("nan")
    return float(1.0 - (coincidence.sum() - np.trace(coincidence)) / expected)


def histogram_of(matrix: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """The pattern histogram of a complete 0/1 coders x units matrix (for the fast statistics)."""
    data = np.asarray(matrix, dtype=int)
    patterns = (data << np.arange(data.shape[0])[:, None]).sum(axis=0)
    return np.bincount(patterns, weights=weights, minlength=2 ** data.shape[0])


# -- which sources are compared -----------------------------------------------------------------

def compared_sources(codings: pd.DataFrame, coders: list[str], sources: list[int],
                     done: dict[str, set[int]] | None = None) -> tuple[list[int], list[tuple[int, str]], str]:
    """``(compared, excluded, basis)``: the sources every coder judged, the others with the reason,
    and how "judged" was decided - "marked done" when any compared coder marked a source done,
    else "coded" (at least one coding of the compared codes; the weaker basis, warned about)."""
    done = {c: set(done.get(c, ())) for c in coders} if done else {}
    if any(done.values()):
        judged, basis = done, "marked done"
        why = "{} did not mark it done"
    else:
        judged = {c: set(codings.loc[codings["coder"] == c, "source_id"]) for c in coders}
        basis, why = "coded", "{} coded nothing in it"
    compared = [s for s in sources if all(s in judged[c] for c in coders)]
    excluded = [(s, "; ".join(why.format(c) for c in coders if s not in judged[c]))
                for s in sources if s not in compared]
    return compared, excluded, basis


# -- units ------------------------------------------------------------------------------------

def _turns(segments: pd.DataFrame, compared: list[int], include_interviewer: bool) -> pd.DataFrame:
    turns = segments[segments["source_id"].isin(compared) & (segments["end"] > segments["start"])]
    if not include_interviewer and "role" in turns.columns:
        turns = turns[turns["role"].fillna("") != "interviewer"]
    return turns.sort_values(["source_id", "start"]).reset_index(drop=True)


def _bases(segments: pd.DataFrame) -> dict[int, int]:
    """A global line for every source's characters: source -> offset (sources never touch)."""
    ends = segments.groupby("source_id")["end"].max()
    offsets = np.concatenate([[0], np.cumsum(ends.to_numpy() + 1)[:-1]])
    return dict(zip(ends.index, offsets))


def _marked(t_start: np.ndarray, t_end: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Which turns (sorted, not overlapping) some span ``[start, end)`` overlaps: from the first
    turn ending after the start to the last one starting before the end."""
    lo = np.searchsorted(t_end, starts, side="right")
    hi = np.searchsorted(t_start, ends, side="left")
    keep = lo < hi
    marks = np.zeros(len(t_start) + 1, dtype=np.int64)
    np.add.at(marks, lo[keep], 1)
    np.add.at(marks, hi[keep], -1)
    return np.cumsum(marks)[:-1] > 0


def _histogram(mine: pd.DataFrame, turns: pd.DataFrame, coders: list[str], unit: str, compared: list[int],
               base: dict[int, int]) -> np.ndarray:
    """Pattern histogram of one code's codings (``mine``) over the units."""
    m = len(coders)
    size = 2 ** m
    if unit == "source":
        pattern = np.zeros(len(compared), dtype=np.int64)
        where = {s: i for i, s in enumerate(compared)}
        for c, coder in enumerate(coders):
            hit = mine.loc[mine["coder"] == coder, "source_id"].map(where).dropna().astype(int).unique()
            pattern[hit] |= 1 << c
        return np.bincount(pattern, minlength=size).astype(float)
    if turns.empty:
        return np.zeros(size)
    offset = turns["source_id"].map(base).to_numpy()
    t_start, t_end = turns["start"].to_numpy() + offset, turns["end"].to_numpy() + offset
    c_off = mine["source_id"].map(base).to_numpy()
    c_start, c_end = mine["start"].to_numpy() + c_off, mine["end"].to_numpy() + c_off
    c_coder = mine["coder"].to_numpy()
    if unit == "turn":
        pattern = np.zeros(len(turns), dtype=np.int64)
        for c, coder in enumerate(coders):
            sel = c_coder == coder
            # turns overlapping [s, e): from the first turn ending after s to the last starting before e
            pattern |= _marked(t_start, t_end, c_start[sel], c_end[sel]).astype(np.int64) << c
        return np.bincount(pattern, minlength=size).astype(float)
    # characters: elementary intervals between every turn and coding boundary, weighted by length
    points = np.unique(np.concatenate([t_start, t_end, c_start, c_end]))
    if len(points) < 2:
        return np.zeros(size)

    def covered(starts, ends) -> np.ndarray:
        marks = np.zeros(len(points), dtype=np.int64)
        np.add.at(marks, np.searchsorted(points, starts), 1)
        np.add.at(marks, np.searchsorted(points, ends), -1)
        return np.cumsum(marks)[:-1] > 0
    inside = covered(t_start, t_end)
    pattern = np.zeros(len(points) - 1, dtype=np.int64)
    for c, coder in enumerate(coders):
        sel = c_coder == coder
        pattern |= covered(c_start[sel], c_end[sel]).astype(np.int64) << c
    weights = np.diff(points).astype(float)
    return np.bincount(pattern[inside], weights=weights[inside], minlength=size)


@dataclass
class Agreement:
    """Agreement of ``coders`` per code and pooled, and exactly what it was computed over."""
    unit: str
    coders: list[str]
    table: pd.DataFrame
    compared: list[int]
    excluded: list[tuple[int, str]]
    basis: str
    include_interviewer: bool
    warnings: list[str] = field(default_factory=list)

    @property
    def pooled(self) -> pd.Series:
        return self.table[self.table["code"] == POOLED].iloc[0]

    def unit_words(self) -> str:
        """The unit as a methods section names it."""
        turns = "speaker turns" if self.include_interviewer else "respondent turns (not the interviewer's)"
        return {"source": "the source (has the code or not)", "turn": turns,
                "character": f"characters of {turns}"}[self.unit]


def agreement(codings: pd.DataFrame, segments: pd.DataFrame, coders: list[str], *, unit: str = "turn",
              codes: list[str] | None = None, done: dict[str, set[int]] | None = None,
              include_interviewer: bool = False, sources: list[int] | None = None) -> Agreement:
    """Agreement per code and pooled.

    ``codings``: code, coder, source_id, start, end. ``segments``: source_id, idx, start, end and
    (for the role filter) role. ``done``: coder -> sources they marked done. ``sources``: the
    sources that could be compared (default: every source with turns)."""
    if unit not in UNITS:
        raise AgreementProblem(f"unit must be one of {', '.join(UNITS)}, not {unit!r}")
    if len(coders) < 2 or len(set(coders)) != len(coders):
        raise AgreementProblem("agreement needs at least two different coders")
    mine = codings[codings["coder"].isin(coders)]
    if codes is not None:
        mine = mine[mine["code"].isin(codes)]
    all_sources = sorted(sources if sources is not None else segments["source_id"].unique())
    compared, excluded, basis = compared_sources(mine, coders, all_sources, done)
    warnings = []
    if basis == "coded":
        warnings.append("no compared coder has marked any source done, so a source counts as judged by a coder "
                        "who coded something in it; mark sources done (coding page, `workbench status done`) so "
                        "that a source left empty on purpose counts as coded nothing")
    if excluded:
        warnings.append(f"{len(excluded)} source(s) not compared (see the list): not every coder "
                        + ("marked them done" if basis == "marked done" else "coded in them"))
    if not compared:
        raise AgreementProblem("no source was judged by every one of these coders "
                               + ("(marked done by all of them)" if basis == "marked done"
                                  else "(coded by all of them)") + "; agreement compares the same sources")
    mine = mine[mine["source_id"].isin(compared)]
    turns = _turns(segments, compared, include_interviewer)
    base = _bases(segments[segments["source_id"].isin(compared)])
    rows, pooled = [], np.zeros(2 ** len(coders))
    for code in codes if codes is not None else sorted(mine["code"].unique()):
        hist = _histogram(mine[mine["code"] == code], turns, coders, unit, compared, base)
        pooled += hist
        rows.append(_row(code, hist, coders))
    rows.append(_row(POOLED, pooled, coders))
    return Agreement(unit, list(coders), pd.DataFrame(rows), compared, excluded, basis, include_interviewer, warnings)


def _row(label: str, hist: np.ndarray, coders: list[str]) -> dict:
    m = len(coders)
    row = {"code": label, "units": hist.sum(), "percent_agreement": percent_from(hist, m),
           "cohen_kappa": kappa_from(hist) if m == 2 else float("nan"), "krippendorff_alpha": alpha_from(hist, m)}
    for c, coder in enumerate(coders):
        row[f"yes by {coder}"] = hist[[p for p in range(len(hist)) if p >> c & 1]].sum()
    return row


def disagreements(codings: pd.DataFrame, segments: pd.DataFrame, coders: list[str], compared: list[int], *,
                  codes: list[str] | None = None, texts: dict | None = None,
                  include_interviewer: bool = False) -> pd.DataFrame:
    """Turns of the compared sources where the coders differ about a code, side by side."""
    mine = codings[codings["coder"].isin(coders) & codings["source_id"].isin(compared)]
    turns = _turns(segments, compared, include_interviewer)
    base = _bases(segments[segments["source_id"].isin(compared)]) if len(turns) else {}
    out = []
    for code in codes if codes is not None else sorted(mine["code"].unique()):
        code_rows = mine[mine["code"] == code]
        if turns.empty or code_rows.empty:
            continue
        offset = turns["source_id"].map(base).to_numpy()
        t_start, t_end = turns["start"].to_numpy() + offset, turns["end"].to_numpy() + offset
        said = []
        for coder in coders:
            sel = code_rows[code_rows["coder"] == coder]
            off = sel["source_id"].map(base).to_numpy()
            said.append(_marked(t_start, t_end, sel["start"].to_numpy() + off, sel["end"].to_numpy() + off))
        said = np.array(said)
        for j in np.flatnonzero(said.any(axis=0) & ~said.all(axis=0)):
            seg = turns.iloc[j]
            row = {"source_id": int(seg["source_id"]), "turn": int(seg.get("idx", j)), "code": code}
            row.update({str(c): ("yes" if v else "no") for c, v in zip(coders, said[:, j])})
            if texts is not None:
                row["text"] = texts.get(seg["source_id"], "")[int(seg["start"]):int(seg["end"])]
            out.append(row)
    return pd.DataFrame(out, columns=["source_id", "turn", "code", *map(str, coders)]
                        + (["text"] if texts is not None else []))


def shown(value: float, digits: int = 3) -> str:
    """A statistic for people: the number, or "undefined (no variation)" for NaN."""
    return UNDEFINED if value != value else f"{value:.{digits}f}"
