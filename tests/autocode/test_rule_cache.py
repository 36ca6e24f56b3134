"""The rules' hits kept in the project: a rerun matches only what changed, and finds the same."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, update

from workbench.autocode import rule_cache
from workbench.autocode import runs as run_store
from workbench.autocode.engine import Turn
from workbench.codebook.rules import parse_rule
from workbench.db.models import RuleHit


def _rule(phrases, code_id=1, **extra):
    rule = parse_rule({"phrases": phrases, **extra}, code=f"C{code_id}", index=0, default_languages=["en", "pt"])
    rule.code_id = code_id
    return rule


TURNS = [Turn(1, 0, "We went to a trade fair in Paris.", "interviewee", "en"),
         Turn(1, 40, "Nothing about that here.", "interviewee", "en"),
         Turn(1, 70, "The trade fairs cost a lot. Another trade fair later.", "interviewee", "en"),
         Turn(2, 0, "Fomos a uma feira em Paris.", "interviewee", "pt")]
RULES = [_rule(["trade fair"], 1, language="en"), _rule(["feira"], 2, language="pt")]


def _key(proposals):
    return sorted((p.source_id, p.code_id, p.start, p.end, p.rule, p.matched) for p in proposals)


@pytest.fixture
def counted(monkeypatch):
    """The turns handed to the matcher, run by run."""
    seen: list[list[Turn]] = []
    real = rule_cache.match_rules

    def spy(turns, *args, **kwargs):
        seen.append(list(turns))
        return real(turns, *args, **kwargs)
    monkeypatch.setattr(rule_cache, "match_rules", spy)
    return seen


def test_a_rerun_reads_the_hits_and_finds_exactly_what_matching_finds(store, project, counted):
    direct = run_store.match_rules(TURNS, RULES, {})
    assert len(direct) == 4                        # three English hits, one Portuguese
    first = rule_cache.match(store, project[0], TURNS, RULES, {})
    assert _key(first) == _key(direct) and len(counted) == 1
    with store.read() as s:
        assert s.scalar(select(func.count(RuleHit.id))) == len(TURNS)      # turns without hits are kept too
    again = rule_cache.match(store, project[0], TURNS, RULES, {})
    assert _key(again) == _key(direct)
    assert len(counted) == 1                       # nothing matched again


def test_a_corrected_turn_is_matched_again_and_nothing_else(store, project, counted):
    rule_cache.match(store, project[0], TURNS, RULES, {})
    corrected = list(TURNS)
    corrected[1] = Turn(1, 40, "Then a trade fair again.", "interviewee", "en")
    found = rule_cache.match(store, project[0], corrected, RULES, {})
    assert [t.text for t in counted[-1]] == ["Then a trade fair again."]
    assert _key(found) == _key(run_store.match_rules(corrected, RULES, {}))
    # the role is part of what a rule sees: the same text said by the other speaker is matched again
    asked = [Turn(1, 0, TURNS[0].text, "interviewer", "en")]
    rule_cache.match(store, project[0], asked, RULES, {})
    assert counted[-1] == asked


def test_changed_rules_match_every_turn_again(store, project, counted):
    rule_cache.match(store, project[0], TURNS, RULES, {})
    wider = [_rule(["trade fair", "nothing"], 1, language="en"), RULES[1]]
    found = rule_cache.match(store, project[0], TURNS, wider, {})
    assert len(counted[-1]) == 3                   # the English turns; Portuguese rules did not change
    assert _key(found) == _key(run_store.match_rules(TURNS, wider, {}))
    assert any(p.matched == "Nothing" for p in found)


def test_only_the_newest_fingerprints_of_a_language_are_kept(store, project):
    for n in range(rule_cache.KEPT_FINGERPRINTS + 2):
        rule_cache.match(store, project[0], TURNS[:1], [_rule(["trade fair", f"word{n}"], 1)], {})
    with store.read() as s:
        kept = s.scalars(select(RuleHit.fingerprint).distinct()).all()
    assert len(kept) == rule_cache.KEPT_FINGERPRINTS
    newest = rule_cache.fingerprint([_rule(["trade fair", f"word{rule_cache.KEPT_FINGERPRINTS + 1}"], 1)], "en")
    assert newest in kept


def test_within_applies_to_kept_hits_as_well(store, project):
    rule = _rule(["trade fair"], 1)
    rule.within = "7"
    inside = {7: [(1, 0, 20)]}                      # only the first turn lies inside a coding of code 7
    for _ in range(2):
        found = rule_cache.match(store, project[0], TURNS, [rule], inside)
        assert [(p.source_id, p.start) for p in found] == [(1, 0)]


def test_a_turn_where_a_regex_timed_out_is_not_kept(store, project, counted):
    rule = parse_rule({"regex": "aa", "unit": "match"}, code="X", index=0, default_languages=["en"])
    rule.regexes = ["(a|aa)+$"]               # backtracks exponentially: the timeout ends it
    rule.code_id = 1
    turns = [Turn(1, 0, "a" * 60 + "b", None, "en")]
    notes: list[str] = []
    assert rule_cache.match(store, project[0], turns, [rule], {}, notes=notes) == [] and notes
    with store.read() as s:
        assert s.scalar(select(func.count(RuleHit.id))) == 0


def test_a_kept_hit_that_does_not_fit_the_turn_or_the_rules_is_matched_again(store, project, counted):
    """The table comes back with a restored project, whatever its file held: a hit naming another
    code, reaching outside its turn, or not JSON at all is not trusted."""
    rule_cache.match(store, project[0], TURNS[:1], RULES, {})
    key = rule_cache.turn_hash(TURNS[0])
    for planted in ('[[999, 0, 10, "C1 #1", "x"]]', '[[1, -100, 100000, "C1 #1", "x"]]', "not json", "[[1, 0]]"):
        with store.write() as s:
            s.execute(update(RuleHit).where(RuleHit.turn_hash == key).values(hits=planted))
        found = rule_cache.match(store, project[0], TURNS[:1], RULES, {})
        assert counted[-1] == TURNS[:1]                 # matched again
        assert _key(found) == _key(run_store.match_rules(TURNS[:1], RULES, {}))


def test_two_runs_storing_the_same_turns_in_opposite_orders_do_not_deadlock(store, project, monkeypatch):
    """Many interviews hold the same "Yes." or "Okay.": two runs that store them at the same time,
    in opposite orders, once deadlocked on PostgreSQL. Rows are now stored in key order."""
    texts = [f"Answer number {i}." for i in range(3000)]
    first = [Turn(1, i * 100, t, "interviewee", "en") for i, t in enumerate(texts)]
    second = [Turn(2, i * 100, t, "interviewee", "en") for i, t in enumerate(reversed(texts))]
    together = threading.Barrier(2, timeout=120)

    def store_all_at_once(turns, rules, inside, progress=None, notes=None, on_chunk=None):
        on_chunk(turns, [], False)
        together.wait()                             # both runs reach their write together
        return []
    monkeypatch.setattr(rule_cache, "match_rules", store_all_at_once)
    errors: list[BaseException] = []

    def run(turns):
        try:
            rule_cache.match(store, project[0], turns, RULES[:1], {})
        except BaseException as exc:               # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
    threads = [threading.Thread(target=run, args=(turns,)) for turns in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert errors == []
    with store.read() as s:
        assert s.scalar(select(func.count(RuleHit.id))) == len(texts)
