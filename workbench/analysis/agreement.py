"""Inter-coder agreement: pure functions over DataFrames (no database).

For each code, every *unit* gets a 0/1 value per coder - whether the coder applied the code
there - or is missing when the coder did not code that source at all. Units are characters,
speaker turns, or whole sources. From that matrix come percent agreement, Cohen's kappa (two
coders) and Krippendorff's alpha (nominal, any number of coders, missing data allowed), per
code and pooled over codes. The implementations are checked in the tests against
scikit-learn's ``cohen_kappa_score`` and the ``krippendorff`` package.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.errors import AgreementProblem

UNITS = ("character", "turn", "source")


# -- statistics ------------------------------------------------------------------------------

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
    """Cohen's kappa of two coders over the units both judged."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    keep = ~(np.isnan(a) | np.isnan(b))
    a, b = a[keep], b[keep]
    if not len(a):
        return float("nan")
    categories = np.union1d(a, b)
    po = float(np.mean(a == b))
    pe = float(sum(np.mean(a == c) * np.mean(b == c) for c in categories))
    if pe == 1.0:
        return 1.0 if po == 1.0 else float("nan")   # both coders constant: kappa is undefined
    return (po - pe) / (1 - pe)


def krippendorff_alpha(matrix: np.ndarray) -> float:
    """Krippendorff's alpha, nominal level; rows are coders, columns units, NaN = missing."""
    data = np.asarray(matrix, dtype=float)
    values = np.unique(data[~np.isnan(data)])
    if len(values) == 0:
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
        pair = np.outer(counts, counts) - np.diag(counts)   # ordered pairs of different judgements
        coincidence += pair / (m - 1)
    n_c = coincidence.sum(axis=1)
    n = n_c.sum()
    if n <= 1:
        return float("nan")
    observed = coincidence.sum() - np.trace(coincidence)
    expected = (n * n - np.sum(n_c * n_c)) / (n - 1)
    if expected == 0:
        return 1.0 if observed == 0 else float("nan")
    return 1.0 - observed / expected


# -- unit matrices -----------------------------------------------------------------------------

def unit_matrix(codings: pd.DataFrame, segments: pd.DataFrame, coders: list, code: str | None,
                unit: str, coverage: dict | None = None) -> np.ndarray:
    """Coders x units, 1 where the coder applied ``code`` (None: any of the given codings).

    ``codings``: code, coder, source_id, start, end. ``segments``: source_id, start, end (turns).
    ``coverage``: coder -> set of source ids the coder coded; other sources are missing (NaN).
    """
    if unit not in UNITS:
        raise AgreementProblem(f"unit must be one of {', '.join(UNITS)}, not {unit!r}")
    rows = codings if code is None else codings[codings["code"] == code]
    coverage = coverage or {c: set(codings.loc[codings["coder"] == c, "source_id"]) for c in coders}
    sources = sorted(segments["source_id"].unique())
    blocks = []
    for source_id in sources:
        turns = segments[segments["source_id"] == source_id].sort_values("start")
        length = int(turns["end"].max()) if len(turns) else 0
        size = {"character": length, "turn": len(turns), "source": 1}[unit]
        block = np.full((len(coders), size), np.nan)
        for i, coder in enumerate(coders):
            if source_id not in coverage.get(coder, set()):
                continue
            mine = rows[(rows["source_id"] == source_id) & (rows["coder"] == coder)]
            if unit == "character":
                mark = np.zeros(size)
                for s, e in zip(mine["start"], mine["end"]):
                    mark[int(s):int(e)] = 1
            elif unit == "turn":
                starts, ends = turns["start"].to_numpy(), turns["end"].to_numpy()
                mark = np.zeros(size)
                for s, e in zip(mine["start"], mine["end"]):
                    mark[(starts < e) & (ends > s)] = 1
            else:
                mark = np.array([1.0 if len(mine) else 0.0])
            block[i] = mark
        blocks.append(block)
    return np.hstack(blocks) if blocks else np.zeros((len(coders), 0))


def agreement_table(codings: pd.DataFrame, segments: pd.DataFrame, coders: list, *, unit: str = "turn",
                    codes: list[str] | None = None) -> pd.DataFrame:
    """Per code and pooled: units, percent agreement, Cohen's kappa (two coders), Krippendorff's alpha."""
    if len(coders) < 2:
        raise AgreementProblem("agreement needs at least two coders who coded the same sources")
    mine = codings[codings["coder"].isin(coders)]
    coverage = {c: set(mine.loc[mine["coder"] == c, "source_id"]) for c in coders}
    shared = set.intersection(*coverage.values()) if coverage else set()
    if not shared and len(coders) == 2:
        raise AgreementProblem("these coders have no source in common; agreement compares codings of the same sources")
    codes = codes or sorted(mine["code"].unique())
    rows, pooled = [], []
    for code in codes:
        m = unit_matrix(mine, segments, coders, code, unit, coverage)
        pooled.append(m)
        rows.append(_row(code, m, coders))
    if pooled:
        rows.append(_row("all codes (pooled)", np.hstack(pooled), coders))
    return pd.DataFrame(rows)


def _row(label: str, m: np.ndarray, coders: list) -> dict:
    judged = int(np.sum(np.sum(~np.isnan(m), axis=0) >= 2))
    return {"code": label, "units": judged, "percent_agreement": percent_agreement(m),
            "cohen_kappa": cohen_kappa(m[0], m[1]) if len(coders) == 2 else float("nan"),
            "krippendorff_alpha": krippendorff_alpha(m)}


def disagreements(codings: pd.DataFrame, segments: pd.DataFrame, coders: list, *,
                  codes: list[str] | None = None, texts: dict | None = None) -> pd.DataFrame:
    """Turns where the coders differ about a code, side by side (to discuss and resolve)."""
    mine = codings[codings["coder"].isin(coders)]
    coverage = {c: set(mine.loc[mine["coder"] == c, "source_id"]) for c in coders}
    out = []
    turns = segments.sort_values(["source_id", "start"]).reset_index(drop=True)
    for code in codes or sorted(mine["code"].unique()):
        m = unit_matrix(mine, turns, coders, code, "turn", coverage)
        for j, col in enumerate(m.T):
            vals = col[~np.isnan(col)]
            if len(vals) >= 2 and len(np.unique(vals)) > 1:
                seg = turns.iloc[j]
                row = {"source_id": seg["source_id"], "turn": int(seg.get("idx", j)), "code": code}
                row.update({str(c): ("yes" if v == 1 else "no" if v == 0 else "-") for c, v in zip(coders, col)})
                if texts is not None:
                    row["text"] = texts.get(seg["source_id"], "")[int(seg["start"]):int(seg["end"])]
                out.append(row)
    return pd.DataFrame(out)
