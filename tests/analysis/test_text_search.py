"""Text search (keyword in context, code every hit) and word frequencies, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from workbench.analysis.text_search import code_hits, compile_query, fold, parse_query, text_search
from workbench.analysis.word_frequencies import lemma_of, word_frequencies
from workbench.codebook.lookup import find_code
from workbench.corpus.importing import import_files
from workbench.db.history import undo
from workbench.db.models import Coder, Coding
from workbench.errors import InvalidQuery


def test_query_terms_phrases_prefixes_and_bad_queries():
    assert parse_query('fair "trade  fair" neg*  fair') == ["fair", "trade fair", "neg*"]
    assert parse_query("“stand”") == ["stand"]
    for bad, says in [("  ", "type a word"), ('"open', "not closed"), ("*", "lone"), ("w " * 30, "at most 20")]:
        with pytest.raises(InvalidQuery, match=says):
            parse_query(bad)


def test_fold_keeps_length_and_drops_accents_and_case():
    for text in ["Negócio À FEIRA", "İstanbul ﬁne", "Ærø straße"]:
        assert len(fold(text)) == len(text)
    assert fold("Negócio À FEIRA") == "negocio a feira"
    _, pattern = compile_query("negocio")
    assert pattern.search(fold("o nosso NEGÓCIO é"))


def test_hits_respect_word_edges_roles_and_turns(store, project, interview):
    project_id, coder_id = project
    import_files(store, project_id, coder_id, [interview])
    with store.read() as s:
        fair = text_search(s, project_id, "feira")
        assert [(h.turn, fair.kwic(h)[1]) for h in fair.hits] == [(1, "feira")]
        left, match, right = fair.kwic(fair.hits[0])
        assert left.endswith("Então fomos à ") and right.startswith(" 👍 em Frankfurt")
        # "the" is a whole word: not inside "they" or "there"; prefixes find every ending.
        the = text_search(s, project_id, "the")
        assert len(the.hits) == 3 and the.summary().startswith("3 hits in 2 turns of 1 source")
        assert [the.kwic(h)[1] for h in text_search(s, project_id, "th*").hits] == ["there", "the", "They", "the",
                                                                                     "the"]
        assert text_search(s, project_id, "th*", roles=["interviewer"]).turns_with_hits == 1
        asked = text_search(s, project_id, "choose", roles=["interviewer"])
        assert len(asked.hits) == 1 and asked.hits[0].speaker == "Interviewer"
        # Speaker labels are not turn text.
        assert text_search(s, project_id, "interviewer").hits == []
        phrase = text_search(s, project_id, '"shared the stand"')
        assert [phrase.kwic(h)[1] for h in phrase.hits] == ["shared the stand"]
        assert len(text_search(s, project_id, "the", limit=2).hits) == 2


def test_code_every_hit_then_undo_as_one(store, project, interview, codebook_id):
    project_id, coder_id = project
    import_files(store, project_id, coder_id, [interview])
    with store.read() as s:
        hits = text_search(s, project_id, "the").hits
    with store.write("code hits", project_id=project_id, coder_id=coder_id) as s:
        code = find_code(s, project_id, "Information aggregator")
        assert code_hits(s, project_id, hits, code.id, s.get(Coder, coder_id)) == (3, 0)
    with store.write("code turns", project_id=project_id, coder_id=coder_id) as s:
        # Two hits share a turn: the turn is coded once.
        assert code_hits(s, project_id, hits, code.id, s.get(Coder, coder_id), unit="turn") == (2, 0)
        with pytest.raises(InvalidQuery, match="unknown unit"):
            code_hits(s, project_id, hits, code.id, s.get(Coder, coder_id), unit="page")
    with store.read() as s:
        spans = sorted(s.execute(select(Coding.start, Coding.end)).all())
        texts = text_search(s, project_id, "the").texts
    assert len(spans) == 5 and {texts[hits[0].source_id][a:b] for a, b in spans if b - a == 3} == {"the"}
    with store.write() as s:
        assert undo(s, project_id, coder_id).action == "code turns"
    with store.read() as s:
        assert s.query(Coding).count() == 3


def test_word_frequencies_lemmas_stop_words_languages_and_exclusions(store, project, interview):
    project_id, coder_id = project
    import_files(store, project_id, coder_id, [interview])
    with store.read() as s:
        words = word_frequencies(s, project_id)
        table = words.table.set_index("word")
        assert "the" not in table.index and "so" not in table.index    # stop words
        assert "client" in table.index and table.loc["client", "forms"] == "client"
        assert words.total_words == 28 and words.sources == 1
        raw = word_frequencies(s, project_id, drop_stop_words=False, lemmas=False)
        assert raw.table.set_index("word").loc["the", "count"] == 3
        # "shared" counts as "share" (English lookup lemma), shown as the form the text uses.
        assert lemma_of("en", "shared") == "share" and lemma_of("xx", "shared") == "shared"
        assert table.loc["shared", "forms"] == "shared"
        assert "client" not in word_frequencies(s, project_id, exclude=["Client "]).table["word"].tolist()
        answers = word_frequencies(s, project_id, roles=["interviewee"])
        assert "germany" not in answers.table["word"].tolist()          # only in the question
        assert word_frequencies(s, project_id, min_length=8).table["word"].str.len().min() >= 8
        with pytest.raises(InvalidQuery):
            word_frequencies(s, project_id, min_length=0)


def test_a_turn_transcribed_in_its_own_language_counts_in_it(store, project, interview):
    """A short turn says too little to guess its language; a turn a recording stored with its
    language (languages may change) counts in that language, lemmas and stop words included."""
    from workbench.db.models import Segment
    project_id, coder_id = project
    import_files(store, project_id, coder_id, [interview])
    with store.read() as s:
        before = word_frequencies(s, project_id).languages
    with store.write() as s:
        seg = s.scalars(select(Segment).order_by(Segment.idx)).first()
        seg.language = "pt"
    with store.read() as s:
        after = word_frequencies(s, project_id)
    assert "pt" not in before and "pt" in after.languages
