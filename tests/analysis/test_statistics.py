"""Crosstabs, co-occurrence and agreement: pure functions, checked against reference libraries."""
from __future__ import annotations

import krippendorff
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import cohen_kappa_score

from workbench.analysis.agreement import (
    agreement_table,
    cohen_kappa,
    disagreements,
    krippendorff_alpha,
    percent_agreement,
    unit_matrix,
)
from workbench.analysis.cooccurrence import cooccurrence
from workbench.analysis.counts import frequencies, presence_matrix
from workbench.analysis.crosstab import adjusted_residuals, cramers_v, crosstab
from workbench.errors import AgreementProblem, AnalysisProblem

CASES = pd.DataFrame({"case": ["IT1", "IT2", "IT3", "TX1", "TX2", "TX3"],
                      "sector": ["IT", "IT", "IT", "Textile", "Textile", "Textile"],
                      "employees": [46, 34, 138, 140, 45, 34]})


def q(rows):
    cols = ["coding_id", "code", "source_id", "source", "case", "start", "end", "turn", "coder", "quote"]
    return pd.DataFrame([dict(zip(cols, r)) for r in rows], columns=cols)


QUOTES = q([
    (1, "Fairs", 1, "s1", "TX1", 0, 10, 0, "ana", "we went to the fair"),
    (2, "Fairs", 2, "s2", "TX2", 0, 10, 0, "ana", "Heimtextil again"),
    (3, "Fairs", 2, "s2", "TX2", 20, 30, 1, "ana", "and Premiere Vision"),
    (4, "Fairs", 3, "s3", "TX3", 5, 9, 0, "ana", "fair"),
    (5, "Clients", 4, "s4", "IT1", 0, 10, 0, "ana", "a client took us"),
    (6, "Clients", 5, "s5", "IT2", 0, 10, 0, "ana", "clients abroad"),
    (7, "Fairs", 5, "s5", "IT2", 5, 15, 0, "ana", "one fair"),
    (8, "Clients", 1, "s1", "TX1", 8, 20, 0, "ana", "our buyers"),
])


def test_frequencies_count_cases_once():
    f = frequencies(QUOTES).set_index("code")
    assert f.loc["Fairs", "codings"] == 5 and f.loc["Fairs", "cases"] == 4 and f.loc["Fairs", "sources"] == 4
    assert f.loc["Clients", "coded_words"] == 4 + 2 + 2


def test_crosstab_counts_cases_with_percentages_and_fisher_for_2x2():
    ct = crosstab(QUOTES, CASES, "sector")
    assert ct.table.loc["Fairs"].to_dict() == {"IT": 1, "Textile": 3}
    assert ct.col_percent.loc["Fairs", "Textile"] == pytest.approx(100.0)
    assert ct.row_percent.loc["Fairs", "IT"] == pytest.approx(25.0)
    fairs = next(t for t in ct.tests if t.code == "Fairs")
    assert fairs.test == "Fisher's exact"
    assert fairs.p_value == pytest.approx(stats.fisher_exact([[1, 3], [2, 0]])[1])
    assert fairs.small_expected and any("expected counts below 5" in w for w in ct.warnings)
    assert fairs.residuals["Textile"] > 0 > fairs.residuals["IT"]


def test_crosstab_counting_codings_gives_no_test():
    ct = crosstab(QUOTES, CASES, "sector", count="codings")
    assert ct.table.loc["Fairs", "Textile"] == 4 and not ct.tests
    assert any("not independent" in w for w in ct.warnings)


def test_chi_square_for_more_than_two_groups_and_residuals_match_the_formula():
    cases = CASES.assign(size=["small", "small", "medium", "medium", "small", "large"])
    ct = crosstab(QUOTES, cases, "size")
    fairs = next(t for t in ct.tests if t.code == "Fairs")
    table = np.array([[1, 2, 1], [0, 1, 1]])    # columns: large, medium, small
    chi2, p, dof, _ = stats.chi2_contingency(table, correction=False)
    assert fairs.test == "chi-square" and fairs.statistic == pytest.approx(chi2) and fairs.p_value == pytest.approx(p)
    assert fairs.cramers_v == pytest.approx(np.sqrt(chi2 / table.sum()))
    obs = np.array([[10, 20], [30, 5]])
    exp = stats.contingency.expected_freq(obs)
    n = obs.sum()
    r = (obs - exp) / np.sqrt(exp * (1 - obs.sum(1, keepdims=True) / n) * (1 - obs.sum(0, keepdims=True) / n))
    assert np.allclose(adjusted_residuals(obs), r)
    assert cramers_v(obs) == pytest.approx(abs((10 * 5 - 20 * 30)) / np.sqrt(30 * 35 * 40 * 25))


@pytest.mark.parametrize("cases,by,needle", [
    (CASES.iloc[0:0], "sector", "no cases"),
    (CASES.assign(sector="Textile"), "sector", "one value"),
    (CASES, "country", "no case attribute 'country'"),
])
def test_crosstab_refuses_what_cannot_be_compared(cases, by, needle):
    with pytest.raises(AnalysisProblem, match=needle):
        crosstab(QUOTES, cases, by)


def test_cooccurrence_overlap_and_turn():
    co = cooccurrence(QUOTES, unit="overlap")
    pair = co[(co["code_a"] == "Clients") & (co["code_b"] == "Fairs")].iloc[0]
    assert pair["count"] == 2                      # s1 [0,10) x [8,20) and s5 [0,10) x [5,15)
    assert pair["c_coefficient"] == pytest.approx(2 / (3 + 5 - 2))
    turn = cooccurrence(QUOTES, unit="turn").iloc[0]
    assert turn["count"] == 2 and turn["jaccard"] == pytest.approx(2 / (3 + 5 - 2))


def test_presence_matrix_has_attributes_and_zero_one_columns():
    m = presence_matrix(QUOTES, CASES).set_index("case")
    assert m.loc["IT3", "Fairs"] == 0 and m.loc["TX1", "Clients"] == 1 and m.loc["IT1", "sector"] == "IT"


# -- agreement ---------------------------------------------------------------------------------

RNG = np.random.default_rng(7)


@pytest.mark.parametrize("seed", range(5))
def test_kappa_matches_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 2, 200)
    b = np.where(rng.random(200) < 0.8, a, 1 - a)
    assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b))


@pytest.mark.parametrize("seed", range(5))
def test_alpha_matches_krippendorff_with_missing_data(seed):
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 3, (4, 60)).astype(float)
    data[rng.random(data.shape) < 0.2] = np.nan
    assert krippendorff_alpha(data) == pytest.approx(
        krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


def test_percent_agreement_of_two_coders_is_the_share_of_equal_units():
    a, b = np.array([1, 0, 1, 1, np.nan]), np.array([1, 1, 1, 1, 0])
    assert percent_agreement(np.vstack([a, b])) == pytest.approx(3 / 4)


SEGMENTS = pd.DataFrame({"source_id": [1, 1, 1, 2, 2], "idx": [0, 1, 2, 0, 1],
                         "start": [0, 12, 30, 0, 20], "end": [10, 28, 50, 18, 40]})
TWO_CODERS = q([
    (1, "Fairs", 1, "s1", "TX1", 0, 10, 0, "ana", ""), (2, "Fairs", 1, "s1", "TX1", 2, 10, 0, "bea", ""),
    (3, "Fairs", 1, "s1", "TX1", 30, 50, 2, "ana", ""), (4, "Clients", 2, "s2", "TX2", 0, 18, 0, "ana", ""),
    (5, "Clients", 2, "s2", "TX2", 20, 40, 1, "bea", ""), (6, "Fairs", 2, "s2", "TX2", 0, 5, 0, "bea", ""),
])


def test_units_character_turn_source():
    m = unit_matrix(TWO_CODERS, SEGMENTS, ["ana", "bea"], "Fairs", "turn")
    assert m.tolist() == [[1, 0, 1, 0, 0], [1, 0, 0, 1, 0]]
    chars = unit_matrix(TWO_CODERS, SEGMENTS, ["ana", "bea"], "Fairs", "character")
    assert chars.shape == (2, 50 + 40) and chars[0, :10].sum() == 10 and chars[1, :10].sum() == 8
    assert unit_matrix(TWO_CODERS, SEGMENTS, ["ana", "bea"], "Fairs", "source").tolist() == [[1, 0], [1, 1]]


def test_agreement_table_per_code_and_pooled_and_disagreements():
    table = agreement_table(TWO_CODERS, SEGMENTS, ["ana", "bea"], unit="turn").set_index("code")
    m = unit_matrix(TWO_CODERS, SEGMENTS, ["ana", "bea"], "Fairs", "turn")
    assert table.loc["Fairs", "cohen_kappa"] == pytest.approx(cohen_kappa_score(m[0], m[1]))
    assert table.loc["Fairs", "krippendorff_alpha"] == pytest.approx(
        krippendorff.alpha(reliability_data=m, level_of_measurement="nominal"))
    assert "all codes (pooled)" in table.index and table.loc["all codes (pooled)", "units"] == 10
    d = disagreements(TWO_CODERS, SEGMENTS, ["ana", "bea"], texts={1: "x" * 50, 2: "y" * 40})
    assert len(d) == 4 and set(d.columns) >= {"ana", "bea", "text"}


def test_agreement_needs_two_coders():
    with pytest.raises(AgreementProblem, match="at least two coders"):
        agreement_table(TWO_CODERS, SEGMENTS, ["ana"])
