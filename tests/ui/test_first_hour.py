"""The first hour of a new user, through AppTest, on the demo as the app builds it (with the two
coders' hand coding): each bug a first user hit, and the everyday tools they expected."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from tests.ui.test_pages import count, run_page, source_and_selection
from workbench.autocode import runs as run_store
from workbench.config import Settings
from workbench.corpus.cases import case_table
from workbench.db.models import Case, Code, Codebook, Coding
from workbench.db.store import open_store
from workbench.demo import build_demo


@pytest.fixture
def demo(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'first-hour.db'}"
    monkeypatch.setenv("WORKBENCH_DATABASE_URL", url)
    monkeypatch.setenv("WORKBENCH_CODER", "ana")
    monkeypatch.setenv("WORKBENCH_LOCAL_WORKER", "0")
    store = open_store(url)
    build_demo(store, Settings(database_url=url, coder="ana"))
    yield store
    store.dispose()


def page(name: str, **state) -> AppTest:
    at = AppTest.from_function(run_page, args=(name,), default_timeout=90)
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


def test_saving_the_case_table_with_an_empty_number_cell(demo):
    """A case without employees (every case an upload creates) made Save crash on pandas' NA."""
    at = page("sources", case_editor={"edited_rows": {0: {"employees": None, "sector": "Textile "}},
                                      "added_rows": [{"case": "TX-09 Nova", "sector": "Textile"}],
                                      "deleted_rows": []})
    at.button[[b.label for b in at.button].index("Save case table")].click().run()
    assert not at.exception and not at.error
    with demo.read() as s:
        table = case_table(s, 1).set_index("case")
        assert "TX-09 Nova" in table.index and table.loc["TX-09 Nova", "sector"] == "Textile"
        first = s.scalar(select(Case.name).where(Case.project_id == 1).order_by(Case.name))
    assert table.loc[first, "sector"] == "Textile"             # trimmed: one group, not "Textile "
    assert table["employees"].isna().sum() >= 2


def test_analysis_answers_at_once_and_a_cell_reads_its_quotes(demo):
    at = page("analysis")
    assert not at.exception and not [i for i in at.info if "Nothing is coded" in i.value]
    table = next(d.value for d in at.dataframe if any("(n=3)" in str(c) for c in d.value.columns))
    assert len(table) > 3
    code = at.selectbox(key="an_drill_code").options[0]
    at.selectbox(key="an_drill_code").set_value(at.selectbox(key="an_drill_code").options[1])
    at.selectbox(key="an_drill_group").set_value("Textile").run()
    assert not at.exception and code
    said = " ".join(m.value for m in at.markdown)
    assert "quote(s)" in said or any("has" in i.value for i in at.info)
    # The co-occurrence heatmap has the same codes down and across.
    heat = [c for c in at.get("plotly_chart") if '"heatmap"' in c.proto.spec]
    assert heat


def test_recordings_tab_lists_transcriptions_only(demo):
    run_store.run(demo, 1, 1)
    at = page("sources")
    assert not at.exception
    assert not [m for m in at.markdown if m.value.startswith("****")]
    assert any("No transcriptions yet" in c.value for c in at.caption)


def test_codebook_description_is_cut_at_a_sentence_with_the_rest_in_an_expander(demo):
    at = page("codebooks")
    caption = next(c.value for c in at.caption if len(c.value) > 150)
    assert caption.rstrip().endswith(".") and len(caption) < 600
    assert [e for e in at.expander if e.label == "The whole description"]


def test_recent_codes_and_in_vivo_coding_on_the_coding_page(demo):
    source_id, selection = source_and_selection(demo)
    state = {"coding_source": source_id, f"coder-{source_id}": {"selection": selection}}
    at = page("coding", **state)
    assert not at.exception and not at.button(key=f"coder-{source_id}:invivo").disabled
    before = count(demo, Coding)
    at.button(key=f"coder-{source_id}:invivo").click().run()
    assert not at.exception and count(demo, Coding) == before + 1
    with demo.read() as s:
        book = s.scalar(select(Codebook).where(Codebook.name == "In-vivo codes"))
        made_id, made_name = s.execute(select(Code.id, Code.name).where(Code.codebook_id == book.id)).one()
    # The code just used is now one click away for the next selection.
    at = page("coding", **state)
    recent = at.button(key=f"coder-{source_id}:recent:{made_id}")
    assert recent.label == made_name
    at.button(key="sidebar_undo").click().run()
    assert count(demo, Coding) == before


def test_errors_with_names_are_shown_literally(demo):
    at = page("codebooks")
    uploader = next(u for u in at.file_uploader if "yaml" in str(u.allowed_type))
    uploader.set_value([(":red[evil] **x**.yaml", b"\xff\xfe not utf-8", "application/x-yaml")])
    at.run()
    buttons = [b for b in at.button if "Load" in b.label]
    if buttons:
        buttons[0].click().run()
    errors = " ".join(e.value for e in at.error)
    assert "\\:red\\[evil\\]" in errors and "\\*\\*x\\*\\*" in errors


def test_kept_analyses_follow_every_change_and_undo(demo):
    """Pages keep an analysis between clicks, by the project's data version: a new coding, its
    undo and a removed run's codings all show at once."""
    from tests.helpers import apply_named_code
    from workbench.db.history import undo
    at = page("retrieval")
    shown = lambda: int(next(h.value for h in at.subheader if "quote(s)" in h.value).split()[0])  # noqa: E731
    before = shown()
    with demo.read() as s:
        coder_id = s.scalar(select(Coding.coder_id))
    apply_named_code(demo, (1, coder_id), "Socialization", 10, 60)
    at.run()
    assert shown() == before + 1
    with demo.write() as s:
        undo(s, 1, coder_id)
    at.run()
    assert shown() == before


def test_the_recordings_form_offers_the_codebooks_names_for_the_prompt(demo):
    at = page("sources")
    terms = at.multiselect(key="audio_terms").options
    assert "AICEP" in terms and "Première Vision" in terms
