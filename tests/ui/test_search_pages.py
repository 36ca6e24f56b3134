"""The Search page's text search and word frequencies through AppTest: hits in context, code all
hits in one undoable change, bad queries as messages; the frequency chart and its options."""
from __future__ import annotations

from sqlalchemy import select

from tests.ui.test_pages import count, db, page  # noqa: F401 - the fixture and helpers of the page tests
from workbench.db.models import Code, Coding


def _search(at, query):
    at.text_input(key="ts_query").set_value(query)
    return at.button[[b.label for b in at.button].index("Search")].click().run()


def test_text_search_lists_hits_in_context_and_codes_them_all(db):  # noqa: F811
    at = page("search")
    assert "Type a word" in at.info[0].value
    _search(at, "fair*")
    assert not at.exception
    assert any("hits in" in m.value for m in at.markdown)
    table = at.dataframe(key="ts_table").value
    assert set(table["found"].str.lower()) <= {"fair", "fairs"} and len(table) >= 10
    assert at.button(key="ts_code_all").disabled                    # a code first
    with db.read() as s:
        fairs = s.scalar(select(Code.id).where(Code.name == "Costs of trade fairs"))
    before = count(db, Coding)
    at.selectbox(key="ts_code").set_value(fairs).run()
    at.button(key="ts_code_all").click().run()
    assert not at.exception and count(db, Coding) - before == len(table)
    assert any("Undo in the sidebar" in m.value for m in at.success)
    _search(at, '"unclosed')
    assert "not closed" in at.error[0].value
    _search(at, "xyzzy")
    assert "No hits for xyzzy" in at.info[0].value


def _words(at):
    return next(d.value for d in at.dataframe if "forms" in d.value.columns)


def test_word_frequencies_chart_table_and_exclusions(db):  # noqa: F811
    at = page("search")
    at.segmented_control(key="search_mode").set_value("Word frequencies").run()
    assert not at.exception
    words = _words(at)
    assert "company" in words["word"].tolist() and "the" not in words["word"].tolist()
    assert len(at.get("plotly_chart")) == 1
    at.text_input(key="wf_exclude").set_value("company, year").run()
    words = _words(at)
    assert "company" not in words["word"].tolist() and "year" not in words["word"].tolist()
    at.checkbox(key="wf_stops").uncheck().run()
    assert "the" in _words(at)["word"].tolist()
