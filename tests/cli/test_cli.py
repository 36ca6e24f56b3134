"""The CLI through Typer's runner, on a SQLite file per test."""
from __future__ import annotations

import click
import pytest
from typer.testing import CliRunner

from tests.paths import REPO, shared
from workbench.cli import app

runner = CliRunner()


@pytest.fixture
def wb(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_DATABASE_URL", f"sqlite:///{tmp_path / 'study.db'}")
    monkeypatch.setenv("WORKBENCH_CODER", "ana")
    monkeypatch.setenv("COLUMNS", "250")   # wide tables: no folded cells to match against

    def run(*args, code=0):
        result = runner.invoke(app, [str(a) for a in args])
        assert result.exit_code == code, (result.output, result.exception)
        return result
    run.tmp = tmp_path
    return run


def _commands(group: click.Group, prefix=()):
    for name, cmd in group.commands.items():
        yield prefix + (name,), cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, prefix + (name,))


def test_every_command_has_help_text():
    root = typer_click = __import__("typer").main.get_command(app)
    missing = [" ".join(path) for path, cmd in _commands(root) if not (cmd.help or "").strip()]
    assert missing == []
    for path, cmd in _commands(typer_click):
        for param in cmd.params:
            if isinstance(param, click.Option):
                assert (param.help or "").strip(), f"{' '.join(path)} {param.name} has no help"


def test_demo_then_list_shows_six_interviews_in_two_sectors(wb):
    wb("demo", "--no-codings")
    out = wb("list", "sources").output
    assert out.count("transcript") == 6 and "interviewee" in out
    cases = wb("list", "cases").output
    assert "Textile" in cases and "IT/electronics" in cases
    assert "already there" in wb("demo", "--no-codings").output


def test_every_shipped_codebook_validates(wb):
    from pathlib import Path
    files = sorted(Path("codebooks").glob("*.yaml"))
    out = wb("codebook", "validate", *files).output
    assert out.count(": ok (") == 5


def test_code_undo_redo_cycle(wb):
    wb("demo", "--no-codings")
    out = wb("code", "it-02-nuvemar-software", 0, 20, "Socialization", "Information aggregator").output
    assert out.count("coded [0, 20)") == 2
    assert "Information aggregator" in wb("list", "codings").output
    assert "undone" in wb("undo").output
    assert "No codings yet" in wb("list", "codings").output
    wb("redo")
    assert wb("list", "codings").output.count("[0, 20)") == 2


def test_bad_span_exit_code_and_message(wb):
    wb("demo", "--no-codings")
    result = wb("code", "it-02-nuvemar-software", 30, 10, "Socialization", code=1)
    assert "error:" in result.output and "end must be greater than start" in result.output
    assert "No codings yet" in wb("list", "codings").output


def test_invalid_codebook_reports_file_and_line(wb, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("workbench_codebook: 1\nname: x\ncodes:\n  - name: A\n    definition: d\n  - name: A\n    definition: d\n")
    result = wb("codebook", "validate", bad, code=1)
    assert f"{bad}, line 6: two codes named 'A'" in result.output


def test_import_of_a_binary_txt_names_file_and_offset(wb, tmp_path):
    wb("init", "Study")
    f = tmp_path / "x.txt"
    f.write_bytes(b"Interviewer: hi\x00\x00")
    result = wb("import", f, code=1)
    assert f"{f}, offset 15: is a binary file" in result.output
    assert "No sources yet" in wb("list", "sources").output


def test_cases_speakers_memo_backup_export(wb, tmp_path):
    wb("init", "Study")
    t = tmp_path / "int.txt"
    t.write_text("Q: Why?\nA: Because.\nQ: Ok.\n", encoding="utf-8")
    wb("import", t, "--case", "Firm A")
    csv = tmp_path / "cases.csv"
    csv.write_text("case,sector,employees\nFirm A,Textile,40\n", encoding="utf-8")
    assert "employees (number)" in wb("cases", "import", csv).output
    wb("cases", "export", tmp_path / "out.xlsx")
    assert (tmp_path / "out.xlsx").exists()
    wb("speakers", "rename", "int", "A", "Maria")
    wb("speakers", "role", "int", "Maria", "interviewee")
    assert "Maria" in wb("speakers", "list", "int").output
    wb("memo", "add", "First impressions", "--source", "int")
    assert "First impressions" in wb("memo", "list").output
    wb("codebook", "load", "codebooks/association-roles.yaml")
    out = wb("codebook", "export", "Roles of an industrial enterprise association").output
    assert out.startswith("workbench_codebook: 1")
    assert "integrity check ok" in wb("backup", tmp_path / "backup.db").output
    assert "rename speaker" in wb("history").output


def test_newer_database_is_refused(wb, tmp_path):
    import sqlite3
    wb("init", "Study")
    with sqlite3.connect(tmp_path / "study.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num='9999'")
    result = wb("list", code=1)
    assert "newer version of the workbench" in result.output


def test_not_a_database_is_refused(wb, tmp_path):
    (tmp_path / "study.db").write_text("hello")
    result = wb("list", code=1)
    assert "not a workbench project" in result.output


def test_transcribe_then_export_in_every_format(wb, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_MODEL_CACHE", str(tmp_path / "models"))
    monkeypatch.setenv("WORKBENCH_MEDIA_DIR", str(tmp_path / "media"))
    wb("init", "Study")
    out = wb("transcribe", "tests/fixtures/stereo_diarization.wav", "--case", "Lab").output
    assert "job 1: done" in out
    assert "Speaker 1 (left)" in wb("speakers", "list", "stereo_diarization").output
    from workbench.corpus.parsers import parse_bytes
    shown = wb("show", "stereo_diarization").output
    for fmt in ("txt", "srt", "vtt", "docx"):
        target = tmp_path / f"t.{fmt}"
        wb("export-transcript", "stereo_diarization", target)
        parsed = parse_bytes(target.read_bytes(), target.name)
        assert parsed.speakers == ["Speaker 2 (right)", "Speaker 1 (left)"], fmt
        assert all(seg.text in shown for seg in parsed.segments if seg.speaker), fmt
    assert "No open jobs" in wb("jobs", "list").output
    assert "done" in wb("jobs", "list", "--all").output
    assert "base" in wb("models").output


def test_crosstab_and_agreement(wb):
    wb("demo", "--no-codings")
    wb("code", "it-02-nuvemar-software", 0, 20, "Socialization")
    wb("code", "tx-01-tecelagem-pinheiro", 0, 20, "Socialization", "Information aggregator")
    wb("--coder", "bea", "code", "tx-01-tecelagem-pinheiro", 0, 30, "Socialization")
    out = wb("crosstab", "--by", "sector", "--codebook", "Information internalization modes").output
    assert "IT/electronics (n=3)" in out and "1 (33%)" in out and "Fisher's exact" in out
    assert "Externalization" in out                      # codes nobody used yet show as zeros
    out = wb("agreement", "--coder", "ana", "--coder", "bea", "--disagreements").output
    assert "all codes (pooled)" in out and "Information aggregator" in out
    assert "no case attribute 'country'" in wb("crosstab", "--by", "country", code=1).output
    assert "Socialization" in wb("frequencies").output
    wb("export", "crosstab", "--by", "sector", wb.tmp / "ct.xlsx")
    import pandas as pd
    sheets = pd.read_excel(wb.tmp / "ct.xlsx", sheet_name=None)
    assert set(sheets) == {"counts", "column %", "row %", "tests"}
    assert list(sheets["tests"].columns[:6]) == ["code", "test", "p", "p (Holm)", "Cramér's V (bias-corrected)",
                                                 "smallest possible p"]
    assert "no coder named 'zoe'" in wb("agreement", "--coder", "ana", "--coder", "zoe", code=1).output
    # a mistyped coder is an error everywhere, never "every coder"
    assert "no coder named 'zoe' (coders: ana, bea)" in wb("crosstab", "--by", "sector", "--coder", "zoe", code=1).output


def test_agreement_is_not_fooled_by_a_skipped_interview(wb):
    """bea copies ana's codings except one interview: with nothing marked done that interview is
    left out and said so; once both mark every interview done it counts as 'bea coded nothing'."""
    wb("demo", "--no-codings")
    sources = ["it-01-voltaria-sistemas", "it-02-nuvemar-software", "tx-01-tecelagem-pinheiro"]
    for src in sources:
        wb("code", src, 0, 20, "Socialization")
        if src != sources[-1]:
            wb("--coder", "bea", "code", src, 0, 20, "Socialization")
    out = wb("agreement", "--coder", "ana", "--coder", "bea", "--unit", "source").output
    assert "compared: 2 source(s) every coder coded in" in out and "bea coded nothing in it" in out
    assert "mark sources done" in out
    wb("status", "done", *sources)
    assert "3 source(s) marked done" in wb("--coder", "bea", "status", "done", *sources).output
    out = wb("agreement", "--coder", "ana", "--coder", "bea", "--unit", "source").output
    assert "compared: 3 source(s) every coder marked done" in out
    assert "3 source(s) not compared" in out and "it-03-lusocircuito" in out      # the unmarked ones, listed
    assert "66.7%" in out and "1.000" not in out
    listing = wb("status", "list").output
    assert "tx-01-tecelagem-pinheiro" in listing and "yes" in listing
    assert "1 source(s) marked not done" in wb("--coder", "bea", "status", "reopen", sources[0]).output
    assert "compared: 2 source(s)" in wb("agreement", "--coder", "ana", "--coder", "bea", "--unit", "source").output
    wb("--coder", "bea", "undo")                      # marking is undoable like any change
    assert "compared: 3 source(s)" in wb("agreement", "--coder", "ana", "--coder", "bea", "--unit", "source").output


def test_methods_paragraph_from_what_was_computed(wb, tmp_path):
    wb("demo", "--no-codings")
    wb("import-codings", REPO / "transcripts" / "demo-gold.yaml")
    target = tmp_path / "methods.md"
    wb("methods", "--by", "sector", "--codebook", "Roles of an industrial enterprise association", "-o", target)
    text = target.read_text(encoding="utf-8")
    assert "case attribute 'sector': IT/electronics (3 cases) and Textile (3 cases)" in text
    assert "Fisher's exact test" in text and "Holm's method" in text and "Bergsma" in text
    assert "smallest attainable p-value was 0.100" in text and "Interview workbench" in text
    assert "say what to describe" in wb("methods", code=2).output


def test_exports_report_quotes_matrix(wb, tmp_path):
    wb("demo", "--no-codings")
    wb("code", "tx-01-tecelagem-pinheiro", 0, 40, "Information aggregator", "--memo", "=1+1")
    out = wb("export", "report", tmp_path / "r.docx", "--codebook", "Roles of an industrial enterprise association",
             "--by", "sector").output
    assert "1 quotes" in out
    import docx
    texts = [p.text for p in docx.Document(tmp_path / "r.docx").paragraphs]
    assert "Memo: =1+1" in texts and "Codes by sector (cases)" in texts
    # A report of one theme: that code's definition and quotes only.
    wb("code", "it-02-nuvemar-software", 0, 30, "Socialization")
    out = wb("export", "report", tmp_path / "one.docx", "--code", "Information aggregator").output
    assert "1 quotes" in out
    one = [p.text for p in docx.Document(tmp_path / "one.docx").paragraphs]
    assert any("Information aggregator" in t for t in one) and not any("Socialization" in t for t in one)
    assert "no code 'Nonexistent'" in wb("export", "report", tmp_path / "x.docx", "--code", "Nonexistent", code=1).output
    wb("export", "quotes", tmp_path / "q.csv")
    assert "'=1+1" not in (tmp_path / "q.csv").read_text(encoding="utf-8-sig")      # memos are not in the quotes table
    assert "sector" in (tmp_path / "q.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    wb("export", "matrix", tmp_path / "m.xlsx")
    import pandas as pd
    m = pd.read_excel(tmp_path / "m.xlsx").set_index("case")
    assert m.loc["TX-01 Tecelagem Pinheiro", "Information aggregator"] == 1


def test_refi_export_and_import(wb, tmp_path):
    wb("demo", "--no-codings")
    wb("code", "tx-01-tecelagem-pinheiro", 0, 40, "Information aggregator")
    wb("export", "qdpx", tmp_path / "demo.qdpx")
    out = wb("import-qdpx", tmp_path / "demo.qdpx", "--name", "Copy").output
    assert "as project 'Copy': 6 sources, 49 codes, 1 codings, 6 cases" in out
    assert "Information aggregator" in wb("--project", "Copy", "list", "codings").output
    wb("--project", "Copy", "export", "qdc", "Information internalization modes", tmp_path / "modes.qdc")
    wb("init", "Fresh")
    assert "4 codes" in wb("--project", "Fresh", "codebook", "import-qdc", tmp_path / "modes.qdc").output


def test_import_qdpx_of_an_atlas_ti_export(wb):
    sample = shared("data", "refi-qda", "atlasti-23-codebook.qdpx")
    assert "1 sources" not in wb("import-qdpx", sample).output


def test_autocode_run_review_evaluate_undo(wb, tmp_path):
    from tests.autocode.test_runs import CODEBOOK, INTERVIEW_EN
    wb("init", "Study")
    (tmp_path / "fairs.yaml").write_text(CODEBOOK, encoding="utf-8")
    (tmp_path / "en.txt").write_text(INTERVIEW_EN, encoding="utf-8")
    wb("codebook", "load", tmp_path / "fairs.yaml")
    wb("import", tmp_path / "en.txt", "--language", "en")
    assert "run 1: 2 suggestions" in wb("autocode", "run").output
    queue = wb("autocode", "review", "--rule", "fairs-en").output
    assert "Yes, every trade fair in Paris." in queue
    assert "1 suggestion(s) decided" in wb("autocode", "review", "--rule", "fairs-en", "--accept-all").output
    wb("code", "en", 0, 10, "Shared costs")               # a human coding that the rule missed
    out = wb("autocode", "evaluate", "1").output
    assert "all codes" in out and "misses (1)" in out
    assert "2 suggestions and 1 codings removed" in wb("autocode", "undo", "1").output
    assert "No pending suggestions" in wb("autocode", "review").output
    codings = wb("list", "codings").output
    assert "Shared costs" in codings and "autocode" not in codings       # the person's coding stays


def test_import_codings_then_evaluate_a_run_against_them(wb, tmp_path):
    """The demo's gold set as hand codings of 'gold'; a run scored against them; a wrong row
    names the file and line and writes nothing; undo takes the import back."""
    gold = REPO / "transcripts" / "demo-gold.yaml"
    wb("demo", "--no-codings")
    assert "577 codings by 'gold'" in wb("import-codings", gold).output
    assert "0 codings by 'gold'" in wb("import-codings", gold).output          # not doubled
    wb("autocode", "run")
    out = wb("autocode", "evaluate", "1", "--gold", "gold").output
    assert "all codes" in out and "Foreign firms" in out
    (tmp_path / "bad.csv").write_text("source,codebook,code,quote\nit-01-voltaria-sistemas,Types of intermediaries "
                                      "in collaborative networks,Foreign firms,words nobody said\n", encoding="utf-8")
    bad = wb("import-codings", tmp_path / "bad.csv", "--coder", "rui", code=1).output
    assert "bad.csv, line 2: row 1: quote not found" in bad
    from workbench.db.models import Coder
    from workbench.db.store import open_store
    store = open_store(f"sqlite:///{wb.tmp / 'study.db'}")
    with store.read() as s:                                                   # nothing of the bad file stayed
        assert "rui" not in {c.name for c in s.query(Coder)}
    store.dispose()
    assert "import codings from demo-gold.yaml" in wb("undo").output
    assert "577 codings by 'gold'" in wb("import-codings", gold).output        # the undo removed them all


@pytest.mark.skipif(not __import__("shutil").which("espeak-ng"), reason="espeak-ng is installed by scripts/test.sh")
def test_transcribe_a_recording_whose_language_changes(wb, tmp_path, monkeypatch):
    from tests.helpers import concatenate_speech, speak
    from tests.paths import FIXTURES
    monkeypatch.setenv("WORKBENCH_MODEL_CACHE", str(tmp_path / "models"))
    monkeypatch.setenv("WORKBENCH_MEDIA_DIR", str(tmp_path / "media"))
    speak("Der Verband organisiert Messen und teilt Informationen über die Auslandsmärkte mit den Unternehmen.",
          "de", tmp_path / "de.wav")
    concatenate_speech([FIXTURES / "jfk.flac", tmp_path / "de.wav"], tmp_path / "mixed.wav")
    wb("init", "Study")
    out = wb("transcribe", tmp_path / "mixed.wav", "--languages-may-change", "--expect", "en", "--expect", "de").output
    assert "job 1: done" in out and "languages: en" in out and "de 0:1" in out
    shown = wb("show", "mixed").output
    assert ("(de)" in shown) != ("(en)" in shown)        # the turns not in the source's language say theirs


def test_db_takes_a_file_path_and_refuses_what_is_no_database(wb, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    wb("--db", "other.db", "init", "Elsewhere")
    assert (tmp_path / "other.db").exists() and "Elsewhere" in wb("--db", str(tmp_path / "other.db"), "list", "projects").output
    assert "Elsewhere" not in wb("list", "projects").output           # the default database is another file
    refused = wb("--db", "foo://x", "list", "projects", code=1).output
    assert "'foo://x' is not a database the workbench can open" in refused and "Traceback" not in refused
