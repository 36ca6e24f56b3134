"""Search by meaning: turns ranked by their closest sentence, English sources only (and said so),
embeddings computed once and again only for corrected text."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from workbench.autocode.search import search
from workbench.corpus.correction import correct_segment
from workbench.corpus.importing import import_files
from workbench.db.models import Embedding, Source
from workbench.errors import NotFound

EN = ("Interviewer: How do you find buyers abroad?\n\n"
      "Respondent: Mostly at trade fairs. Last year we split the stand in Frankfurt with two other weavers, "
      "so each of us paid a third of it.\n\n"
      "Interviewer: And at home?\n\n"
      "Respondent: My daughter plays the violin and I drive her to lessons on Saturdays.\n\n"
      "Interviewer: Anything about staff?\n\n"
      "Respondent: Finding people who speak English properly is our real problem.\n")
PT = "Entrevistador: E as feiras?\n\nRespondente: Dividimos o stand com outras empresas.\n"


@pytest.fixture
def sources(store, project, tmp_path):
    project_id, coder_id = project
    (tmp_path / "weaver.txt").write_text(EN, encoding="utf-8")
    (tmp_path / "pt.txt").write_text(PT, encoding="utf-8")
    import_files(store, project_id, coder_id, [tmp_path / "weaver.txt"], language="en")
    import_files(store, project_id, coder_id, [tmp_path / "pt.txt"], language="pt")
    return store, project_id, coder_id


def test_the_turn_about_sharing_a_stand_comes_first_whatever_its_words(sources):
    store, project_id, _ = sources
    result = search(store, project_id, "sharing the cost of a booth at an exhibition", limit=3)
    top = result.hits[0]
    assert top.source == "weaver" and "split the stand" in top.text
    sentence = top.text[top.sentence_start - top.start:top.sentence_end - top.start]
    assert top.start <= top.sentence_start < top.sentence_end <= top.end and sentence in top.text.split("\n")[0]
    assert sentence in ("Mostly at trade fairs.", "Last year we split the stand in Frankfurt with two other weavers, "
                                                  "so each of us paid a third of it.")
    assert [h.score for h in result.hits] == sorted((h.score for h in result.hits), reverse=True)
    assert result.left_out == ["pt"] and all(h.source != "pt" for h in result.hits)
    assert search(store, project_id, "language skills of employees", limit=1).hits[0].text.startswith("Finding people")
    respondents = search(store, project_id, "buyers abroad", limit=10, roles=["interviewee"])
    assert all(h.role == "interviewee" for h in respondents.hits) and len(respondents.hits) == 3
    with pytest.raises(NotFound, match="type what"):
        search(store, project_id, "   ")


def test_a_corrected_turn_is_embedded_again_and_nothing_else(sources):
    store, project_id, coder_id = sources
    search(store, project_id, "fairs")
    with store.read() as s:
        before = s.scalar(select(func.count(Embedding.id)))
        src = s.scalar(select(Source).where(Source.name == "weaver"))
        seg = next(g for g in src.segments if "violin" in src.text[g.start:g.end])
        idx, new = seg.idx, src.text[seg.start:seg.end].replace("violin", "cello")
    with store.write("fix", project_id=project_id, coder_id=coder_id) as s:
        correct_segment(s, project_id, "weaver", idx, new)
    hits = search(store, project_id, "playing the cello", limit=1).hits
    assert "cello" in hits[0].text
    with store.read() as s:
        assert s.scalar(select(func.count(Embedding.id))) == before + 1
