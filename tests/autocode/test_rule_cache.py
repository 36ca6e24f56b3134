"""The rules' hits kept in the project: a rerun matches only what changed, and finds the same."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

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


def test_a_rerun_reads_the_hits_and_finds_exactly_what_matching_finds(store, counted):
    direct = run_store.match_rules(TURNS, RULES, {})
    assert len(direct) == 4                        # three English hits, one Portuguese
    first = rule_cache.match(store, TURNS, RULES, {})
    assert _key(first) == _key(direct) and len(counted) == 1
    with store.read() as s:
        assert s.scalar(select(func.count(RuleHit.id))) == len(TURNS)      # turns without hits are kept too
    again = rule_cache.match(store, TURNS, RULES, {})
    assert _key(again) == _key(direct)
    assert len(counted) == 1                       # nothing matched again


def test_a_corrected_turn_is_matched_again_and_nothing_else(store, counted):
    rule_cache.match(store, TURNS, RULES, {})
    corrected = list(TURNS)
    corrected[1] = Turn(1, 40, "Then a trade fair again.", "interviewee", "en")
    found = rule_cache.match(store, corrected, RULES, {})
    assert [t.text for t in counted[-1]] == ["Then a trade fair again."]
    assert _key(found) == _key(run_store.match_rules(corrected, RULES, {}))
    # the role is part of what a rule sees
    asked = [Turn(1, 0, TURNS[0].text, "interviewer", "en")]
    rule_cache.match(store, asked, [_rule(["trade fair"], 1, speaker_role="interviewee")], {})
    assert counted[-1] == asked


def test_changed_rules_match_every_turn_again(store, counted):
    rule_cache.match(store, TURNS, RULES, {})
    wider = [_rule(["trade fair", "nothing"], 1, language="en"), RULES[1]]
    found = rule_cache.match(store, TURNS, wider, {})
    assert len(counted[-1]) == 3                   # the English turns; Portuguese rules did not change
    assert _key(found) == _key(run_store.match_rules(TURNS, wider, {}))
    assert any(p.matched == "Nothing" for p in found)


def test_only_the_newest_fingerprints_of_a_language_are_kept(store):
    for n in range(rule_cache.KEPT_FINGERPRINTS + 2):
        rule_cache.match(store, TURNS[:1], [_rule(["trade fair", f"word{n}"], 1)], {})
    with store.read() as s:
        kept = s.scalars(select(RuleHit.fingerprint).distinct()).all()
    assert len(kept) == rule_cache.KEPT_FINGERPRINTS
    newest = rule_cache.fingerprint([_rule(["trade fair", f"word{rule_cache.KEPT_FINGERPRINTS + 1}"], 1)], "en")
    assert newest in kept


def test_within_applies_to_kept_hits_as_well(store):
    rule = _rule(["trade fair"], 1)
    rule.within = "7"
    inside = {7: [(1, 0, 20)]}                      # only the first turn lies inside a coding of code 7
    for _ in range(2):
        found = rule_cache.match(store, TURNS, [rule], inside)
        assert [(p.source_id, p.start) for p in found] == [(1, 0)]


def test_a_turn_where_a_regex_timed_out_is_not_kept(store, counted):
    rule = parse_rule({"regex": "aa", "unit": "match"}, code="X", index=0, default_languages=["en"])
    rule.regexes = ["(a|aa)+$"]               # backtracks exponentially: the timeout ends it
    rule.code_id = 1
    turns = [Turn(1, 0, "a" * 60 + "b", None, "en")]
    notes: list[str] = []
    assert rule_cache.match(store, turns, [rule], {}, notes=notes) == [] and notes
    with store.read() as s:
        assert s.scalar(select(func.count(RuleHit.id))) == 0
