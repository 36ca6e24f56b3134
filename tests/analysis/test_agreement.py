"""Inter-coder agreement: every figure against scikit-learn and the ``krippendorff`` package, on
constructed data - including a coder who skipped an interview, data without variation, the
interviewer's turns, and the vectorised units against a unit-by-unit reference."""
from __future__ import annotations

import krippendorff
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

from workbench.analysis.agreement import (
    POOLED,
    UNDEFINED,
    agreement,
    alpha_from,
    cohen_kappa,
    disagreements,
    histogram_of,
    kappa_from,
    krippendorff_alpha,
    percent_agreement,
    percent_from,
    shown,
)
from workbench.errors import AgreementProblem


def spans(rows):
    return pd.DataFrame(rows, columns=["code", "coder", "source_id", "start", "end"])


# Two sources: turns of an interviewer (I) and a respondent (R); a blank line between turns.
SEGMENTS = pd.DataFrame({"source_id": [1, 1, 1, 2, 2], "idx": [0, 1, 2, 0, 1],
                         "start": [0, 12, 30, 0, 20], "end": [10, 28, 50, 18, 40],
                         "role": ["interviewer", "interviewee", "interviewee", "", "interviewee"]})
CODINGS = spans([("Fairs", "ana", 1, 12, 28), ("Fairs", "bea", 1, 14, 28), ("Fairs", "ana", 1, 30, 50),
                 ("Clients", "ana", 2, 0, 18), ("Clients", "bea", 2, 20, 40), ("Fairs", "bea", 2, 0, 5),
                 ("Fairs", "ana", 1, 0, 10)])                    # ana also coded the interviewer's question


def turn_matrix(codings, segments, coders, code):
    """The plain way: a coders x turns 0/1 matrix, turn by turn."""
    out = []
    for coder in coders:
        mine = codings[(codings["coder"] == coder) & (codings["code"] == code)]
        out.append([int(any((r.source_id == t.source_id) and r.start < t.end and r.end > t.start
                            for r in mine.itertuples())) for t in segments.itertuples()])
    return np.array(out)


def char_matrix(codings, segments, coders, code):
    """The plain way: one column per character of every turn."""
    out = []
    for coder in coders:
        mine = codings[(codings["coder"] == coder) & (codings["code"] == code)]
        row = []
        for t in segments.itertuples():
            for x in range(t.start, t.end):
                row.append(int(any(r.source_id == t.source_id and r.start <= x < r.end for r in mine.itertuples())))
        out.append(row)
    return np.array(out)


# -- the statistics -------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(5))
def test_kappa_matches_scikit_learn_from_units_and_from_a_histogram(seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 2, 200)
    b = np.where(rng.random(200) < 0.8, a, 1 - a)
    expected = cohen_kappa_score(a, b)
    assert cohen_kappa(a, b) == pytest.approx(expected)
    assert kappa_from(histogram_of(np.vstack([a, b]))) == pytest.approx(expected)


@pytest.mark.parametrize("seed", range(5))
def test_alpha_matches_krippendorff_with_missing_data(seed):
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 3, (4, 60)).astype(float)
    data[rng.random(data.shape) < 0.2] = np.nan
    assert krippendorff_alpha(data) == pytest.approx(
        krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


@pytest.mark.parametrize("coders,seed", [(2, 0), (3, 1), (4, 2)])
def test_alpha_and_percent_from_a_weighted_histogram_equal_the_unit_by_unit_figures(coders, seed):
    rng = np.random.default_rng(seed)
    data = (rng.random((coders, 300)) < 0.3).astype(int)
    data[1] = np.where(rng.random(300) < 0.7, data[0], data[1])
    hist = histogram_of(data)
    assert alpha_from(hist, coders) == pytest.approx(krippendorff.alpha(reliability_data=data.astype(float),
                                                                        level_of_measurement="nominal"))
    assert percent_from(hist, coders) == pytest.approx(percent_agreement(data))
    # a unit of weight 3 is three equal units
    weights = rng.integers(1, 4, 300)
    expanded = np.repeat(data, weights, axis=1)
    assert alpha_from(histogram_of(data, weights.astype(float)), coders) == pytest.approx(
        krippendorff.alpha(reliability_data=expanded.astype(float), level_of_measurement="nominal"))


def test_without_variation_kappa_and_alpha_are_undefined_not_perfect():
    same = np.array([[1, 1, 1, 1], [1, 1, 1, 1]])
    assert np.isnan(cohen_kappa_score(same[0], same[1]))         # scikit-learn agrees: undefined
    with pytest.raises(ValueError):                              # and the krippendorff package refuses
        krippendorff.alpha(reliability_data=same.astype(float), level_of_measurement="nominal")
    for value in (cohen_kappa(same[0], same[1]), krippendorff_alpha(same), kappa_from(histogram_of(same)),
                  alpha_from(histogram_of(same), 2)):
        assert np.isnan(value) and shown(value) == UNDEFINED
    assert percent_from(histogram_of(same), 2) == 1.0 and shown(0.8) == "0.800"


def test_percent_agreement_of_two_coders_is_the_share_of_equal_units():
    a, b = np.array([1, 0, 1, 1, np.nan]), np.array([1, 1, 1, 1, 0])
    assert percent_agreement(np.vstack([a, b])) == pytest.approx(3 / 4)


# -- units ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("unit", ["turn", "character"])
def test_units_of_respondent_turns_equal_the_unit_by_unit_reference(unit):
    respondent = SEGMENTS[SEGMENTS["role"] != "interviewer"]
    result = agreement(CODINGS, SEGMENTS, ["ana", "bea"], unit=unit).table.set_index("code")
    build = turn_matrix if unit == "turn" else char_matrix
    for code in ("Fairs", "Clients"):
        m = build(CODINGS, respondent, ["ana", "bea"], code)
        row = result.loc[code]
        assert row["units"] == m.shape[1]
        assert row["cohen_kappa"] == pytest.approx(cohen_kappa_score(m[0], m[1]))
        assert row["krippendorff_alpha"] == pytest.approx(
            krippendorff.alpha(reliability_data=m.astype(float), level_of_measurement="nominal"))
        assert row["percent_agreement"] == pytest.approx(percent_agreement(m))
    # pooled = every (unit, code) pair a unit: the per-code matrices side by side
    pooled = np.hstack([build(CODINGS, respondent, ["ana", "bea"], c) for c in ("Clients", "Fairs")])
    assert result.loc[POOLED, "krippendorff_alpha"] == pytest.approx(
        krippendorff.alpha(reliability_data=pooled.astype(float), level_of_measurement="nominal"))
    if unit == "character":        # characters of the turns only: never the blank lines between them
        assert result.loc[POOLED, "units"] == 2 * (16 + 20 + 18 + 20)


def test_the_interviewers_turns_count_only_when_asked():
    alone = agreement(CODINGS, SEGMENTS, ["ana", "bea"], unit="turn")
    both = agreement(CODINGS, SEGMENTS, ["ana", "bea"], unit="turn", include_interviewer=True)
    assert alone.pooled["units"] == 2 * 4 and both.pooled["units"] == 2 * 5
    m = turn_matrix(CODINGS, SEGMENTS, ["ana", "bea"], "Fairs")
    assert both.table.set_index("code").loc["Fairs", "cohen_kappa"] == pytest.approx(cohen_kappa_score(m[0], m[1]))
    assert "respondent turns" in alone.unit_words() and "respondent" not in both.unit_words()


def test_source_unit():
    table = agreement(CODINGS, SEGMENTS, ["ana", "bea"], unit="source").table.set_index("code")
    assert table.loc["Fairs", "yes by ana"] == 1 and table.loc["Fairs", "yes by bea"] == 2
    assert table.loc["Fairs", "units"] == 2


@pytest.mark.parametrize("seed", range(3))
def test_vectorised_characters_equal_the_plain_way_on_random_codings(seed):
    rng = np.random.default_rng(seed)
    starts = np.cumsum(rng.integers(5, 40, 30))
    segments = pd.DataFrame({"source_id": [1 + i // 10 for i in range(30)], "idx": [i % 10 for i in range(30)],
                             "start": [0] * 30, "end": [0] * 30, "role": ["interviewee"] * 30})
    for s in (1, 2, 3):                      # turns of each source laid out from 0, a blank line between
        rows = segments.index[segments["source_id"] == s]
        lengths = rng.integers(5, 40, len(rows))
        ends = np.cumsum(lengths + 2) - 2
        segments.loc[rows, "start"] = ends - lengths
        segments.loc[rows, "end"] = ends
    codings = []
    for coder in ("ana", "bea", "rui"):
        for _ in range(25):
            s = int(rng.integers(1, 4))
            hi = int(segments.loc[segments["source_id"] == s, "end"].max())
            a = int(rng.integers(0, hi - 1))
            codings.append(("X", coder, s, a, int(rng.integers(a + 1, min(hi, a + 60) + 1))))
    codings = spans(codings)
    coders = ["ana", "bea", "rui"]
    row = agreement(codings, segments, coders, unit="character").table.set_index("code").loc["X"]
    m = char_matrix(codings, segments, coders, "X")
    assert row["units"] == m.shape[1]
    assert row["krippendorff_alpha"] == pytest.approx(
        krippendorff.alpha(reliability_data=m.astype(float), level_of_measurement="nominal"))
    assert row["percent_agreement"] == pytest.approx(percent_agreement(m))
    assert starts.size                                            # (the random layout was used)


# -- what is compared ---------------------------------------------------------------------------

def _study():
    """Six one-turn interviews; ana codes every one with "Fairs"; bea codes the same except the
    last interview, which she skipped."""
    segments = pd.DataFrame({"source_id": range(1, 7), "idx": [0] * 6, "start": [0] * 6, "end": [40] * 6,
                             "role": ["interviewee"] * 6})
    ana = [("Fairs", "ana", s, 0, 20) for s in range(1, 7)] + [("Clients", "ana", s, 20, 40) for s in (1, 2)]
    bea = [("Fairs", "bea", s, 0, 20) for s in range(1, 6)] + [("Clients", "bea", s, 20, 40) for s in (1, 3)]
    return spans(ana + bea), segments


def test_a_skipped_interview_is_not_compared_and_is_listed_with_a_warning():
    codings, segments = _study()
    result = agreement(codings, segments, ["ana", "bea"], unit="source")
    assert result.basis == "coded" and result.compared == [1, 2, 3, 4, 5]
    assert result.excluded == [(6, "bea coded nothing in it")]
    assert any("mark sources done" in w for w in result.warnings) and any("1 source(s) not compared" in w
                                                                         for w in result.warnings)


def test_an_interview_marked_done_and_left_empty_counts_as_coded_nothing():
    codings, segments = _study()
    everything = {"ana": set(range(1, 7)), "bea": set(range(1, 7))}
    result = agreement(codings, segments, ["ana", "bea"], unit="source", done=everything)
    assert result.basis == "marked done" and result.compared == [1, 2, 3, 4, 5, 6] and result.excluded == []
    fairs = result.table.set_index("code").loc["Fairs"]
    assert fairs["yes by ana"] == 6 and fairs["yes by bea"] == 5
    assert fairs["percent_agreement"] == pytest.approx(5 / 6) and not fairs["percent_agreement"] == 1.0
    # ana all yes, bea one no: alpha as the krippendorff package computes it
    m = np.array([[1] * 6, [1] * 5 + [0]], dtype=float)
    assert np.isnan(fairs["cohen_kappa"]) == np.isnan(cohen_kappa_score(m[0], m[1]))
    assert fairs["krippendorff_alpha"] == pytest.approx(krippendorff.alpha(reliability_data=m,
                                                                           level_of_measurement="nominal"))


def test_marked_done_decides_when_anyone_marked_anything():
    codings, segments = _study()
    result = agreement(codings, segments, ["ana", "bea"], unit="turn",
                       done={"ana": set(range(1, 7)), "bea": {1, 2, 3}})
    assert result.basis == "marked done" and result.compared == [1, 2, 3]
    assert [s for s, _ in result.excluded] == [4, 5, 6] and "bea did not mark it done" in result.excluded[0][1]
    assert result.pooled["units"] == 2 * 3


def test_nothing_in_common_and_fewer_than_two_coders_are_refused():
    codings, segments = _study()
    with pytest.raises(AgreementProblem, match="no source was judged by every one"):
        agreement(codings, segments, ["ana", "bea"], done={"ana": {1}, "bea": {2}})
    with pytest.raises(AgreementProblem, match="at least two different coders"):
        agreement(codings, segments, ["ana"])
    with pytest.raises(AgreementProblem, match="unit must be"):
        agreement(codings, segments, ["ana", "bea"], unit="paragraph")


def test_disagreements_are_the_turns_where_coders_differ():
    d = disagreements(CODINGS, SEGMENTS, ["ana", "bea"], [1, 2], texts={1: "x" * 50, 2: "y" * 40})
    assert sorted(zip(d["source_id"], d["turn"], d["code"])) == [(1, 2, "Fairs"), (2, 0, "Clients"),
                                                                  (2, 0, "Fairs"), (2, 1, "Clients")]
    assert set(d.columns) >= {"ana", "bea", "text"}
