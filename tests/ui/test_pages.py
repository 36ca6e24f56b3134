"""Every page headless (AppTest): it loads, and its main action works - including the span
component's state injected as the browser would send it."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from tests.helpers import unescaped
from tests.paths import FIXTURES
from workbench.config import Settings
from workbench.corpus.offsets import cp_to_u16
from workbench.db.models import Code, Codebook, Coder, Coding, Memo, Source, Suggestion
from workbench.db.store import open_store
from workbench.demo import build_demo
from workbench.exchange.refi.writer import export_qdpx
from workbench.transcription.worker import work

SPAN = "signed in München 👍"


def run_page(name: str):
    import importlib

    from workbench.ui.state import workspace
    ws = workspace()
    if ws is not None:
        importlib.import_module(f"workbench.ui.pages.{name}").render(ws)


@pytest.fixture
def db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'pages.db'}"
    monkeypatch.setenv("WORKBENCH_DATABASE_URL", url)
    monkeypatch.setenv("WORKBENCH_CODER", "ana")
    monkeypatch.setenv("WORKBENCH_LOCAL_WORKER", "0")     # tests run jobs themselves
    store = open_store(url)
    # The demo without its hand coding: these tests code from an empty start (test_first_hour
    # opens the demo as a new user gets it).
    build_demo(store, Settings(database_url=url, coder="ana"), codings=False)
    yield store
    store.dispose()


def page(name: str) -> AppTest:
    at = AppTest.from_function(run_page, args=(name,), default_timeout=60)
    return at.run()


def count(store, model, *where):
    with store.read() as s:
        return s.scalar(select(func.count(model.id)).where(*where))


def source_and_selection(store, name="it-02-nuvemar-software"):
    """The selection the browser sends for SPAN: per-turn UTF-16 offsets."""
    with store.read() as s:
        src = s.scalar(select(Source).where(Source.name == name))
        pos = src.text.index(SPAN)
        seg = next(g for g in src.segments if g.start <= pos < g.end)
        turn_text = src.text[seg.start:seg.end]
        a = cp_to_u16(turn_text, pos - seg.start)
        b = cp_to_u16(turn_text, pos + len(SPAN) - seg.start)
        return src.id, {"turn_start": seg.idx, "off_start": a, "turn_end": seg.idx, "off_end": b,
                        "text": SPAN, "n": 1}


def code_id(store, name):
    with store.read() as s:
        return s.scalar(select(Code.id).where(Code.name == name))


def test_every_page_loads(db):
    for name in ("overview", "sources", "coding", "codebooks", "retrieval", "memos",
                 "analysis", "agreement", "export", "autocode"):
        at = page(name)
        assert not at.exception, (name, at.exception)
        assert at.title[0].value


def test_coding_page_applies_codes_to_the_browser_selection(db):
    source_id, selection = source_and_selection(db)
    at = AppTest.from_function(run_page, args=("coding",), default_timeout=60)
    at.session_state["coding_source"] = source_id
    at.session_state[f"coder-{source_id}"] = {"selection": selection}
    at.run()
    assert not at.exception
    assert any(SPAN in m.value.replace("\\", "") for m in at.markdown)    # the quote as stored, shown escaped
    picks = [code_id(db, "Information aggregator"), code_id(db, "Socialization")]
    at.multiselect(key=f"coder-{source_id}:pick").set_value(picks)
    at.button[[b.label for b in at.button].index("Apply codes")].click().run()
    assert not at.exception
    with db.read() as s:
        rows = [(c.code.name, c.source.text[c.start:c.end]) for c in s.scalars(select(Coding))]
    assert sorted(rows) == [("Information aggregator", SPAN), ("Socialization", SPAN)]

    # click on the highlight (the panel of its codings), remove one, then undo
    at.session_state[f"coder-{source_id}:open"] = [c for c in _coding_ids(db)]
    at.run()
    at.button(key=f"coder-{source_id}:rm:{_coding_ids(db)[0]}").click().run()
    assert count(db, Coding) == 1
    at.button(key="sidebar_undo").click().run()
    assert count(db, Coding) == 2


def _coding_ids(store):
    with store.read() as s:
        return sorted(s.scalars(select(Coding.id)))


def test_turn_correction_reanchors_and_lists_lost_codings(db):
    source_id, selection = source_and_selection(db)
    with db.write("seed", project_id=1, coder_id=1) as s:
        from workbench.coding.codings import apply_code
        from workbench.db.models import Coder
        src = s.get(Source, source_id)
        pos = src.text.index(SPAN)
        coder = s.get(Coder, 1)
        apply_code(s, src, code_id(db, "Socialization"), coder, pos, pos + len(SPAN))
        apply_code(s, src, code_id(db, "Combination"), coder, pos + len("signed in "), pos + len("signed in München"))
    at = AppTest.from_function(run_page, args=("coding",), default_timeout=60)
    at.session_state["coding_source"] = source_id
    at.run()
    at.selectbox(key=f"fix:{source_id}:turn").set_value(selection["turn_start"]).run()
    area = at.text_area(key=f"fix:{source_id}:{selection['turn_start']}")
    area.set_value(area.value.replace("in München 👍", "👍"))      # inside a form: sent on submit
    at.button[[b.label for b in at.button].index("Save correction")].click().run()
    assert not at.exception
    with db.read() as s:
        rows = [(c.code.name, c.source.text[c.start:c.end]) for c in s.scalars(select(Coding))]
    assert rows == [("Socialization", "signed 👍")]
    assert any("München" in w.value or "were removed" in w.value for w in at.warning)


def test_codebook_page_creates_and_edits_a_code(db):
    at = page("codebooks")
    with db.read() as s:
        book = s.scalar(select(Codebook.id).where(Codebook.name == "Information internalization modes"))
    at.selectbox(key="cb_book").set_value(book).run()
    at.text_input[[t.label for t in at.text_input].index("Name")].set_value("Learning by doing")
    at.button[[b.label for b in at.button].index("Create code")].click().run()
    assert not at.exception
    assert code_id(db, "Learning by doing") is not None


def test_codebook_page_reports_a_bad_file_with_its_line(db):
    at = page("codebooks")
    bad = b"workbench_codebook: 1\nname: x\ncodes:\n  - name: A\n    definition: d\n    colour: red\n"
    at.file_uploader(key="cb_upload").set_value(("bad.yaml", bad, "application/x-yaml")).run()
    at.button[[b.label for b in at.button].index("Load codebook")].click().run()
    assert "bad.yaml, line 6" in at.error[0].value.replace("\\", "")
    assert count(db, Codebook) == 5


def test_sources_page_uploads_and_assigns_a_case(db):
    at = page("sources")
    text = "Interviewer: Why Spain?\nMaria: Close by.\nInterviewer: And?\n".encode()
    uploader = at.file_uploader[0]
    uploader.set_value([("maria.txt", text, "text/plain")])
    at.text_input[[t.label for t in at.text_input].index("Case (optional)")].set_value("TX-04 Nova")
    at.button[[b.label for b in at.button].index("Import")].click().run()
    assert not at.exception and "Cancel import" not in [b.label for b in at.button]     # gone when done
    with db.read() as s:
        src = s.scalar(select(Source).where(Source.name == "maria"))
        assert src is not None and src.case.name == "TX-04 Nova"


def test_sources_page_says_a_cancelled_upload_stored_nothing(db):
    """The rerun a click on "Cancel import" makes (the button is shown only while files are read)."""
    at = AppTest.from_function(run_page, args=("sources",), default_timeout=60)
    at.session_state["src_upload_cancel"] = True
    at.run()
    assert not at.exception and "Import cancelled; nothing was stored." in [i.value for i in at.info]
    assert "Cancel import" not in [b.label for b in at.button]


def test_sources_page_edits_the_case_table(db):
    at = AppTest.from_function(run_page, args=("sources",), default_timeout=60)
    at.session_state["case_editor"] = {"edited_rows": {0: {"employees": 47}}, "added_rows": [], "deleted_rows": []}
    at.run()
    at.button[[b.label for b in at.button].index("Save case table")].click().run()
    assert not at.exception
    from workbench.corpus.cases import case_table
    with db.read() as s:
        assert case_table(s, 1).loc[0, "employees"] == 47


def test_retrieval_filters_by_sector_and_jumps_to_the_coding_page(db):
    source_id, _ = source_and_selection(db)
    with db.write("seed", project_id=1, coder_id=1) as s:
        from workbench.coding.codings import apply_code
        from workbench.db.models import Coder
        src = s.get(Source, source_id)
        pos = src.text.index(SPAN)
        apply_code(s, src, code_id(db, "Socialization"), s.get(Coder, 1), pos, pos + len(SPAN))
    at = page("retrieval")
    assert any(SPAN in m.value.replace("\\", "") for m in at.markdown)
    at.multiselect(key="ret_attr:sector").set_value(["Textile"]).run()
    assert not any(SPAN in m.value.replace("\\", "") for m in at.markdown)
    at.multiselect(key="ret_attr:sector").set_value(["IT/electronics"]).run()
    assert any(SPAN in m.value.replace("\\", "") for m in at.markdown)


def test_memos_page_adds_and_searches(db):
    at = page("memos")
    at.text_area[[t.label for t in at.text_area].index("Text")].set_value("Textile firms lean on the association")
    at.button[[b.label for b in at.button].index("Save memo")].click().run()
    assert count(db, Memo) == 1
    at.text_input(key="memo_search").set_value("association").run()
    assert any("Textile firms" in m.value for m in at.markdown)
    at.text_input(key="memo_search").set_value("nothing like this").run()
    assert "No memos match." in at.info[0].value


def test_hostile_names_and_text_are_shown_literally(db):
    with db.write("hostile", project_id=1, coder_id=1) as s:
        code = s.scalar(select(Code).where(Code.name == "Socialization"))
        code.name = "<img src=x onerror=alert(1)> :red[x] $x$"
    at = page("codebooks")
    with db.read() as s:
        book = s.scalar(select(Codebook.id).where(Codebook.name == "Information internalization modes"))
    at.selectbox(key="cb_book").set_value(book).run()
    assert not at.exception
    from workbench.ui.safe import md
    rendered = md("<img src=x onerror=alert(1)> :red[x] $x$")
    assert ":red\\[x\\]" in rendered and "\\$x\\$" in rendered and "\\<img" in rendered


AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x", "client_id": "c",
        "client_secret": "s", "server_metadata_url": "https://id.example/.well-known/openid-configuration"}


def test_with_login_configured_the_coder_is_the_logged_in_user(db):
    at = AppTest.from_function(run_page, args=("overview",), default_timeout=60)
    at.secrets["auth"] = AUTH
    at.run()
    assert [b.label for b in at.button if b.label == "Log in"] and not at.metric   # nothing shown before login
    at = AppTest.from_function(run_page, args=("overview",), default_timeout=60)
    at.secrets["auth"] = AUTH
    at.user.update({"is_logged_in": True, "name": "Bea Lima", "iss": "https://id.example", "sub": "42"})
    at.run()
    assert not at.exception and at.metric
    from workbench.db.models import Coder
    with db.read() as s:
        assert s.scalar(select(Coder.name).where(Coder.identity == "https://id.example|42")) == "Bea Lima"


def test_recordings_tab_queues_a_recording_whose_language_may_change(db, tmp_path, monkeypatch):
    from workbench.db.models import Job
    monkeypatch.setenv("WORKBENCH_MEDIA_DIR", str(tmp_path / "media"))
    at = page("sources")
    uploader = [u for u in at.file_uploader if any("wav" in t for t in u.allowed_type)][0]
    uploader.set_value([("two languages.wav", (FIXTURES / "jfk.flac").read_bytes(), "audio/wav")])
    at.checkbox(key="audio_mixed").check()
    at.multiselect(key="audio_expected").set_value(["en", "de"])
    at.selectbox[[b.label for b in at.selectbox].index("Language")].set_value("pt")
    at.button[[b.label for b in at.button].index("Queue transcription")].click().run()
    assert not at.exception
    with db.read() as s:
        options = s.scalars(select(Job).order_by(Job.id.desc())).first().params["options"]
    # the language chosen above joins the ones that may be spoken; none is forced
    assert options["languages_may_change"] and options["language"] is None
    assert options["expected_languages"] == ["en", "de", "pt"]


def test_recordings_tab_queues_a_transcription_and_shows_its_progress(db, tmp_path, monkeypatch):
    from pathlib import Path

    monkeypatch.setenv("WORKBENCH_MEDIA_DIR", str(tmp_path / "media"))
    monkeypatch.setenv("WORKBENCH_MODEL_CACHE", str(tmp_path / "models"))
    at = page("sources")
    wav = (FIXTURES / "stereo_diarization.wav").read_bytes()
    uploader = [u for u in at.file_uploader if any("wav" in t for t in u.allowed_type)][0]
    uploader.set_value([("lab interview.wav", wav, "audio/wav")])
    at.selectbox[[b.label for b in at.selectbox].index("Language")].set_value("en")
    at.button[[b.label for b in at.button].index("Queue transcription")].click().run()
    assert not at.exception
    with db.read() as s:
        src = s.scalar(select(Source).where(Source.name == "lab interview"))
        assert src.status.value == "pending" and Path(src.media_path).name != "lab interview.wav"
    assert any("waiting for a worker" in (p.proto.text or "") for p in at.get("progress"))
    work(db.url, once=True)
    at.run()
    assert any("real time" in c.value for c in at.caption), ([c.value for c in at.caption], [e.value for e in at.error])
    coding = page("coding")
    assert "lab interview" in [coding.selectbox(key="coding_source").format_func(o)
                               for o in coding.selectbox(key="coding_source").options] or \
        any("lab interview" in o for o in coding.selectbox(key="coding_source").options)


def _play_page(media: str | None, t: float):
    from types import SimpleNamespace

    from workbench.ui.pages.coding import _play
    _play(media, SimpleNamespace(play={"t": t, "n": 1}))


def test_clicking_a_turn_time_plays_the_recording_from_there(tmp_path):
    media = str(FIXTURES / "jfk.flac")
    at = AppTest.from_function(_play_page, args=(media, 4.6)).run()
    [audio] = at.get("audio")
    assert audio.proto.start_time == 4 and audio.proto.autoplay
    at = AppTest.from_function(_play_page, args=(None, 4.6)).run()
    assert "no recording attached" in at.caption[0].value


def _seed_two_coders(store):
    from workbench.coding.codings import apply_code
    from workbench.db.models import Coder
    from workbench.project.coders import get_or_create_coder
    with store.write() as s:
        bea = get_or_create_coder(s, "bea").id
    for coder_id, names in ((1, ["it-02-nuvemar-software", "tx-01-tecelagem-pinheiro", "tx-02-malhas-sa-araujo"]),
                            (bea, ["tx-01-tecelagem-pinheiro"])):
        with store.write("seed", project_id=1, coder_id=coder_id) as s:
            for name in names:
                src = s.scalar(select(Source).where(Source.name == name))
                seg = src.segments[3]
                apply_code(s, src, code_id(store, "Organiser of joint initiatives and investments (sharing costs and risks)"),
                           s.get(Coder, coder_id), seg.start, seg.end)


def test_analysis_page_shows_the_sector_crosstab_with_statistics(db):
    _seed_two_coders(db)
    at = AppTest.from_function(run_page, args=("analysis",), default_timeout=60)
    at.run()
    with db.read() as s:
        book = s.scalar(select(Codebook.id).where(Codebook.name == "Roles of an industrial enterprise association"))
    at.selectbox(key="an_book").set_value(book).run()
    assert not at.exception
    assert at.get("plotly_chart")
    tests = at.dataframe[1].value
    row = tests[tests["code"].str.startswith("Organiser")].iloc[0]
    from scipy import stats
    # ana coded it in one IT and two textile interviews (bea's coding is on a textile one too)
    assert row["test"] == "Fisher's exact"
    assert row["p"] == pytest.approx(stats.fisher_exact([[1, 2], [2, 1]])[1], abs=0.001)
    # 3 vs 3 firms: the page says that no code can reach significance, instead of implying it could
    assert any("smallest p any code could reach is 0.100" in unescaped(w.value) for w in at.warning)
    assert any("tested codes differ between the groups" in unescaped(m.value) for m in at.markdown)
    shown = at.dataframe[0].value
    assert "p (Holm)" in shown.columns and "V (bias-corrected)" in shown.columns and "p_chi_square" not in shown.columns


def test_agreement_page_compares_what_both_finished_and_says_undefined(db):
    from workbench.coding.status import set_done
    from workbench.db.models import Coder
    _seed_two_coders(db)         # ana coded three interviews, bea one of them
    at = page("agreement")
    assert not at.exception
    labels = {m.label: m.value for m in at.metric}
    assert set(labels) == {"Percent agreement", "Cohen's kappa", "Krippendorff's alpha"}
    assert labels["Cohen's kappa"] == "1.00"                 # on the one interview both coded...
    assert any("5 source(s) not compared" in unescaped(w.value) for w in at.warning)   # ...and it says so
    at.radio(key="ag_unit").set_value("source").run()        # one unit, both "yes": nothing varies
    labels = {m.label: m.value for m in at.metric}
    assert labels["Krippendorff's alpha"] == "undefined (no variation)" and labels["Percent agreement"] == "100.0%"
    # Both mark two interviews done; bea left one empty: it counts as "coded nothing" now.
    with db.read() as s:
        bea = s.scalar(select(Coder.id).where(Coder.name == "bea"))
    for coder in (1, bea):
        with db.write("done", project_id=1, coder_id=coder) as s:
            for name in ("tx-01-tecelagem-pinheiro", "tx-02-malhas-sa-araujo"):
                set_done(s, 1, name, coder)
    at = page("agreement")
    labels = {m.label: m.value for m in at.metric}
    assert labels["Cohen's kappa"] not in ("1.00", "undefined (no variation)")
    assert any("every chosen coder marked done" in unescaped(c.value) for c in at.caption)


def test_the_coding_page_marks_a_source_done_and_undo_takes_it_back(db):
    from workbench.coding.status import done_sources
    with db.read() as s:
        source_id = s.scalar(select(Source.id).where(Source.name == "tx-01-tecelagem-pinheiro"))
    at = AppTest.from_function(run_page, args=("coding",), default_timeout=60)
    at.session_state["coding_source"] = source_id
    at.run()
    key = f"done:{source_id}:1"
    assert at.toggle(key=key).value is False
    at.toggle(key=key).set_value(True).run()
    assert not at.exception
    with db.read() as s:
        assert done_sources(s, 1) == {1: {source_id}}
    at.button(key="sidebar_undo").click().run()
    assert at.toggle(key=key).value is False                  # read back from the database, not remembered
    with db.read() as s:
        assert done_sources(s, 1) == {}


def test_export_page_builds_the_report(db, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_EXPORTS_DIR", str(tmp_path / "exports"))
    _seed_two_coders(db)
    at = page("export")
    at.selectbox(key="ex_by").set_value("sector").run()
    at.button[[b.label for b in at.button].index("Build report")].click().run()
    assert not at.exception
    report = tmp_path / "exports" / "report-all.docx"
    import docx
    texts = [p.text for p in docx.Document(report).paragraphs]
    assert "Coded segments" in texts and any(t.startswith("TX-01 Tecelagem Pinheiro · Textile") for t in texts)
    # Tables are built on request, then offered for download (the crosstab too, as "by" is set).
    assert not [b for b in at.get("download_button") if "Quotes" in b.proto.label]
    at.button[[b.label for b in at.button].index("Prepare tables")].click().run()
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Quotes (XLSX)" in labels and "Crosstab by sector (XLSX)" in labels
    # A report of one theme.
    with db.read() as s:
        theme = s.scalar(select(Code.id).where(Code.name == "Information aggregator"))
    at.selectbox(key="ex_code").set_value(theme).run()
    at.button[[b.label for b in at.button].index("Build report")].click().run()
    assert not at.exception
    one = [p.text for p in docx.Document(tmp_path / "exports" / f"report-code-{theme}.docx").paragraphs]
    assert any("Information aggregator" in t for t in one) and not any(t.startswith("Socialization") for t in one)


def test_export_page_backs_up_the_project(db):
    at = page("export")
    assert "No backups yet." in [c.value for c in at.caption]
    at.button[[b.label for b in at.button].index("Back up now")].click().run()
    assert not at.exception and "integrity check ok" in at.success[0].value
    from workbench.db.store import backups_of, sqlite_path
    found = backups_of(sqlite_path(db.url))
    assert len(found) == 1
    import sqlite3
    with sqlite3.connect(found[0]) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert any(f"workbench restore {found[0]}" in c.value for c in at.caption)


def test_export_page_offers_qdpx_and_imports_one(db):
    at = page("export")
    at.button[[b.label for b in at.button].index("Prepare project .qdpx")].click().run()
    assert not at.exception
    with db.read() as s:
        data = export_qdpx(s, 1)
    at.file_uploader(key="ex_qdpx_upload").set_value(("other.qdpx", data, "application/zip")).run()
    at.button[[b.label for b in at.button].index("Import as a new project")].click().run()
    assert not at.exception and "Imported as project" in at.success[0].value
    assert count(db, Source) == 12
    # The run that imports offers Cancel; the rerun a click makes says so and imports nothing again
    at.button[[b.label for b in at.button].index("Cancel import")].click().run()
    assert not at.exception and "Import cancelled; nothing was stored." in [i.value for i in at.info]
    assert count(db, Source) == 12


def test_blind_coding_hides_other_coders(db):
    _seed_two_coders(db)          # ana and bea both coded turn 4 of tx-01
    with db.read() as s:
        source_id = s.scalar(select(Source.id).where(Source.name == "tx-01-tecelagem-pinheiro"))
    at = AppTest.from_function(run_page, args=("coding",), default_timeout=60)
    at.session_state["coding_source"] = source_id
    at.session_state["coder_name"] = "bea"
    at.session_state["blind"] = True
    at.run()
    assert not at.exception
    # What the page sent to the transcript widget (read from the page, not recomputed).
    import json
    shown = json.loads(at.get("bidi_component")[0].proto.json)
    assert len(shown["codings"]) == 1 and all("· bea" in c["label"] for c in shown["codings"].values())
    assert "Blind coding: only your codings are shown." in [c.value for c in at.caption]
    agreement = AppTest.from_function(run_page, args=("agreement",), default_timeout=60)
    agreement.session_state["blind"] = True
    agreement.run()
    assert "Blind coding is on" in agreement.info[0].value and not agreement.metric


def test_autocode_page_runs_reviews_and_undoes(db, tmp_path):
    from tests.autocode.test_runs import CODEBOOK
    from workbench.codebook.format import check_text
    from workbench.codebook.storage import store_codebook
    spec, _ = check_text(CODEBOOK.replace("Fairs and costs", "Fair rules"), "fairs.yaml")
    with db.write("cb", project_id=1, coder_id=1) as s:
        store_codebook(s, 1, spec)
    at = page("autocode")
    at.button[[b.label for b in at.button].index("Suggest codings")].click().run()
    assert not at.exception and "suggestions" in at.success[0].value and "rules" in at.success[0].value
    n = count(db, Suggestion)
    assert n > 0
    accept = [b for b in at.button if b.label == "Accept"][0]
    accept.click().run()
    assert count(db, Coding) == 1
    at.button(key=[b.key for b in at.button if b.label == "Undo run"][0]).click().run()
    assert count(db, Coding) == 0 and count(db, Suggestion) == 0


def test_accuracy_tab_loads_the_demo_gold_set_and_scores_a_run(db):
    """The demo's Accuracy tab offers its hand-coded gold set; loaded, a run is scored; Undo
    takes the import back."""
    from workbench.db.history import undo
    at = page("autocode")
    assert any("nothing to compare" in i.value or "Run the suggesters first" in i.value for i in at.info)
    at.button(key="ev_demo_gold").click().run()
    assert not at.exception
    gold = count(db, Coding)
    assert gold > 500
    at.multiselect(key="ac_methods").set_value(["rules"])     # the rules, scored against the gold they were written on
    at.button[[b.label for b in at.button].index("Suggest codings")].click().run()
    assert not at.exception
    # Scored only where the truth's coder judged; another truth can still be loaded.
    assert any("Scored on the 6 source(s)" in c.value for c in at.caption) and at.button(key="ev_demo_gold")
    frames = [f.value for f in at.dataframe]
    scores = next(f for f in frames if "turn_precision" in f.columns)
    overall = scores.set_index("code").loc["all codes"]
    assert 0.5 < overall["turn_precision"] <= 1 and 0.5 < overall["turn_recall"] <= 1
    listed = [f for f in frames if list(f.columns) == ["source", "turn", "code", "text"]]
    assert len(listed) == 2 and all(f["source"].str.match(r"(it|tx)-0\d").all() for f in listed)
    with db.write() as s:
        undo(s, 1, 1)                                   # the run writes untracked: the import is the last action
    assert count(db, Coding) == 0


def test_codings_file_errors_name_the_file_and_line(db, tmp_path):
    from workbench.coding.quotes_import import import_codings
    from workbench.errors import InvalidCodingsFile, InvalidSpan
    bad = b"coder: x\ncodings:\n  - source: it-01-voltaria-sistemas\n    code: Foreign firms\n"
    with pytest.raises(InvalidCodingsFile, match=r"gold.yaml, line 3: coding 1 has no 'codebook'"):
        import_codings(db, 1, bad, "gold.yaml")
    with pytest.raises(InvalidCodingsFile, match="alias"):
        import_codings(db, 1, b"a: &x [1]\nb: *x\n", "bomb.yaml")
    csv = ("source,codebook,code,quote\nit-01-voltaria-sistemas,Types of intermediaries in collaborative networks,"
           "Foreign firms,words nobody said\n").encode()
    with pytest.raises(InvalidSpan, match=r"q.csv, line 2: row 1: quote not found"):
        import_codings(db, 1, csv, "q.csv")
    with pytest.raises(InvalidCodingsFile, match="has no column 'quote'"):
        import_codings(db, 1, b"source,codebook,code\na,b,c\n", "q.csv")
    with pytest.raises(InvalidSpan):                          # no importer named: still all or nothing
        import_codings(db, 1, csv, "q.csv", coder="rui")
    from workbench.db.models import Coder
    with db.read() as s:
        assert "rui" not in {c.name for c in s.query(Coder)}
    assert count(db, Coding) == 0


def test_other_coders_memos_are_read_only_and_hidden_in_blind_coding(db):
    from workbench.coding.memos import add_memo
    from workbench.project.coders import get_or_create_coder
    with db.write("seed", project_id=1, coder_id=1) as s:
        add_memo(s, 1, "bea thinks the fair matters", coder=get_or_create_coder(s, "bea"))
        add_memo(s, 1, "ana's own thought", coder=s.get(Coder, 1))
    at = AppTest.from_function(run_page, args=("memos",), default_timeout=60)
    at.session_state["coder_name"] = "ana"
    at.run()
    assert not at.exception
    shown = " ".join(m.value for m in at.markdown)
    assert "bea thinks the fair matters" in shown and "ana's own thought" in shown
    assert "bea's memo: only they can change or delete it." in [c.value for c in at.caption]
    assert len([b for b in at.button if b.label == "Delete"]) == 1          # ana's memo only
    blind = AppTest.from_function(run_page, args=("memos",), default_timeout=60)
    blind.session_state["coder_name"] = "ana"
    blind.session_state["blind"] = True
    blind.run()
    shown = " ".join(m.value for m in blind.markdown)
    assert "bea thinks the fair matters" not in shown and "ana's own thought" in shown
