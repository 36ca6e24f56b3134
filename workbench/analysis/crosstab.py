"""Comparing themes across groups of cases: pure functions over DataFrames (no database).

Input is a frame of codings (``retrieval.coded_quotes``, one row per coding, or
``retrieval.coding_counts``, per code and source with ``n``), the case table and the sources that
count (source_id, case). The default count is "cases having the code" - a theme mentioned ten
times by one firm is still one firm - and a parent code counts a case when the code or any of its
sub-codes is there. The bases are the cases that have a source (the others are listed, never
counted as "does not have the code"). Each code's presence is tested against the grouping only
where a test is valid (``significance``), with adjusted p-values and the bias-corrected Cramér's V.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workbench.analysis.significance import ADJUSTMENTS, CodeTest, adjust, design_min_p, presence_test
from workbench.errors import AnalysisProblem

COUNTS = ("cases", "sources", "codings")
ALPHA = 0.05
SEP = " › "


@dataclass
class Crosstab:
    by: str
    count: str
    table: pd.DataFrame               # code x group counts
    row_percent: pd.DataFrame
    col_percent: pd.DataFrame
    group_sizes: pd.Series            # cases (or sources) per group: the column bases
    tests: list[CodeTest] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    adjustment: str = "holm"
    alpha: float = ALPHA
    excluded_cases: list[tuple[str, str]] = field(default_factory=list)
    smallest_p: float | None = None   # the smallest p any code could reach with these group sizes
    subcodes: bool = True             # parents count their sub-codes

    def tests_frame(self) -> pd.DataFrame:
        """One row per code with readable column names; "–" where no test was run, and why."""
        adjusted = f"p ({ADJUSTMENTS[self.adjustment]})"
        rows = []
        for t in self.tests:
            tested = t.test is not None
            rows.append({"code": t.code, "test": t.test if tested else "–",
                         "p": t.p_value if tested else None,
                         adjusted: t.p_adjusted if tested and self.adjustment != "none" else None,
                         "Cramér's V (bias-corrected)": t.cramers_v if tested else None,
                         "smallest possible p": t.min_p, "why no test": t.why_not,
                         **{f"residual {g}": r for g, r in t.residuals.items()}})
        frame = pd.DataFrame(rows)
        if self.adjustment == "none" and adjusted in frame:
            frame = frame.drop(columns=[adjusted])
        return frame

    def significant(self) -> list[str]:
        """Codes whose adjusted p (raw p without an adjustment) is below alpha."""
        key = "p_value" if self.adjustment == "none" else "p_adjusted"
        return [t.code for t in self.tests if t.test is not None and getattr(t, key) < self.alpha]

    def summary(self) -> str:
        """One sentence a reader can trust: tested codes, the correction, the significant ones."""
        tested = [t for t in self.tests if t.test is not None]
        if not self.tests:
            return f"No test: {self.warnings[-1] if self.warnings else 'nothing to test'}."
        untested = len(self.tests) - len(tested)
        found = self.significant()
        how = "" if self.adjustment == "none" else f" after {ADJUSTMENTS[self.adjustment]}'s correction for " \
                                                   f"{len(tested)} tests"
        text = (f"{len(found)} of {len(tested)} tested codes differ between the groups at p < {self.alpha:g}{how}"
                + (f": {', '.join(found)}" if found else "") + ".")
        if untested:
            text += f" {untested} code(s) were not tested (no variation: no case, or every case, has them)."
        return text


def roll_up(frame: pd.DataFrame) -> pd.DataFrame:
    """Every coding counted for its code and for each ancestor code (paths joined by " › ")."""
    if frame.empty:
        return frame
    parts = frame["code"].str.split(SEP, regex=False)
    pieces = [frame]
    for depth in range(1, int(parts.str.len().max())):
        deeper = parts.str.len() > depth
        pieces.append(frame[deeper].assign(code=parts[deeper].str[:depth].str.join(SEP)))
    return pd.concat(pieces, ignore_index=True)


def crosstab(quotes: pd.DataFrame, cases: pd.DataFrame, by: str, *, count: str = "cases",
             codes: list[str] | None = None, sources: pd.DataFrame | None = None, adjustment: str = "holm",
             alpha: float = ALPHA, subcodes: bool = True, missing_reason: str = "has no source") -> Crosstab:
    """Code x case-attribute table with percentages and a valid test per code, where one exists.

    ``count``: ``cases`` (default: each case once per code), ``sources`` or ``codings``.
    ``sources`` (source_id, case): the sources that count; a case with none of them is excluded
    from the bases and listed (``missing_reason`` says why). ``subcodes``: a parent counts the
    codings of its sub-codes. ``adjustment``: holm, bh or none."""
    if count not in COUNTS:
        raise AnalysisProblem(f"count must be one of {', '.join(COUNTS)}, not {count!r}")
    if adjustment not in ADJUSTMENTS:
        raise AnalysisProblem(f"adjustment must be one of {', '.join(ADJUSTMENTS)}, not {adjustment!r}")
    if cases.empty:
        raise AnalysisProblem("the project has no cases: a crosstab compares groups of cases")
    if by not in cases.columns or by == "case":
        known = ", ".join(c for c in cases.columns if c != "case") or "none"
        raise AnalysisProblem(f"no case attribute {by!r} (attributes: {known})")
    groups_of = cases.set_index("case")[by].dropna()
    groups_of = groups_of[groups_of.astype(str).str.strip() != ""].astype(str)
    excluded: list[tuple[str, str]] = []
    if sources is not None:
        with_source = set(sources["case"])
        excluded = [(c, missing_reason) for c in cases["case"] if c not in with_source]
        groups_of = groups_of[groups_of.index.isin(with_source)]
        quotes = quotes[quotes["source_id"].isin(set(sources["source_id"]))] if len(quotes) else quotes
    values = sorted(groups_of.unique())
    every = sorted(cases.set_index("case")[by].dropna().astype(str).unique())
    empty = [v for v in every if v not in values]
    warnings = []
    if len(values) < 2:
        raise AnalysisProblem(f"attribute {by!r} has {len(values)} group(s) with cases to compare"
                              + (f" (none of the cases in {', '.join(empty)} counts: {missing_reason})" if empty else "")
                              + "; a crosstab needs at least two")
    if empty:
        warnings.append(f"group(s) {', '.join(empty)} left out: none of their cases counts ({missing_reason})")
    if excluded:
        warnings.append(f"{len(excluded)} case(s) not in the bases ({missing_reason}): "
                        + ", ".join(c for c, _ in excluded[:10]) + (" …" if len(excluded) > 10 else ""))
    q = roll_up(quotes) if subcodes else quotes
    q = q[q["case"].isin(groups_of.index)].assign(group=lambda f: f["case"].map(groups_of))
    dropped = quotes[~quotes["case"].isin(groups_of.index)] if len(quotes) else quotes
    if len(dropped):
        warnings.append(f"{len(dropped)} codings are in sources without a case or without a value for {by!r}; "
                        "they are not counted")
    codes = codes or sorted(q["code"].unique())
    if len(q) and count == "codings":
        counted = q.groupby(["code", "group"])["n"].sum() if "n" in q.columns else q.groupby(["code", "group"]).size()
    elif len(q):
        counted = q.groupby(["code", "group"])["case" if count == "cases" else "source_id"].nunique()
    table = (counted.unstack(fill_value=0).reindex(index=codes, columns=values, fill_value=0).astype(int)
             if len(q) else pd.DataFrame(0, index=codes, columns=values))
    table.index.name, table.columns.name = "code", by
    if count == "cases":
        bases = groups_of.value_counts().reindex(values, fill_value=0)
    elif count == "sources" and sources is not None:
        src = sources[sources["case"].isin(groups_of.index)]
        bases = src["case"].map(groups_of).value_counts().reindex(values, fill_value=0)
    else:
        bases = table.sum(axis=0)
    row_pct = table.div(table.sum(axis=1).replace(0, np.nan), axis=0) * 100
    col_pct = table.div(bases.replace(0, np.nan), axis=1) * 100
    result = Crosstab(by, count, table, row_pct, col_pct, bases, [], warnings, adjustment, alpha, excluded,
                      subcodes=subcodes)
    if count == "codings" or (count == "sources" and sources is None):
        warnings.append("codings are not independent observations; no significance test is given for this count - "
                        "count cases (or sources) for tests" if count == "codings" else
                        "no test: the bases of a count by sources need the project's sources")
        return result
    result.tests = [presence_test(code, table.loc[code].to_numpy(), bases.to_numpy(), values) for code in codes]
    adjust(result.tests, adjustment)
    result.smallest_p = design_min_p([int(b) for b in bases])
    if result.smallest_p is not None and result.smallest_p >= alpha:
        sizes = ", ".join(f"{n} {g}" for g, n in bases.items())
        warnings.append(f"with these group sizes ({sizes}) the smallest p any code could reach is "
                        f"{result.smallest_p:.3f}: no code can differ at p < {alpha:g}, whatever the data")
    exact_small = [t for t in result.tests if t.test is not None and t.min_p is not None and t.min_p >= alpha]
    if exact_small and (result.smallest_p is None or result.smallest_p < alpha):
        warnings.append(f"{len(exact_small)} tested code(s) cannot reach p < {alpha:g} with their margins "
                        "(see 'smallest possible p')")
    return result
