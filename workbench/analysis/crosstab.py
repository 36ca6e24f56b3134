"""Comparing themes across groups of cases: pure functions over DataFrames (no database).

Input is the frame of coded quotes (``retrieval.coded_quotes``: one row per coding with its
code, source and case) and the case table (``cases.case_table``). The default count is
"cases having the code" - a theme mentioned ten times by one firm is still one firm - and
each code's presence is tested against the grouping with a chi-square test of independence
(Fisher's exact test for 2x2 tables), adjusted standardised residuals and Cramer's V.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from workbench.errors import AnalysisProblem

COUNTS = ("cases", "sources", "codings")

SMALL_EXPECTED = 5


@dataclass
class CodeTest:
    """The test of one code's presence across the groups."""
    code: str
    test: str                         # "chi-square" or "Fisher's exact"
    statistic: float | None
    p_value: float
    dof: int | None
    cramers_v: float
    expected_min: float
    small_expected: bool
    residuals: dict[str, float]       # adjusted standardised residual of "has the code" per group
    p_chi_square: float | None = None # for 2x2 tables: the chi-square p beside Fisher's exact p


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

    def tests_frame(self) -> pd.DataFrame:
        rows = [{"code": t.code, "test": t.test, "chi_square": t.statistic, "dof": t.dof, "p": t.p_value,
                 "p_chi_square": t.p_chi_square if t.p_chi_square is not None else (
                     t.p_value if t.test == "chi-square" else None),
                 "cramers_v": t.cramers_v, "min_expected": t.expected_min,
                 **{f"residual {g}": r for g, r in t.residuals.items()}} for t in self.tests]
        return pd.DataFrame(rows)


def adjusted_residuals(observed: np.ndarray) -> np.ndarray:
    """Adjusted standardised residuals (Haberman): |r| > 1.96 marks a cell at the 5% level."""
    observed = np.asarray(observed, dtype=float)
    n = observed.sum()
    rows, cols = observed.sum(axis=1, keepdims=True), observed.sum(axis=0, keepdims=True)
    expected = rows @ cols / n
    with np.errstate(divide="ignore", invalid="ignore"):
        return (observed - expected) / np.sqrt(expected * (1 - rows / n) * (1 - cols / n))


def cramers_v(observed: np.ndarray) -> float:
    """Cramer's V of a contingency table (0 = independent, 1 = perfectly associated)."""
    observed = np.asarray(observed, dtype=float)
    n = observed.sum()
    k = min(observed.shape) - 1
    if n == 0 or k == 0:
        return float("nan")
    chi2 = stats.chi2_contingency(observed, correction=False)[0]
    return math.sqrt(chi2 / (n * k))


def presence_test(code: str, has: np.ndarray, totals: np.ndarray, groups: list[str]) -> CodeTest:
    """Test whether having ``code`` depends on the group: a 2 x k table (with / without)."""
    table = np.vstack([has, totals - has]).astype(float)
    keep = table.sum(axis=0) > 0
    table, groups = table[:, keep], [g for g, k in zip(groups, keep) if k]
    expected = stats.contingency.expected_freq(table) if table.sum(axis=1).all() else np.zeros_like(table)
    residuals = adjusted_residuals(table)[0] if table.sum(axis=1).all() else np.full(len(groups), np.nan)
    if not table.sum(axis=1).all():      # every case has it, or none: nothing to test
        return CodeTest(code, "none (no variation)", None, 1.0, None, 0.0, float(expected.min(initial=0)), False,
                        dict(zip(groups, map(float, residuals))))
    if table.shape == (2, 2):
        # Fisher's exact p is the one to read with few cases; the chi-square is reported beside it.
        _, p = stats.fisher_exact(table)
        chi2, p_chi, dof, _ = stats.chi2_contingency(table, correction=False)
        return CodeTest(code, "Fisher's exact", float(chi2), float(p), int(dof), cramers_v(table),
                        float(expected.min()), bool(expected.min() < SMALL_EXPECTED),
                        dict(zip(groups, map(float, residuals))), float(p_chi))
    chi2, p, dof, _ = stats.chi2_contingency(table, correction=False)
    return CodeTest(code, "chi-square", float(chi2), float(p), int(dof), cramers_v(table), float(expected.min()),
                    bool(expected.min() < SMALL_EXPECTED), dict(zip(groups, map(float, residuals))))


def crosstab(quotes: pd.DataFrame, cases: pd.DataFrame, by: str, *, count: str = "cases",
             codes: list[str] | None = None, sources: pd.DataFrame | None = None) -> Crosstab:
    """Code x case-attribute table with percentages and a presence test per code.

    ``count``: ``cases`` (default: each case once per code), ``sources`` or ``codings``.
    ``sources`` (source_id, case) gives the bases for the sources count.
    """
    if count not in COUNTS:
        raise AnalysisProblem(f"count must be one of {', '.join(COUNTS)}, not {count!r}")
    if cases.empty:
        raise AnalysisProblem("the project has no cases: a crosstab compares groups of cases")
    if by not in cases.columns or by == "case":
        known = ", ".join(c for c in cases.columns if c != "case") or "none"
        raise AnalysisProblem(f"no case attribute {by!r} (attributes: {known})")
    groups_of = cases.set_index("case")[by].dropna()
    values = sorted(groups_of.astype(str).unique())
    if len(values) < 2:
        raise AnalysisProblem(f"attribute {by!r} has {'one value' if values else 'no values'}; a crosstab "
                              "needs at least two groups to compare")
    q = quotes[quotes["case"].isin(groups_of.index)].assign(group=lambda f: f["case"].map(groups_of).astype(str))
    warnings = []
    dropped = quotes[~quotes["case"].isin(groups_of.index)]
    if len(dropped):
        warnings.append(f"{len(dropped)} codings are in sources without a case or without a value for {by!r}; "
                        "they are not counted")
    codes = codes or sorted(q["code"].unique())
    if len(q) and count == "codings":
        # a frame of counts (code, source, n) from the database, or one row per coding
        counted = q.groupby(["code", "group"])["n"].sum() if "n" in q.columns else q.groupby(["code", "group"]).size()
    elif len(q):
        counted = q.groupby(["code", "group"])["case" if count == "cases" else "source_id"].nunique()
    table = (counted.unstack(fill_value=0).reindex(index=codes, columns=values, fill_value=0).astype(int)
             if len(q) else pd.DataFrame(0, index=codes, columns=values))
    table.index.name, table.columns.name = "code", by
    if count == "cases":
        bases = groups_of.astype(str).value_counts().reindex(values, fill_value=0)
    elif count == "sources" and sources is not None:
        src = sources[sources["case"].isin(groups_of.index)]
        bases = src["case"].map(groups_of).astype(str).value_counts().reindex(values, fill_value=0)
    else:
        bases = table.sum(axis=0)
    row_pct = table.div(table.sum(axis=1).replace(0, np.nan), axis=0) * 100
    col_pct = table.div(bases.replace(0, np.nan), axis=1) * 100
    tests = []
    if count == "cases" or (count == "sources" and sources is not None):
        for code in codes:
            tests.append(presence_test(code, table.loc[code].to_numpy(), bases.to_numpy(), values))
        small = [t.code for t in tests if t.small_expected]
        if small:
            warnings.append(f"{len(small)} of {len(tests)} tests have expected counts below {SMALL_EXPECTED}; "
                            "with few cases read p-values with care (Fisher's exact test is used for 2x2 tables)")
    else:
        warnings.append("codings are not independent observations; no significance test is given for "
                        "this count - count cases for tests")
    return Crosstab(by, count, table, row_pct, col_pct, bases, tests, warnings)
