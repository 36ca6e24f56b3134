"""Off-topic sources: the relevance measure on its own, and a run that holds a source back (or,
when asked, does not) on the demo's coding with a real off-topic interview."""
from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import func, select

from tests.autocode.test_suggest import NEW, coded_project
from tests.paths import REPO
from workbench.autocode import relevance, suggest
from workbench.autocode.runs import undo_run
from workbench.autocode.units import Units
from workbench.config import LLMSettings
from workbench.db.models import Job, Suggestion


def _units(words_per_turn: list[int]) -> Units:
    n = len(words_per_turn)
    text = [" ".join(["w"] * w) for w in words_per_turn]
    return Units(source_id=np.ones(n, dtype=np.int64), start=np.arange(n) * 10_000, end=np.arange(n) * 10_000 + 1,
                 text=text, role=["interviewee"] * n, language=["en"] * n, question=np.full(n, -1),
                 source_name={1: "s"})


def test_the_best_stretch_counts_and_missing_scores_count_as_nothing():
    # 30 turns of 100 words; turns 20-24 hold two confident scores each, the rest nothing
    units = _units([100] * 30)
    best = {r: np.array([0.9, 0.9]) if 20 <= r < 25 else np.array([0.05]) for r in range(30)}
    assert relevance.source_relevance(units, range(30), best) == {1: pytest.approx(0.9)}
    # the same ten confident scores spread over the whole source: no stretch of 1,000 words holds them all
    spread = {r: np.array([0.9]) if r % 3 == 0 else np.array([0.05]) for r in range(30)}
    assert relevance.source_relevance(units, range(30), spread)[1] == pytest.approx((4 * 0.9 + 6 * 0.05) / 10)
    # fewer than ten scores in the best stretch: the missing count as 0
    few = {r: np.array([0.9]) if r == 3 else np.zeros(0) for r in range(30)}
    assert relevance.source_relevance(units, range(30), few)[1] == pytest.approx(0.09)


def test_the_last_turns_are_a_stretch_of_their_own_after_a_long_turn():
    # a 1,200-word turn off the topic, then five short answers on it: they are never in one stretch
    # with the long turn, and must still be measured
    units = _units([1200] + [50] * 5)
    best = {r: np.array([0.1]) if r == 0 else np.array([0.9, 0.9]) for r in range(6)}
    assert relevance.source_relevance(units, range(6), best)[1] == pytest.approx(0.9)
    units = _units([50] * 5 + [1200])
    best = {r: np.array([0.1]) if r == 5 else np.array([0.9, 0.9]) for r in range(6)}
    assert relevance.source_relevance(units, range(6), best)[1] == pytest.approx(0.9)


def test_a_source_in_one_long_turn_is_judged_by_that_turns_best_scores():
    # an interview pasted as one paragraph: one turn, two codes clearly there, the rest not
    units = _units([1800])
    best = {0: np.array([0.05] * 8 + [0.9, 0.92])}
    assert relevance.source_relevance(units, [0], best)[1] == pytest.approx(0.91)
    units = _units([600, 600, 600])                 # three long turns: six scores
    best = {r: np.array([0.05] * 8 + [0.9, 0.9]) for r in range(3)}
    assert relevance.source_relevance(units, range(3), best)[1] == pytest.approx(0.9)


def test_a_source_shorter_than_a_window_is_judged_by_its_share_of_scores():
    units = _units([100, 100])                       # 200 words: two of the ten scores
    best = {0: np.array([0.2, 0.8]), 1: np.array([0.1, 0.9])}
    assert relevance.source_relevance(units, [0, 1], best)[1] == pytest.approx(0.85)


def test_best_scores_are_each_rows_top_scores():
    prob = np.array([0.1, 0.5, 0.3, 0.9, 0.2, 0.4])        # two rows, three codes
    assert relevance.best_scores(prob, 3).tolist() == [[0.1, 0.3, 0.5], [0.2, 0.4, 0.9]]
    assert relevance.floor({1: 0.9, 2: 0.8}) == pytest.approx(relevance.FLOOR_SHARE * 0.8) and relevance.floor({}) is None


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    store, project_id, ids = coded_project(tmp_path_factory.mktemp("relevance"), {"new-textile": NEW},
                                           [REPO / "bench" / "data" / "offtopic-nurse-rostering.txt"])
    yield store, project_id, ids
    store.dispose()


def _run(store, project_id, ids, **kw):
    return suggest.run(store, project_id, 1, source_ids=[ids["new-textile"], ids["offtopic-nurse-rostering"]],
                       llm_settings=LLMSettings(), **kw)


def _by_source(store, run_id) -> dict[int, int]:
    with store.read() as s:
        return dict(s.execute(select(Suggestion.source_id, func.count(Suggestion.id))
                              .where(Suggestion.run_id == run_id).group_by(Suggestion.source_id)).all())


def test_an_off_topic_interview_is_held_back_and_the_run_says_so(project):
    store, project_id, ids = project
    nurse, on_topic = ids["offtopic-nurse-rostering"], ids["new-textile"]
    result = _run(store, project_id, ids)
    try:
        counts = _by_source(store, result.run_id)
        assert nurse not in counts and counts.get(on_topic, 0) >= 3
        note = next(n for n in result.notes if "look off topic" in n)
        assert "offtopic-nurse-rostering (" in note and "new-textile" not in note
        with store.read() as s:
            params = s.get(Job, result.run_id).params
        assert list(params["off_topic"]) == [str(nurse)]
        assert params["off_topic"][str(nurse)] < params["relevance_floor"] < relevance.FLOOR_SHARE
    finally:
        with store.write() as s:
            undo_run(s, project_id, result.run_id)


def test_keeping_off_topic_sources_gives_back_what_the_gate_held(project, monkeypatch):
    store, project_id, ids = project
    monkeypatch.setattr(relevance, "FLOOR_SHARE", 2.0)      # a floor above every source: all held back
    held = _run(store, project_id, ids)
    try:
        assert _by_source(store, held.run_id) == {} and held.suggestions == 0
        assert any("2 source(s) look off topic" in n for n in held.notes)
    finally:
        with store.write() as s:
            undo_run(s, project_id, held.run_id)
    kept = _run(store, project_id, ids, keep_off_topic=True)
    try:
        assert _by_source(store, kept.run_id).get(ids["new-textile"], 0) >= 3
        assert not any("look off topic" in n for n in kept.notes)
    finally:
        with store.write() as s:
            undo_run(s, project_id, kept.run_id)
