"""Turns as the suggesters see them: sentences, the question before an answer, what the coding
says about each turn (codes, rejected suggestions, which codebooks a source was coded with)."""
from __future__ import annotations

import numpy as np

from workbench.autocode.units import Units, coded_turns, load_units, split_sentences
from workbench.codebook.lookup import find_code
from workbench.coding.codings import apply_code
from workbench.corpus.importing import import_files
from workbench.db.models import Coder, Job, JobStatus, Source, Suggestion, SuggestionStatus


def _units(texts: list[str]) -> Units:
    starts = np.cumsum([0] + [len(t) + 2 for t in texts])[:-1]
    return Units(source_id=np.ones(len(texts), dtype=np.int64), start=starts,
                 end=starts + np.array([len(t) for t in texts]), role=["interviewee"] * len(texts),
                 language=["en"] * len(texts), text=texts, question=np.full(len(texts), -1))


def test_sentences_keep_source_offsets_and_never_stand_alone_when_short():
    units = _units(["Intro turn here.", "Yes. We went to the fair in Paris. Well, hm. It cost a lot of money!\nNext line here too"])
    sentences = split_sentences(units)
    texts = [sentences.text[i] for i in range(len(sentences)) if sentences.row[i] == 1]
    assert texts == ["Yes. We went to the fair in Paris.", "Well, hm. It cost a lot of money!", "Next line here too"]
    full = "Intro turn here.\n\n" + units.text[1]
    for i in range(len(sentences)):
        assert full[sentences.start[i]:sentences.end[i]] == sentences.text[i]
    assert list(sentences.row) == sorted(sentences.row)                 # grouped by turn, in order


def test_units_know_the_question_and_the_coding_of_each_turn(store, project, interview, codebook_id):
    project_id, coder_id = project
    import_files(store, project_id, coder_id, [interview])
    with store.write("code", project_id=project_id, coder_id=coder_id) as s:
        src = s.query(Source).one()
        code = find_code(s, project_id, "Provider of services to associates")
        other = find_code(s, project_id, "Disseminator of information and competences")
        stand = src.text.index("They shared the stand")
        apply_code(s, src, code.id, s.get(Coder, coder_id), stand, stand + 10)
        run = Job(project_id=project_id, kind="autocode", coder_id=coder_id, status=JobStatus.done)
        s.add(run)
        s.flush()
        s.add(Suggestion(run_id=run.id, source_id=src.id, code_id=other.id, start=stand, end=stand + 5,
                         status=SuggestionStatus.rejected))
        s.add(Suggestion(run_id=run.id, source_id=src.id, code_id=code.id, start=stand, end=stand + 5,
                         status=SuggestionStatus.rejected))
    with store.read() as s:
        units = load_units(s, [src.id])
        coded = coded_turns(s, project_id, units)
    assert len(units) == 4 and units.role == ["interviewer", "interviewee", "interviewer", "interviewee"]
    assert list(units.question) == [-1, 0, 0, 2]                     # each answer knows the question before it
    assert list(units.answers()) == [False, True, False, True]
    answer = units.row_of(src.id, stand)
    assert answer == 3
    assert coded.labels == {3: {code.id}} and coded.rejected == {3: {other.id}}   # a rejection where a code is on the turn is not one
    assert coded.known(3, src.id, code.id) is True and coded.known(3, src.id, other.id) is False
    assert coded.known(1, src.id, code.id) is False                  # the codebook was applied to this source
    assert coded.spans[3] == [(code.id, stand, stand + 10)]
