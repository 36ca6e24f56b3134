"""The library on a real database (every test runs on SQLite and on PostgreSQL)."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import func, select

from workbench import cases as cases_mod
from workbench import coding as coding_mod
from workbench import corpus, history
from workbench.codebook import find_code, read_codebook, spec_from_db, store_codebook, to_yaml
from workbench.errors import (AlreadyExists, InvalidCaseTable, InvalidSource, InvalidSpan, NothingToUndo,
                              UndoConflict)
from workbench.models import Coder, Coding, Memo, Segment, Source, SpeakerRole
from workbench.project import get_or_create_coder
from workbench.store import open_store

INTERVIEW = ("[00:00:01] Interviewer: How did you choose Germany?\n\n"
             "[00:00:05] Rui Sá: A client took us there. Então fomos à feira 👍 em Frankfurt.\n\n"
             "[00:00:20] Interviewer: And the association?\n\n"
             "[00:00:24] Rui Sá: They shared the stand, so the cost was lower.\n")


@pytest.fixture
def interview(tmp_path):
    f = tmp_path / "rui.txt"
    f.write_text(INTERVIEW, encoding="utf-8")
    return f


@pytest.fixture
def codebook_id(store, project):
    project_id, coder_id = project
    spec = read_codebook("codebooks/association-roles.yaml")
    with store.write("load", project_id=project_id, coder_id=coder_id) as s:
        return store_codebook(s, project_id, spec)["codebook_id"]


def _source_text(store, project_id):
    with store.read() as s:
        return s.scalar(select(Source.text).where(Source.project_id == project_id))


def test_import_stores_text_segments_speakers_and_roles(store, project, interview):
    project_id, coder_id = project
    results, errors = corpus.import_files(store, project_id, coder_id, [interview], case="Firm A")
    assert errors == [] and results[0].created and results[0].segments == 4
    with store.read() as s:
        src = s.get(Source, results[0].source_id)
        assert src.case.name == "Firm A" and src.format == "txt"
        assert [(sp.label, sp.role) for sp in src.speakers] == [
            ("Interviewer", SpeakerRole.interviewer), ("Rui Sá", SpeakerRole.interviewee)]
        seg = src.segments[1]
        assert src.text[seg.start:seg.end].endswith("feira 👍 em Frankfurt.")
        assert (seg.t_start, seg.t_end) == (5.0, 20.0)


def test_reimporting_the_same_file_is_detected(store, project, interview, tmp_path):
    project_id, coder_id = project
    corpus.import_files(store, project_id, coder_id, [interview])
    copy = tmp_path / "renamed-copy.txt"
    copy.write_bytes(interview.read_bytes())
    results, _ = corpus.import_files(store, project_id, coder_id, [copy])
    assert not results[0].created and results[0].duplicate_of == "rui"
    with store.read() as s:
        assert s.scalar(select(func.count(Source.id))) == 1


def test_a_bad_file_in_a_batch_stores_nothing(store, project, interview, tmp_path):
    project_id, coder_id = project
    bad = tmp_path / "broken.docx"
    bad.write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(InvalidSource) as exc:
        corpus.import_files(store, project_id, coder_id, [interview, bad])
    assert exc.value.file == str(bad)
    with store.read() as s:
        assert s.scalar(select(func.count(Source.id))) == 0
        assert s.scalar(select(func.count(Segment.id))) == 0
    results, errors = corpus.import_files(store, project_id, coder_id, [interview, bad], skip_bad=True)
    assert [r.created for r in results] == [True] and len(errors) == 1


def test_speakers_rename_and_role(store, project, interview):
    project_id, coder_id = project
    corpus.import_files(store, project_id, coder_id, [interview])
    with store.write("rename", project_id=project_id, coder_id=coder_id) as s:
        corpus.rename_speaker(s, project_id, "rui", "Rui Sá", "R. Sá (CEO)")
        corpus.set_speaker_role(s, project_id, "rui", "Interviewer", "other")
    with store.read() as s:
        src = s.scalar(select(Source))
        assert [(sp.label, sp.role.value) for sp in src.speakers] == [("Interviewer", "other"), ("R. Sá (CEO)", "interviewee")]
    with store.write() as s, pytest.raises(Exception, match="no speaker 'Nobody'"):
        corpus.rename_speaker(s, project_id, "rui", "Nobody", "x")
    with store.write() as s, pytest.raises(InvalidSource, match="unknown role"):
        corpus.set_speaker_role(s, project_id, "rui", "Interviewer", "boss")


def test_case_table_roundtrip_with_types(store, project, tmp_path):
    project_id, coder_id = project
    csv = tmp_path / "cases.csv"
    csv.write_text("case,sector,employees,exporter,since\nA,Textile,46,yes,2004-05-01\nB,IT,12,no,\n",
                   encoding="utf-8")
    with store.write("cases", project_id=project_id, coder_id=coder_id) as s:
        result = cases_mod.import_case_table(s, project_id, cases_mod.read_table(csv), file=str(csv))
        assert result == {"cases": 2, "created": 2, "attributes": 4}
        assert cases_mod.attribute_types(s, project_id) == {
            "sector": "text", "employees": "number", "exporter": "boolean", "since": "date"}
    with store.read() as s:
        frame = cases_mod.case_table(s, project_id)
        assert frame.loc[0, "since"] == dt.date(2004, 5, 1) and frame.loc[1, "exporter"] is False or frame.loc[1, "exporter"] == False  # noqa: E712
        for ext in ("csv", "xlsx"):
            out = cases_mod.export_case_table(s, project_id, tmp_path / f"out.{ext}")
            back = cases_mod.read_table(out)
            assert list(back.columns) == ["case", "sector", "employees", "exporter", "since"]
            assert len(back) == 2


def test_bad_case_value_names_line_and_column(store, project, tmp_path):
    project_id, coder_id = project
    first = tmp_path / "cases.csv"
    first.write_text("case,employees\nA,46\n", encoding="utf-8")
    with store.write("cases", project_id=project_id, coder_id=coder_id) as s:
        cases_mod.import_case_table(s, project_id, cases_mod.read_table(first))
    second = tmp_path / "more.csv"
    second.write_text("case,employees\nB,12\nC,about fifty\n", encoding="utf-8")
    with pytest.raises(InvalidCaseTable) as exc:
        with store.write("cases", project_id=project_id, coder_id=coder_id) as s:
            cases_mod.import_case_table(s, project_id, cases_mod.read_table(second), file=str(second))
    assert exc.value.line == 3 and "employees" in str(exc.value) and "about fifty" in str(exc.value)
    with store.read() as s:
        assert list(cases_mod.case_table(s, project_id)["case"]) == ["A"]


def _apply(store, project, code_name, start, end, memo=None):
    project_id, coder_id = project
    with store.write(f"code {code_name}", project_id=project_id, coder_id=coder_id) as s:
        src = s.scalar(select(Source).where(Source.project_id == project_id))
        code = find_code(s, project_id, code_name)
        coding, created = coding_mod.apply_code(s, src, code.id, s.get(Coder, coder_id), start, end, memo=memo)
        return coding.id, created


def test_apply_remove_adjust_and_memo(store, project, interview, codebook_id):
    project_id, coder_id = project
    corpus.import_files(store, project_id, coder_id, [interview])
    text = _source_text(store, project_id)
    start = text.index("Então")
    end = text.index("Frankfurt") + len("Frankfurt")
    cid, created = _apply(store, project, "Promoter of meetings and strategic alignment", start, end, memo="fairs")
    assert created
    again, created = _apply(store, project, "Promoter of meetings and strategic alignment", start, end)
    assert again == cid and not created
    with store.write("adjust", project_id=project_id, coder_id=coder_id) as s:
        c = coding_mod.adjust_coding(s, project_id, cid, start, end - len(" em Frankfurt"))
        assert c.source.text[c.start:c.end] == "Então fomos à feira 👍"
        assert c.memos[0].text == "fairs"
    with store.write("remove", project_id=project_id, coder_id=coder_id) as s:
        coding_mod.remove_coding(s, project_id, cid)
    with store.read() as s:
        assert s.scalar(select(func.count(Coding.id))) == 0 and s.scalar(select(func.count(Memo.id))) == 0


@pytest.mark.parametrize("start,end,needle", [(5, 5, "empty or reversed"), (9, 3, "empty or reversed"),
                                              (-1, 4, "outside"), (0, 10_000, "outside")])
def test_bad_spans_are_refused(store, project, interview, codebook_id, start, end, needle):
    corpus.import_files(store, project[0], project[1], [interview])
    with pytest.raises(InvalidSpan, match=needle):
        _apply(store, project, "Information aggregator", start, end)
    with store.read() as s:
        assert s.scalar(select(func.count(Coding.id))) == 0


def _state(store):
    with store.read() as s:
        return sorted((c.code_id, c.start, c.end) for c in s.scalars(select(Coding)))


def test_undo_redo_survive_a_restart(db_url, store, project, interview, codebook_id):
    project_id, coder_id = project
    corpus.import_files(store, project_id, coder_id, [interview])
    _apply(store, project, "Information aggregator", 0, 10)
    cid, _ = _apply(store, project, "Provider of services to associates", 5, 30, memo="m")
    with store.write("remove", project_id=project_id, coder_id=coder_id) as s:
        coding_mod.remove_coding(s, project_id, cid)
    after_remove = _state(store)
    store.dispose()

    reopened = open_store(db_url)                     # a restart: a new process, same database
    with reopened.write() as s:
        assert history.undo(s, project_id, coder_id).action == "remove"
    assert len(_state(reopened)) == 2
    with reopened.read() as s:
        assert s.scalar(select(Memo.text)) == "m"     # the memo came back with its coding
    with reopened.write() as s:
        history.undo(s, project_id, coder_id)
    assert len(_state(reopened)) == 1
    with reopened.write() as s:
        history.redo(s, project_id, coder_id)
        history.redo(s, project_id, coder_id)
    assert _state(reopened) == after_remove
    with reopened.write() as s, pytest.raises(NothingToUndo):
        history.redo(s, project_id, coder_id)
    reopened.dispose()


def test_a_new_action_clears_redo(store, project, interview, codebook_id):
    project_id, coder_id = project
    corpus.import_files(store, project_id, coder_id, [interview])
    _apply(store, project, "Information aggregator", 0, 10)
    with store.write() as s:
        history.undo(s, project_id, coder_id)
    _apply(store, project, "Information aggregator", 2, 12)
    with store.write() as s, pytest.raises(NothingToUndo, match="redo"):
        history.redo(s, project_id, coder_id)


def test_undo_is_per_coder_and_refuses_to_overwrite_another_coder(store, project, interview, codebook_id):
    project_id, ana = project
    corpus.import_files(store, project_id, ana, [interview])
    cid, _ = _apply(store, project, "Information aggregator", 0, 10)
    with store.write() as s:
        bea = get_or_create_coder(s, "bea").id
    with store.write("bea adjusts", project_id=project_id, coder_id=bea) as s:
        coding_mod.adjust_coding(s, project_id, cid, 0, 12)
    with store.write() as s, pytest.raises(UndoConflict, match="changed since"):
        history.undo(s, project_id, ana)   # ana's creation: the row is no longer what she made
    assert _state(store)[0][1:] == (0, 12)
    with store.write() as s:
        history.undo(s, project_id, bea)
    assert _state(store)[0][1:] == (0, 10)


def test_codebook_load_update_and_export(store, project, codebook_id):
    project_id, coder_id = project
    spec = read_codebook("codebooks/association-roles.yaml")
    with store.write() as s, pytest.raises(AlreadyExists, match="--update"):
        store_codebook(s, project_id, spec)
    spec.codes[0].definition = "Changed definition."
    spec.codes.pop()
    with store.write("update", project_id=project_id, coder_id=coder_id) as s:
        r = store_codebook(s, project_id, spec, update=True)
    assert (r["added"], r["updated"], r["kept"]) == (0, 6, 1)
    with store.read() as s:
        from workbench.models import Codebook
        exported = spec_from_db(s.get(Codebook, codebook_id))
    assert exported.codes[0].definition == "Changed definition."
    assert "Changed definition." in to_yaml(exported)


def test_memos_on_every_target_and_search(store, project, interview, codebook_id):
    project_id, coder_id = project
    corpus.import_files(store, project_id, coder_id, [interview])
    cid, _ = _apply(store, project, "Information aggregator", 0, 10)
    with store.write("memos", project_id=project_id, coder_id=coder_id) as s:
        coder = s.get(Coder, coder_id)
        src = s.scalar(select(Source))
        coding_mod.add_memo(s, project_id, "Overall impression", coder=coder)
        coding_mod.add_memo(s, project_id, "Rui was guarded about prices", coder=coder, source=src)
        coding_mod.add_memo(s, project_id, "Boundary with analyst unclear", coder=coder,
                            code=find_code(s, project_id, "Information aggregator"))
        coding_mod.add_memo(s, project_id, "Key quote", coder=coder, coding=s.get(Coding, cid))
    with store.read() as s:
        memos = coding_mod.list_memos(s, project_id)
        assert sorted(m.target for m in memos) == ["code", "coding", "project", "source"]
        assert [m.text for m in coding_mod.list_memos(s, project_id, "PRICES")] == ["Rui was guarded about prices"]


def test_demo_project(demo_store):
    store, project_id = demo_store
    with store.read() as s:
        rows = corpus.list_sources(s, project_id)
        frame = cases_mod.case_table(s, project_id)
    assert len(rows) == 6 and all(r["words"] >= 1500 for r in rows)
    assert {r["language"] for r in rows} == {"en", "pt"}
    assert sorted(frame["sector"].unique()) == ["IT/electronics", "Textile"]
    assert all(r["case"] for r in rows) and all("interviewer" in r["speakers"] for r in rows)
    assert isinstance(frame, pd.DataFrame) and frame["employees"].dtype.name == "Int64"


def test_undo_refuses_to_take_another_coders_work_with_it(store, project, interview, codebook_id):
    """Undoing an import must not cascade-delete the codings someone made on it since."""
    project_id, ana = project
    corpus.import_files(store, project_id, ana, [interview])
    with store.write() as s:
        bea = get_or_create_coder(s, "bea").id
    with store.write("bea codes", project_id=project_id, coder_id=bea) as s:
        src = s.scalar(select(Source))
        coding_mod.apply_code(s, src, find_code(s, project_id, "Information aggregator").id, s.get(Coder, bea), 0, 5)
    with store.write() as s, pytest.raises(UndoConflict, match="also delete coding"):
        history.undo(s, project_id, ana)
    assert len(_state(store)) == 1
    with store.write() as s:
        assert history.skip(s, project_id, ana).action.startswith("import")   # ana drops the step
    with store.write() as s, pytest.raises(UndoConflict, match="also delete coding"):
        history.undo(s, project_id, ana)      # next on her stack: loading the codebook bea used


def test_redo_of_a_reparenting_update_orders_inserts_first(store, project, codebook_id):
    project_id, coder_id = project
    spec = read_codebook("codebooks/association-roles.yaml")
    from workbench.codebook import CodeSpec
    moved = spec.codes.pop(0)
    spec.codes.append(CodeSpec(name="Information roles", definition="Parent", children=[moved]))
    with store.write("regroup", project_id=project_id, coder_id=coder_id) as s:
        store_codebook(s, project_id, spec, update=True)
    with store.write() as s:
        history.undo(s, project_id, coder_id)
    with store.write() as s:
        history.redo(s, project_id, coder_id)
    with store.read() as s:
        code = find_code(s, project_id, "Information roles/" + moved.name)
        assert code.parent.name == "Information roles"


def test_a_row_touched_twice_in_one_action_undoes(store, project):
    project_id, coder_id = project
    with store.write("two steps", project_id=project_id, coder_id=coder_id) as s:
        case = corpus.get_or_create_case(s, project_id, "Firm")
        s.flush()
        case.description = "edited in the same action"
    with store.write() as s:
        history.undo(s, project_id, coder_id)
    with store.read() as s:
        assert cases_mod.case_table(s, project_id).empty


@pytest.mark.parametrize("cell", ["1,200", "0123", "nan", "inf", "1.200,50"])
def test_ambiguous_numbers_are_not_numbers(cell):
    assert cases_mod.infer_type([cell, "12"]).value == "text"


def test_semicolon_csv_and_single_column(tmp_path):
    f = tmp_path / "c.csv"
    f.write_text("case;sector\nA;Textile\n", encoding="utf-8")
    assert list(cases_mod.read_table(f).columns) == ["case", "sector"]
    g = tmp_path / "one.csv"
    g.write_text("case\nAlpha\nBeta\n", encoding="utf-8")
    assert list(cases_mod.read_table(g).columns) == ["case"]


def test_dates_must_be_whole():
    with pytest.raises(InvalidCaseTable):
        cases_mod.parse_value("2023-01-01 approx", cases_mod.AttributeType.date)


def test_crosstab_from_database_counts_equals_crosstab_from_quotes(demo_store):
    """The fast path (counted in SQL) and the quote-by-quote path give the same tables."""
    from workbench import analysis, retrieval
    store, project_id = demo_store
    with store.write("seed", project_id=project_id, coder_id=1) as s:
        coder = s.get(Coder, 1)
        codes = [find_code(s, project_id, n).id for n in ("Information aggregator", "Socialization", "Combination")]
        for i, src in enumerate(s.scalars(select(Source).where(Source.project_id == project_id).order_by(Source.id))):
            for j, seg in enumerate(src.segments[: 3 + i]):
                coding_mod.apply_code(s, src, codes[(i + j) % 3], coder, seg.start, seg.end)
    with store.read() as s:
        quotes = retrieval.coded_quotes(s, project_id)
        counts = retrieval.coding_counts(s, project_id)
        cases = cases_mod.case_table(s, project_id)
        sources = pd.DataFrame(corpus.list_sources(s, project_id))[["id", "case"]].rename(columns={"id": "source_id"})
    for count in analysis.COUNTS:
        a = analysis.crosstab(quotes, cases, "sector", count=count, sources=sources)
        b = analysis.crosstab(counts, cases, "sector", count=count, sources=sources)
        assert a.table.equals(b.table), count
        assert [t.p_value for t in a.tests] == [t.p_value for t in b.tests]
