"""The assisted-coding pages through AppTest: search by meaning and code a hit in one click; the
learned suggester's report before a run; a run of chosen suggesters; the queue's reasons; the
LLM endpoint form."""
from __future__ import annotations

from sqlalchemy import select

from tests.paths import REPO
from tests.ui.test_pages import count, db, page  # noqa: F401 - the fixture and helpers of the page tests
from workbench.coding.quotes_import import import_codings_file
from workbench.db.models import Code, Coding, Source, Suggestion


def test_search_by_meaning_then_code_a_hit_in_one_click(db):  # noqa: F811
    at = page("search")
    at.segmented_control(key="search_mode").set_value("By meaning").run()
    assert "Type what the passages should be about" in at.info[0].value
    at.text_input(key="ms_query").set_value("costs of exhibiting at trade fairs")
    at.button[[b.label for b in at.button].index("Search")].click().run()
    assert not at.exception
    hits = [c for c in at.markdown if "similarity" in c.value]
    assert len(hits) == 20 and "not searched by meaning" in " ".join(c.value for c in at.caption).lower()
    assert at.button(key="ms_code:0:Code turn").disabled          # a code first
    with db.read() as s:
        fairs = s.scalar(select(Code.id).where(Code.name == "Costs of trade fairs"))
    at.selectbox(key="ms_code").set_value(fairs).run()
    at.button(key="ms_code:0:Code sentence").click().run()
    assert not at.exception and count(db, Coding) == 1
    with db.read() as s:
        coding = s.scalar(select(Coding))
        assert coding.code_id == fairs and coding.end - coding.start < 400


def test_the_learned_report_and_a_run_with_reasons_in_the_queue(db):  # noqa: F811
    import_codings_file(db, 1, REPO / "transcripts" / "demo-gold.yaml")
    at = page("autocode")
    assert "Learned from your coding: ready" in " ".join(c.value for c in at.caption)
    at.button(key="ac_learned").click().run()
    assert not at.exception
    assert any("At the chosen confidence" in m.value for m in at.markdown)
    assert any("held back as off topic under relevance" in c.value for c in at.caption)
    report = next(f.value for f in at.dataframe if "precision (CV)" in f.value.columns)
    assert report["learned"].any() and (~report["learned"]).any()
    at.multiselect(key="ac_methods").set_value(["semantic"])
    at.button[[b.label for b in at.button].index("Suggest codings")].click().run()
    assert not at.exception and "by meaning" in at.success[0].value
    n = count(db, Suggestion)
    assert n > 0
    reasons = [c.value for c in at.caption if c.value.startswith("Why")]
    assert reasons and all("by meaning, similarity" in r for r in reasons)
    assert any(":orange-background[" in m.value for m in at.markdown)      # the words that made it, highlighted
    at.selectbox(key="rq:who").set_value("semantic").run()
    assert f"**{n}** suggestion(s) shown" in [m.value for m in at.markdown]


def test_the_llm_endpoint_form_saves_without_showing_the_key(db, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("WORKBENCH_CONFIG_DIR", str(tmp_path))
    at = page("autocode")
    assert any("nothing leaves this machine" in e.label for e in at.expander)
    form = [t for t in at.text_input if t.label == "Base URL"][0]
    form.set_value("http://127.0.0.1:11434/v1")
    [t for t in at.text_input if t.label == "Model"][0].set_value("llama3.1:8b")
    [t for t in at.text_input if t.label.startswith("API key")][0].set_value("secret-key")
    at.button[[b.label for b in at.button].index("Save")].click().run()
    assert not at.exception
    saved = (tmp_path / "llm.toml").read_text()
    assert 'model = "llama3.1:8b"' in saved and 'api_key = "secret-key"' in saved
    at = page("autocode")
    assert any("(set: llama3" in e.label for e in at.expander)
    assert all("secret-key" not in t.value for t in at.text_input)


def test_an_off_topic_source_is_held_back_and_the_page_says_how_to_see_it(db):  # noqa: F811
    from workbench.corpus.importing import import_files
    import_codings_file(db, 1, REPO / "transcripts" / "demo-gold.yaml")
    import_files(db, 1, 1, [REPO / "bench" / "data" / "offtopic-nurse-rostering.txt"], language="en")
    at = page("autocode")
    at.multiselect(key="ac_methods").set_value(["learned", "rules"])
    with db.read() as s:
        nurse = s.scalar(select(Source.id).where(Source.name == "offtopic-nurse-rostering"))
    [m for m in at.multiselect if m.label == "Sources"][0].set_value([nurse])
    at.button[[b.label for b in at.button].index("Suggest codings")].click().run()
    assert not at.exception
    warned = " ".join(w.value for w in at.warning).replace("\\", "")      # markdown escapes
    assert "1 source(s) look off topic" in warned and "Suggest in sources that look off topic" in warned
    assert count(db, Suggestion) == 0
    at.checkbox(key="ac_off_topic").check()
    at.button[[b.label for b in at.button].index("Suggest codings")].click().run()
    assert not at.exception and "look off topic" not in " ".join(w.value for w in at.warning)
    assert count(db, Suggestion) > 0
