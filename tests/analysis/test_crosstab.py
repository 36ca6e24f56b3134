"""Crosstabs, counts and co-occurrence: pure functions, checked against scipy."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from workbench.analysis.cooccurrence import cooccurrence, cooccurrence_matrix
from workbench.analysis.counts import frequencies, presence_matrix
from workbench.analysis.crosstab import crosstab
from workbench.analysis.significance import CodeTest, adjust, adjusted_residuals, cramers_v, holm
from workbench.errors import AnalysisProblem

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


SOURCES = pd.DataFrame({"source_id": [1, 2, 3, 4, 5, 6], "case": ["TX1", "TX2", "TX3", "IT1", "IT2", "IT3"]})


def test_crosstab_counts_cases_with_percentages_and_fisher_for_2x2():
    ct = crosstab(QUOTES, CASES, "sector", sources=SOURCES)
    assert ct.table.loc["Fairs"].to_dict() == {"IT": 1, "Textile": 3}
    assert ct.col_percent.loc["Fairs", "Textile"] == pytest.approx(100.0)
    assert ct.row_percent.loc["Fairs", "IT"] == pytest.approx(25.0)
    fairs = next(t for t in ct.tests if t.code == "Fairs")
    assert fairs.test == "Fisher's exact" and fairs.statistic is None     # no chi-square beside it
    assert fairs.p_value == pytest.approx(stats.fisher_exact([[1, 3], [2, 0]])[1])
    assert fairs.residuals["Textile"] > 0 > fairs.residuals["IT"]
    # 3 vs 3 cases: the smallest possible p of any code is 2/20; said, and nothing can reach 0.05
    assert ct.smallest_p == pytest.approx(0.1) and fairs.min_p == pytest.approx(
        min(stats.fisher_exact([[a, 4 - a], [3 - a, a - 1]])[1] for a in (1, 2, 3)))
    assert any("smallest p any code could reach is 0.100" in w for w in ct.warnings)
    assert ct.significant() == [] and "0 of 2 tested codes" in ct.summary()


def test_counting_codings_gives_no_test_and_an_empty_group_is_refused():
    ct = crosstab(QUOTES, CASES, "sector", count="codings", sources=SOURCES)
    assert ct.table.loc["Fairs", "Textile"] == 4 and not ct.tests
    assert any("not independent" in w for w in ct.warnings)
    # the textile cases have no sources: a group without bases is refused by name, not tested 2 x 1
    only_it = SOURCES[SOURCES["case"].str.startswith("IT")]
    with pytest.raises(AnalysisProblem, match="none of the cases in Textile counts: has no source"):
        crosstab(QUOTES, CASES, "sector", count="sources", sources=only_it)


def test_untested_rows_say_why_and_show_no_p():
    quotes = q([(1, "Everyone", s, f"s{s}", c, 0, 5, 0, "ana", "x") for s, c in zip(SOURCES["source_id"],
                                                                                   SOURCES["case"])])
    ct = crosstab(quotes, CASES, "sector", sources=SOURCES, codes=["Everyone", "Nobody"])
    frame = ct.tests_frame().set_index("code")
    assert frame.loc["Everyone", "why no test"] == "every case has it" and frame.loc["Nobody", "why no test"] == "no case has it"
    assert frame.loc["Everyone", "test"] == "–" and pd.isna(frame.loc["Everyone", "p"])
    assert pd.isna(frame.loc["Nobody", "Cramér's V (bias-corrected)"]) and "2 code(s) were not tested" in ct.summary()
    assert list(frame.columns[:5]) == ["test", "p", "p (Holm)", "Cramér's V (bias-corrected)", "smallest possible p"]


def test_exact_test_for_small_expected_counts_with_more_groups_equals_scipys_permutation_test():
    cases = CASES.assign(size=["small", "small", "medium", "medium", "small", "large"])
    ct = crosstab(QUOTES, cases, "size", sources=SOURCES)
    fairs = next(t for t in ct.tests if t.code == "Fairs")
    table = np.array([[1, 2, 1], [0, 1, 1]])    # columns: large, medium, small
    exact = stats.fisher_exact(table, method=stats.PermutationMethod(n_resamples=np.inf)).pvalue
    assert fairs.test == "Freeman-Halton exact" and fairs.p_value == pytest.approx(exact)
    assert fairs.statistic is None


def test_chi_square_only_where_every_expected_count_is_five_or_more():
    rng = np.random.default_rng(3)
    cases = pd.DataFrame({"case": [f"c{i}" for i in range(90)], "region": ["N", "S", "W"] * 30})
    has = [c for i, c in enumerate(cases["case"]) if rng.random() < (0.7 if i % 3 == 0 else 0.35)]
    quotes = q([(i, "Fairs", i, f"s{i}", c, 0, 5, 0, "ana", "x") for i, c in enumerate(has)])
    sources = pd.DataFrame({"source_id": range(90), "case": cases["case"]})
    fairs = crosstab(quotes, cases, "region", sources=sources).tests[0]
    got = quotes.assign(region=quotes["case"].map(cases.set_index("case")["region"])).groupby("region").size()
    table = np.vstack([got.reindex(["N", "S", "W"]).to_numpy(), 30 - got.reindex(["N", "S", "W"]).to_numpy()])
    chi2, p, dof, expected = stats.chi2_contingency(table, correction=False)
    assert expected.min() >= 5
    assert fairs.test == "chi-square" and fairs.p_value == pytest.approx(p) and fairs.dof == dof == 2
    assert fairs.statistic == pytest.approx(chi2)


def test_bias_corrected_cramers_v_and_adjusted_residuals_match_their_formulas():
    obs = np.array([[10, 20], [30, 5]])
    exp = stats.contingency.expected_freq(obs)
    n = obs.sum()
    r = (obs - exp) / np.sqrt(exp * (1 - obs.sum(1, keepdims=True) / n) * (1 - obs.sum(0, keepdims=True) / n))
    assert np.allclose(adjusted_residuals(obs), r)
    phi = abs(10 * 5 - 20 * 30) / np.sqrt(30 * 35 * 40 * 25)
    assert cramers_v(obs, corrected=False) == pytest.approx(phi)
    assert cramers_v(obs, corrected=False) == pytest.approx(stats.contingency.association(obs, method="cramer"))
    # Bergsma (2013): phi2 - (k-1)(r-1)/(n-1), over min(k~, r~) - 1 with k~ = k - (k-1)^2/(n-1)
    corrected = np.sqrt(max(0, phi ** 2 - 1 / (n - 1)) / (2 - 1 / (n - 1) - 1))
    assert cramers_v(obs) == pytest.approx(corrected) and cramers_v(obs) < phi
    assert cramers_v(np.array([[5, 5], [5, 5]])) == 0.0


def test_adjusted_p_values_holm_by_default_and_benjamini_hochberg_as_asked():
    p = np.array([0.01, 0.04, 0.03, 0.20])
    # Holm by hand: sorted 0.01, 0.03, 0.04, 0.20 times 4, 3, 2, 1, then running maximum
    assert holm(p).tolist() == pytest.approx([0.04, 0.09, 0.09, 0.20])
    tests = [CodeTest(f"c{i}", "Fisher's exact", p_value=v) for i, v in enumerate(p)] + [CodeTest("x", None, "no case has it")]
    adjust(tests, "bh")
    assert [t.p_adjusted for t in tests[:4]] == pytest.approx(list(stats.false_discovery_control(p, method="bh")))
    assert np.isnan(tests[4].p_adjusted)
    with pytest.raises(AnalysisProblem, match="adjustment must be one of"):
        adjust(tests, "bonferonni")


def test_forty_codes_without_an_effect_leave_nothing_significant_after_holm():
    rng = np.random.default_rng(11)
    cases = pd.DataFrame({"case": [f"c{i}" for i in range(200)], "sector": ["A", "B"] * 100})
    rows, n = [], 0
    for code in range(40):
        for c in cases["case"]:
            if rng.random() < 0.5:
                n += 1
                rows.append((n, f"code {code:02d}", int(c[1:]), c, c, 0, 5, 0, "ana", "x"))
    sources = pd.DataFrame({"source_id": range(200), "case": cases["case"]})
    ct = crosstab(q(rows), cases, "sector", sources=sources)
    raw = [t.code for t in ct.tests if t.p_value < 0.05]
    assert ct.significant() == [] and all(t.p_adjusted >= t.p_value for t in ct.tests)
    assert "0 of 40 tested codes differ between the groups at p < 0.05 after Holm's correction for 40 tests" \
        in ct.summary()
    assert raw == [t.code for t in ct.tests if t.p_value < 0.05]          # (raw ones may exist: unflagged now)


def test_a_parent_counts_a_case_when_it_or_a_sub_code_is_there():
    quotes = q([(1, "Barriers › Language", 1, "s1", "TX1", 0, 5, 0, "ana", "x"),
                (2, "Barriers › Staff", 4, "s4", "IT1", 0, 5, 0, "ana", "x"),
                (3, "Barriers", 2, "s2", "TX2", 0, 5, 0, "ana", "x")])
    codes = ["Barriers", "Barriers › Language", "Barriers › Staff"]
    ct = crosstab(quotes, CASES, "sector", sources=SOURCES, codes=codes)
    assert ct.table.loc["Barriers"].to_dict() == {"IT": 1, "Textile": 2}
    own = crosstab(quotes, CASES, "sector", sources=SOURCES, codes=codes, subcodes=False)
    assert own.table.loc["Barriers"].to_dict() == {"IT": 0, "Textile": 1}
    assert ct.table.loc["Barriers › Language"].to_dict() == own.table.loc["Barriers › Language"].to_dict()


def test_cases_without_sources_are_not_counted_as_lacking_the_code():
    cases = pd.concat([CASES, pd.DataFrame({"case": ["TX4"], "sector": ["Textile"], "employees": [10]})])
    ct = crosstab(QUOTES, cases, "sector", sources=SOURCES)
    assert ct.group_sizes.to_dict() == {"IT": 3, "Textile": 3} and ct.excluded_cases == [("TX4", "has no source")]
    assert any("1 case(s) not in the bases (has no source): TX4" in w for w in ct.warnings)


@pytest.mark.parametrize("cases,by,needle", [
    (CASES.iloc[0:0], "sector", "no cases"),
    (CASES.assign(sector="Textile"), "sector", "1 group"),
    (CASES, "country", "no case attribute 'country'"),
])
def test_crosstab_refuses_what_cannot_be_compared(cases, by, needle):
    with pytest.raises(AnalysisProblem, match=needle):
        crosstab(QUOTES, cases, by, sources=SOURCES)


def test_cooccurrence_overlap_and_turn():
    co = cooccurrence(QUOTES, unit="overlap")
    pair = co[(co["code_a"] == "Clients") & (co["code_b"] == "Fairs")].iloc[0]
    assert pair["count"] == 2                      # s1 [0,10) x [8,20) and s5 [0,10) x [5,15)
    assert pair["c_coefficient"] == pytest.approx(2 / (3 + 5 - 2))
    turn = cooccurrence(QUOTES, unit="turn").iloc[0]
    assert turn["count"] == 2 and turn["jaccard"] == pytest.approx(2 / (3 + 5 - 2))


def test_cooccurrence_matrix_is_square_and_symmetric():
    """The heatmap's rows and columns are the same codes (they were the pairs' first and second
    codes, two different sets)."""
    pairs = pd.DataFrame([("A", "B", 2), ("A", "C", 1), ("B", "D", 5)], columns=["code_a", "code_b", "count"])
    m = cooccurrence_matrix(pairs)
    assert list(m.index) == list(m.columns) == ["A", "B", "C", "D"]
    assert (m.to_numpy() == m.to_numpy().T).all()
    assert m.loc["D", "B"] == 5 and m.loc["C", "D"] == 0 and m.loc["A", "A"] == 0


def test_presence_matrix_has_attributes_and_zero_one_columns():
    m = presence_matrix(QUOTES, CASES).set_index("case")
    assert m.loc["IT3", "Fairs"] == 0 and m.loc["TX1", "Clients"] == 1 and m.loc["IT1", "sector"] == "IT"
