"""Tests of a code's presence across groups, only where they are valid (pure functions).

For each code a 2 x k table: cases (or sources) having the code / not having it, per group.
- No test when there is nothing to test (no case has the code, or every case has it).
- 2 x k tables with an expected count under 5 get the exact conditional test (Fisher's exact test
  for 2 x 2, its Freeman-Halton extension for more groups), computed by enumerating every table
  with the same margins; where that would take too long, a Monte Carlo estimate with a fixed seed.
- Otherwise Pearson's chi-square (no continuity correction: with expected counts of 5 or more the
  correction is not needed and makes the test conservative).
- The effect size is Cramér's V with Bergsma's (2013) bias correction, labelled as such.
- The smallest p the margins allow is computed for exact tests: with 3 vs 3 cases no code can
  reach 0.05, and the results say so instead of letting a reader look for significance.
- p-values are adjusted over the tested codes: Holm (default, controls the family-wise error) or
  Benjamini-Hochberg (controls the false discovery rate).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import product

import numpy as np
from scipy import stats
from scipy.special import gammaln

from workbench.errors import AnalysisProblem

SMALL_EXPECTED = 5
MAX_TABLES = 200_000              # beyond this, the exact test is estimated by Monte Carlo
MONTE_CARLO_TABLES = 20_000
ADJUSTMENTS = {"holm": "Holm", "bh": "Benjamini-Hochberg", "none": "no adjustment"}
EXACT, FISHER, CHI_SQUARE = "Freeman-Halton exact", "Fisher's exact", "chi-square"


@dataclass
class CodeTest:
    """The test of one code's presence across the groups (``test`` None: not tested, see why)."""
    code: str
    test: str | None
    why_not: str = ""
    p_value: float = float("nan")
    p_adjusted: float = float("nan")
    statistic: float | None = None
    dof: int | None = None
    cramers_v: float = float("nan")
    expected_min: float = float("nan")
    min_p: float | None = None
    residuals: dict[str, float] = field(default_factory=dict)


def adjusted_residuals(observed: np.ndarray) -> np.ndarray:
    """Adjusted standardised residuals (Haberman): |r| > 1.96 marks a cell at the 5% level."""
    observed = np.asarray(observed, dtype=float)
    n = observed.sum()
    rows, cols = observed.sum(axis=1, keepdims=True), observed.sum(axis=0, keepdims=True)
    expected = rows @ cols / n
    with np.errstate(divide="ignore", invalid="ignore"):
        return (observed - expected) / np.sqrt(expected * (1 - rows / n) * (1 - cols / n))


def cramers_v(observed: np.ndarray, corrected: bool = True) -> float:
    """Cramér's V of a contingency table; bias-corrected (Bergsma 2013) unless ``corrected`` is
    False. NaN when it is not defined (a single row or column, no data)."""
    observed = np.asarray(observed, dtype=float)
    n = observed.sum()
    r, k = observed.shape
    if n <= 1 or min(r, k) < 2:
        return float("nan")
    chi2 = stats.chi2_contingency(observed, correction=False)[0]
    phi2 = chi2 / n
    if not corrected:
        return math.sqrt(phi2 / (min(r, k) - 1))
    phi2 = max(0.0, phi2 - (k - 1) * (r - 1) / (n - 1))
    r_, k_ = r - (r - 1) ** 2 / (n - 1), k - (k - 1) ** 2 / (n - 1)
    if min(r_, k_) <= 1:
        return float("nan")
    return math.sqrt(phi2 / (min(r_, k_) - 1))


def _log_comb(n, x):
    return gammaln(n + 1) - gammaln(x + 1) - gammaln(n - x + 1)


def exact_tables(sizes: list[int], total_has: int) -> np.ndarray | None:
    """Every way ``total_has`` cases can fall into groups of ``sizes`` (one row per table: the
    number having the code in each group), or None when there are more than MAX_TABLES."""
    count = 1
    for n in sizes:
        count *= n + 1
    if count > 10 * MAX_TABLES:                # walking the combinations would take seconds
        return None
    tables = [t for t in product(*(range(n + 1) for n in sizes)) if sum(t) == total_has]
    return np.array(tables) if len(tables) <= MAX_TABLES else None


def _probabilities(tables: np.ndarray, sizes: list[int]) -> np.ndarray:
    """Hypergeometric probability of each table given both margins."""
    n = np.array(sizes)
    logp = _log_comb(n, tables).sum(axis=1) - _log_comb(n.sum(), tables[0].sum())
    return np.exp(logp)


def exact_p(has: list[int], sizes: list[int]) -> tuple[float, float] | None:
    """``(p, smallest possible p)`` of the exact conditional test (Fisher / Freeman-Halton): the
    probability of every table with these margins no more probable than the observed one. None
    when the tables are too many to enumerate."""
    tables = exact_tables(sizes, sum(has))
    if tables is None:
        return None
    probs = _probabilities(tables, sizes)
    observed = _probabilities(np.array([has]), sizes)[0]
    tolerance = 1 + 1e-7                                   # equal probabilities, up to rounding
    p = float(probs[probs <= observed * tolerance].sum())
    smallest = float(probs[probs <= probs.min() * tolerance].sum())
    return min(p, 1.0), min(smallest, 1.0)


def design_min_p(sizes: list[int]) -> float | None:
    """The smallest p an exact test could give for any code with these group sizes (e.g. 0.1 for
    3 vs 3 cases); None when not computable."""
    total = sum(sizes)
    if total > 60 or len(sizes) > 6:
        return None                   # large designs can reach any usual threshold
    found = []
    for k in range(1, total):
        tables = exact_tables(sizes, k)
        if tables is None:
            return None
        probs = _probabilities(tables, sizes)
        found.append(float(probs[probs <= probs.min() * (1 + 1e-7)].sum()))
    return min(found) if found else None


def presence_test(code: str, has: np.ndarray, sizes: np.ndarray, groups: list[str]) -> CodeTest:
    """Test whether having ``code`` depends on the group, or say why not."""
    has, sizes = np.asarray(has, dtype=int), np.asarray(sizes, dtype=int)
    table = np.vstack([has, sizes - has]).astype(float)
    residuals = dict(zip(groups, map(float, adjusted_residuals(table)[0]))) if table.sum(axis=1).all() else {}
    if has.sum() == 0:
        return CodeTest(code, None, "no case has it")
    if has.sum() == sizes.sum():
        return CodeTest(code, None, "every case has it")
    expected = stats.contingency.expected_freq(table)
    v = cramers_v(table)
    if expected.min() >= SMALL_EXPECTED and table.shape[1] > 2:
        chi2, p, dof, _ = stats.chi2_contingency(table, correction=False)
        return CodeTest(code, CHI_SQUARE, p_value=float(p), statistic=float(chi2), dof=int(dof), cramers_v=v,
                        expected_min=float(expected.min()), residuals=residuals)
    exact = exact_p(list(has), list(sizes))
    name = FISHER if table.shape[1] == 2 else EXACT
    if exact is not None:
        return CodeTest(code, name, p_value=exact[0], cramers_v=v, expected_min=float(expected.min()),
                        min_p=exact[1], residuals=residuals)
    result = stats.fisher_exact(table, method=stats.MonteCarloMethod(n_resamples=MONTE_CARLO_TABLES,
                                                                     rng=np.random.default_rng(0)))
    return CodeTest(code, f"{name} (Monte Carlo, {MONTE_CARLO_TABLES:,} tables)", p_value=float(result.pvalue),
                    cramers_v=v, expected_min=float(expected.min()), residuals=residuals)


def holm(p: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values (family-wise error)."""
    p = np.asarray(p, dtype=float)
    order = np.argsort(p)
    m = len(p)
    stepped = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out = np.empty(m)
    out[order] = np.minimum(stepped, 1.0)
    return out


def adjust(tests: list[CodeTest], method: str = "holm") -> None:
    """Fill ``p_adjusted`` of the tested codes (untested ones stay NaN)."""
    if method not in ADJUSTMENTS:
        raise AnalysisProblem(f"adjustment must be one of {', '.join(ADJUSTMENTS)}, not {method!r}")
    tested = [t for t in tests if t.test is not None]
    if not tested:
        return
    p = np.array([t.p_value for t in tested])
    if method == "holm":
        adjusted = holm(p)
    elif method == "bh":
        adjusted = stats.false_discovery_control(p, method="bh")
    else:
        adjusted = p
    for t, a in zip(tested, adjusted):
        t.p_adjusted = float(a)
