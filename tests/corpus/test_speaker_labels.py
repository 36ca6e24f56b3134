"""The speaker-label grammar (docs/transcript-formats.md) on a corpus of the styles real
transcripts use: every file's turns, speakers and roles as tests/fixtures/speaker_labels/
expected.yaml says, and the labels the import could not place named with who asks most."""
from __future__ import annotations

import pytest
import yaml

from tests.paths import FIXTURES
from workbench.corpus.parsers import parse_bytes
from workbench.corpus.speakers import plan_roles

CORPUS = FIXTURES / "speaker_labels"
EXPECTED = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_turns_speakers_and_roles(name):
    parsed = parse_bytes((CORPUS / name).read_bytes(), name)
    plan = plan_roles([(seg.speaker, seg.text) for seg in parsed.segments])
    got = [[seg.speaker or "", (plan.roles.get(seg.speaker).value if plan.roles.get(seg.speaker) else ""),
            seg.text] for seg in parsed.segments]
    want = EXPECTED[name]["turns"]
    assert [g[:2] for g in got] == [w[:2] for w in want], name
    for (_, _, text), (_, _, start) in zip(got, want):
        assert text.startswith(start) and (start or not text), (name, text, start)
    assert plan.unplaced == EXPECTED[name]["unplaced"]
    assert plan.asks_most == EXPECTED[name].get("asks_most")
    if plan.unplaced:
        assert "Speakers tab" in plan.note() and all(label in plan.note() for label in plan.unplaced)


def test_the_corpus_covers_every_file():
    assert sorted(EXPECTED) == sorted(p.name for p in CORPUS.iterdir() if p.name != "expected.yaml")


def test_the_import_names_unplaced_speakers_and_the_speakers_tab_says_it_again(store, project):
    from workbench.corpus.importing import import_files
    from workbench.corpus.sources import get_source
    from workbench.corpus.speakers import role_suggestion, set_speaker_role
    project_id, coder_id = project
    results, _ = import_files(store, project_id, coder_id, [CORPUS / "three-people-unknown-roles.txt",
                                                            CORPUS / "numbered-interviewers.txt"])
    notes = {r.name: r.speaker_note for r in results}
    assert "no role for Joana, Pedro, Rita" in notes["three-people-unknown-roles"]
    assert "Joana asks the most questions" in notes["three-people-unknown-roles"]
    assert notes["numbered-interviewers"] == ""
    with store.write("role", project_id=project_id, coder_id=coder_id) as s:
        set_speaker_role(s, project_id, "three-people-unknown-roles", "Joana", "interviewer")
    with store.read() as s:
        said = role_suggestion(s, get_source(s, project_id, "three-people-unknown-roles"))
        assert "no role for Pedro, Rita" in said and "asks the most" not in said      # no questions: no guess
        assert role_suggestion(s, get_source(s, project_id, "numbered-interviewers")) == ""
