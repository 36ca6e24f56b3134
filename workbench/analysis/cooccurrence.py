"""Codes that occur together: overlapping codings or the same speaker turn (pure)."""
from __future__ import annotations

import pandas as pd

from workbench.errors import AnalysisProblem


def cooccurrence(quotes: pd.DataFrame, *, unit: str = "overlap") -> pd.DataFrame:
    """Code pairs that occur together: overlapping spans (``overlap``) or the same turn (``turn``).

    Per pair: co-occurrences n12; Jaccard n12/(n1+n2-n12) with n1, n2 counted in the unit (turns,
    or codings for overlaps); and the c-coefficient (as ATLAS.ti reports it) with n1, n2 the codes'
    numbers of codings. For overlaps the two coincide.
    """
    if quotes.empty:
        return pd.DataFrame(columns=["code_a", "code_b", "count", "jaccard", "c_coefficient"])
    if unit == "turn":
        units = quotes.assign(u=quotes["source_id"].astype(str) + ":" + quotes["turn"].astype(str))
        sets = units.groupby("code")["u"].apply(set)
        pairs = []
        names = sorted(sets.index)
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                n12 = len(sets[a] & sets[b])
                if n12:
                    n1, n2 = len(sets[a]), len(sets[b])
                    pairs.append((a, b, n12, n1, n2))
    elif unit == "overlap":
        counts: dict[tuple[str, str], int] = {}
        own = quotes.groupby("code")["coding_id"].count().to_dict()
        for _, group in quotes.sort_values("start").groupby("source_id"):
            rows = group[["code", "start", "end"]].to_numpy()
            for i in range(len(rows)):
                for j in range(i + 1, len(rows)):
                    if rows[j][1] >= rows[i][2]:
                        break
                    if rows[i][0] != rows[j][0]:
                        key = tuple(sorted((rows[i][0], rows[j][0])))
                        counts[key] = counts.get(key, 0) + 1
        pairs = [(a, b, n12, own[a], own[b]) for (a, b), n12 in counts.items()]
    else:
        raise AnalysisProblem(f"co-occurrence unit must be 'overlap' or 'turn', not {unit!r}")
    frame = pd.DataFrame(pairs, columns=["code_a", "code_b", "count", "n_a", "n_b"])
    frame["jaccard"] = frame["count"] / (frame["n_a"] + frame["n_b"] - frame["count"])
    codings = quotes.groupby("code")["coding_id"].count()
    c1, c2 = frame["code_a"].map(codings), frame["code_b"].map(codings)
    frame["c_coefficient"] = (frame["count"] / (c1 + c2 - frame["count"])).clip(upper=1.0)
    return frame.sort_values("count", ascending=False, kind="stable").reset_index(drop=True)


def cooccurrence_matrix(pairs: pd.DataFrame, value: str = "count") -> pd.DataFrame:
    """The pairs as a square, symmetric table: the same codes (every code in a pair) down the
    rows and across the columns, ``value`` where two codes meet, 0 where they never do and on the
    diagonal (a code with itself is not a co-occurrence)."""
    codes = sorted(set(pairs["code_a"]) | set(pairs["code_b"]))
    matrix = pd.DataFrame(0, index=pd.Index(codes, name="code"), columns=codes,
                          dtype=float if value != "count" else int)
    for a, b, v in pairs[["code_a", "code_b", value]].itertuples(index=False):
        matrix.loc[a, b] = matrix.loc[b, a] = v
    return matrix
