"""Deductive autocoding: rules validated at load time, suggestions with provenance, review, undo."""
from __future__ import annotations

import textwrap

import pandas as pd
import pytest
from sqlalchemy import func, select

from tests.paths import REPO
from workbench.autocode import runs as run_store
from workbench.autocode.engine import Turn
from workbench.autocode.evaluation import evaluate, evaluation_inputs, judged_sources, run_source_ids
from workbench.autocode.review import pending, review
from workbench.autocode.runs import undo_run
from workbench.codebook.format import check_text
from workbench.codebook.rules import RuleProblem, check_regex, parse_rule
from workbench.codebook.storage import store_codebook
from workbench.corpus.importing import import_files
from workbench.db.models import Coder, Coding, Source, Suggestion

CODEBOOK = textwrap.dedent("""\
    workbench_codebook: 1
    name: Fairs and costs
    languages: [en, pt]
    codes:
      - name: Trade fairs
        definition: Talk about trade fairs.
        rules:
          - id: fairs-en
            language: en
            phrases: [trade fair, exhibition]
            speaker_role: interviewee
            exclude: [never go]
          - id: fairs-pt
            language: pt
            regex: '\\bfeiras?\\b'
            speaker_role: interviewee
      - name: Shared costs
        definition: Sharing costs with others.
        rules:
          - id: share-cost
            language: en
            patterns:
              - [{LEMMA: share}, {LOWER: {IN: [the, our]}, OP: "?"}, {LEMMA: cost}]
            unit: match
      - name: Costs inside fairs
        definition: Costs, only where fairs are coded.
        rules:
          - id: cost-in-fairs
            language: en
            phrases: [cost]
            within: Trade fairs
    """)

INTERVIEW_EN = ("Interviewer: Do you go to trade fairs?\n\n"
                "Ana Sá: Yes, every trade fair in Paris. We shared the costs with two firms. The cost was high.\n\n"
                "Interviewer: And exhibitions?\n\n"
                "Ana Sá: We never go to an exhibition now. Our costs are lower.\n")
INTERVIEW_PT = ("Entrevistador: Vão a feiras?\n\nRui Lima: Sim, a feira de Paris é importante.\n\n"
                "Entrevistador: Obrigado.\n\nRui Lima: De nada.\n")


@pytest.fixture
def study(store, project, tmp_path):
    project_id, coder_id = project
    spec, problems = check_text(CODEBOOK, "fairs.yaml")
    assert problems == []
    with store.write("cb", project_id=project_id, coder_id=coder_id) as s:
        store_codebook(s, project_id, spec)
    (tmp_path / "en.txt").write_text(INTERVIEW_EN, encoding="utf-8")
    (tmp_path / "pt.txt").write_text(INTERVIEW_PT, encoding="utf-8")
    import_files(store, project_id, coder_id, [tmp_path / "en.txt"], language="en")
    import_files(store, project_id, coder_id, [tmp_path / "pt.txt"], language="pt")
    return store, project_id, coder_id


def suggestions(store):
    with store.read() as s:
        return sorted((x.code.name if hasattr(x, "code") else x.code_id, s.get(Source, x.source_id).text[x.start:x.end],
                       x.rule) for x in s.scalars(select(Suggestion)))


def _names(store):
    from workbench.db.models import Code
    with store.read() as s:
        names = dict(s.execute(select(Code.id, Code.name)).all())
        return sorted((names[x.code_id], s.get(Source, x.source_id).text[x.start:x.end], x.rule)
                      for x in s.scalars(select(Suggestion)))


def test_a_run_proposes_with_provenance_and_restrictions(study):
    store, project_id, coder_id = study
    result = run_store.run(store, project_id, coder_id)
    got = _names(store)
    assert ("Trade fairs", "Yes, every trade fair in Paris.", "fairs-en") in got
    assert not any("Do you go to trade fairs" in t for _, t, _ in got)           # interviewer: role restriction
    assert not any("never go to an exhibition" in t for _, t, _ in got)          # vetoed by exclude
    assert ("Shared costs", "shared the costs", "share-cost") in got              # token pattern, unit = words
    assert ("Trade fairs", "Sim, a feira de Paris é importante.", "fairs-pt") in got   # Portuguese regex
    assert not any(code == "Costs inside fairs" for code, _, _ in got)            # nothing coded "Trade fairs" yet
    assert result.suggestions == len(got)
    with store.read() as s:
        assert s.scalar(select(func.count(Coding.id))) == 0                         # never silent codings


def test_accept_reject_rerun_and_undo(study):
    store, project_id, coder_id = study
    first = run_store.run(store, project_id, coder_id)
    with store.read() as s:
        queue = pending(s, project_id, run_id=first.run_id)
    fairs = [r["id"] for r in queue if r["rule"] == "fairs-en"]
    others = [r["id"] for r in queue if r["rule"] != "fairs-en"]
    with store.write("review", project_id=project_id, coder_id=coder_id) as s:
        assert review(s, project_id, fairs, accept=True, coder=s.get(Coder, coder_id)).changed == len(fairs)
        review(s, project_id, others, accept=False, coder=s.get(Coder, coder_id))
    with store.read() as s:
        codings = list(s.scalars(select(Coding)))
        assert [(c.origin.value, c.run_id) for c in codings] == [("autocode", first.run_id)] * len(fairs)
    with store.write("code the turn", project_id=project_id, coder_id=coder_id) as s:   # a person codes a turn
        from workbench.codebook.lookup import find_code
        from workbench.coding.codings import apply_code
        src = s.scalar(select(Source).where(Source.name == "en"))
        turn = src.segments[1]
        apply_code(s, src, find_code(s, project_id, "Trade fairs").id, s.get(Coder, coder_id), turn.start, turn.end)
    second = run_store.run(store, project_id, coder_id)           # nothing already decided comes back...
    assert second.skipped_known >= len(queue)
    with store.read() as s:
        new = pending(s, project_id, run_id=second.run_id)
    assert sorted(r["text"] for r in new) == ["The cost was high.", "We shared the costs with two firms."]
    assert {r["code"] for r in new} == {"Costs inside fairs"}       # "only inside code X"
    with store.write() as s:                                      # ...and a run undoes in one step
        undone = undo_run(s, project_id, first.run_id)
    assert undone == {"codings": len(fairs), "suggestions": len(queue), "actions_discarded": 1}
    with store.read() as s:
        assert [c.origin.value for c in s.scalars(select(Coding))] == ["manual"]   # the person's coding stays
    # The review of the removed run left the undo stack: Undo reaches the person's coding, then the
    # loading of the sources (it failed with UndoConflict on the review before).
    from workbench.db import history
    with store.write() as s:
        assert history.undo(s, project_id, coder_id).action == "code the turn"
    with store.read() as s:
        assert s.scalar(select(func.count(Coding.id))) == 0
    with store.write() as s:
        assert history.undo(s, project_id, coder_id).action != "review"


def test_evaluation_counts_what_a_person_coded_exactly_as_a_rule_would(study):
    """A span already coded by hand is not proposed again, but it is a hit of the rule: the
    evaluation of the run counts it (it used to be a miss, so recall looked lower than it was)."""
    from workbench.codebook.lookup import find_code
    from workbench.coding.codings import apply_code
    store, project_id, coder_id = study
    with store.write("code by hand", project_id=project_id, coder_id=coder_id) as s:
        src = s.scalar(select(Source).where(Source.name == "en"))
        start = src.text.index("Yes, every trade fair in Paris.")
        apply_code(s, src, find_code(s, project_id, "Trade fairs").id, s.get(Coder, coder_id),
                   start, start + len("Yes, every trade fair in Paris."))
        en_id = src.id
    run = run_store.run(store, project_id, coder_id, source_ids=[en_id])
    assert run.skipped_known == 1
    assert ("Trade fairs", "Yes, every trade fair in Paris.", "fairs-en") not in _names(store)   # not stored twice
    with store.read() as s:
        pred, gold, segments, texts = evaluation_inputs(s, project_id, run.run_id, [coder_id])
    scores, fps, misses = evaluate(pred, gold, segments, texts)
    fairs = scores.set_index("code").loc["Trade fairs"]
    assert fairs["turn_recall"] == 1.0 and fairs["char_recall"] == 1.0 and misses.empty


def test_accuracy_scores_only_the_sources_the_truth_coder_judged(study):
    """One hand coding in one source as the truth: a run over both sources is scored on that
    source only (the other one's suggestions were counted as false positives before)."""
    from workbench.codebook.lookup import find_code
    from workbench.coding.codings import apply_code
    from workbench.coding.status import set_done
    store, project_id, coder_id = study
    with store.write("code by hand", project_id=project_id, coder_id=coder_id) as s:
        src = s.scalar(select(Source).where(Source.name == "en"))
        start = src.text.index("Yes, every trade fair in Paris.")
        apply_code(s, src, find_code(s, project_id, "Trade fairs").id, s.get(Coder, coder_id), start, start + 31)
        en_id, pt_id = src.id, s.scalar(select(Source.id).where(Source.name == "pt"))
    run = run_store.run(store, project_id, coder_id)
    with store.read() as s:
        assert judged_sources(s, run_source_ids(s, project_id, run.run_id), [coder_id]) == [en_id]
        pred, gold, segments, texts = evaluation_inputs(s, project_id, run.run_id, [coder_id])
    assert set(pred["source_id"]) == {en_id} and set(segments["source_id"]) == {en_id}
    # Marked finished without codings: judged (nothing applies there), so its suggestions are wrong.
    with store.write("done", project_id=project_id, coder_id=coder_id) as s:
        set_done(s, project_id, pt_id, coder_id)
    with store.read() as s:
        pred, gold, segments, texts = evaluation_inputs(s, project_id, run.run_id, [coder_id])
    scores, fps, _ = evaluate(pred, gold, segments, texts)
    assert pt_id in set(fps["source_id"])


@pytest.mark.parametrize("rule,needle", [
    ({"regex": "(unclosed"}, "is invalid"),
    ({"regex": "a*"}, "matches the empty string"),
    ({"regex": "(a+)+b"}, "repeats a group that holds a repetition"),
    ({"regex": "((a+))+b"}, "repeats a group that holds a repetition"),
    ({"regex": "(a+){1,1000}b"}, "repeats a group that holds a repetition"),
    ({"regex": "(.*e){14}\\d{2}"}, "repeats a group that holds a repetition"),
    ({"regex": "(a|aa)*b"}, "repeats alternatives that can match the same text"),
    ({"regex": "(\\w|_)+x"}, "repeats alternatives that can match the same text"),
    ({"patterns": [[{"LEMA": "fair"}]]}, "unknown token attribute 'LEMA'"),
    ({"patterns": [[{"LOWER": "x", "OP": "?"}]]}, "matches the empty string"),
    ({"phrases": ["feira"], "language": "xx"}, "no language pipeline for 'xx'"),
    ({"phrases": ["x"], "unit": "paragraph"}, "unit must be"),
    ({"speaker_role": "boss", "phrases": ["x"]}, "speaker_role 'boss'"),
    ({}, "needs phrases, patterns or regex"),
])
def test_bad_rules_are_refused_at_load_with_file_and_line(rule, needle):
    import yaml
    text = CODEBOOK.replace("    rules:\n", "    rules:\n      - " + yaml.safe_dump(rule, default_flow_style=True).strip()
                            + "\n", 1)
    spec, problems = check_text(text, "fairs.yaml")
    assert spec is None and len(problems) == 1
    assert problems[0].file == "fairs.yaml" and problems[0].line == 8 and needle in problems[0].message


def test_catastrophic_regex_is_stopped_by_the_timeout_and_the_run_says_so():
    """A regex the load-time check missed (put in place here behind the check's back) backtracks
    exponentially: the timeout ends it on that turn, the next turn still matches, and the notes
    of the run name the rule and how many turns it gave up on."""
    from workbench.autocode.runs import match_rules
    rule = parse_rule({"regex": "aa", "unit": "match"}, code="X", index=0, default_languages=["en"])
    rule.regexes = ["(a|aa)+$"]
    rule.code_id = 1
    notes: list[str] = []
    # Without the timeout this never returns (about 10^12 steps); the suite's timeout would fail it.
    found = match_rules([Turn(1, 0, "a" * 60 + "b", None, "en"), Turn(1, 100, "aaa", None, "en")], [rule], {},
                        notes=notes)
    assert [(p.start, p.end) for p in found] == [(100, 103)]      # the bad turn gave up, the next one matched
    assert notes == [f"rule {rule.id} timed out on 1 turn(s) and proposed nothing there: rewrite its regex"]


@pytest.mark.parametrize("pattern", [r"\b(competitors?|compete|rivals?)", r"(?:foo|bar)+", r"(a++)+b", r"(?>a+)+b",
                                     r"(ab){2,3}", r"(?:\s|,)+", r"[(a+)+]", r"\(a+\)+", r"(?:\w+\s+){0,5}fair",
                                     r"(a+b+)+c"])
def test_safe_shapes_pass_the_backtracking_check(pattern):
    check_regex(pattern)


def test_parse_rule_defaults():
    rule = parse_rule({"phrases": ["feira"]}, code="Fairs", index=0, default_languages=["pt"])
    assert (rule.id, rule.unit, rule.match_on, set(rule.languages)) == ("Fairs #1", "sentence", "lemma", {"pt"})
    with pytest.raises(RuleProblem):
        check_regex("(x|y)*+")


def test_evaluation_per_code_at_turn_and_character_level():
    segments = pd.DataFrame({"source_id": [1, 1, 1], "idx": [0, 1, 2], "start": [0, 20, 40], "end": [19, 39, 60]})
    gold = pd.DataFrame({"source_id": [1, 1], "code": ["A", "A"], "start": [0, 40], "end": [10, 50]})
    pred = pd.DataFrame({"source_id": [1, 1], "code": ["A", "A"], "start": [5, 20], "end": [15, 30]})
    scores, fps, misses = evaluate(pred, gold, segments, {1: "x" * 60})
    a = scores.set_index("code").loc["A"]
    assert (a["turn_precision"], a["turn_recall"]) == (0.5, 0.5)
    assert a["char_precision"] == pytest.approx(5 / 20) and a["char_recall"] == pytest.approx(5 / 20)
    assert fps["turn"].tolist() == [1] and misses["turn"].tolist() == [2]


def test_the_gold_set_applies_to_the_demo(demo_store):
    """The hand-coded gold set: every quote found in its demo interview, codes of the shipped codebooks."""

    import yaml

    from workbench.coding.quotes_import import codings_from_quotes
    from workbench.project.coders import get_or_create_coder
    store, project_id = demo_store
    gold = yaml.safe_load((REPO / "transcripts" / "demo-gold.yaml").read_text(encoding="utf-8"))
    with store.write() as s:
        created = codings_from_quotes(s, project_id, gold["codings"], get_or_create_coder(s, "gold"), file="demo-gold.yaml")
    assert created == len(gold["codings"]) > 300
    with store.write() as s, pytest.raises(Exception, match="quote not found"):
        codings_from_quotes(s, project_id, [{**gold["codings"][0], "quote": "words nobody said"}],
                            get_or_create_coder(s, "gold"))
