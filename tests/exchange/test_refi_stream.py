"""The streamed QDPX reader (issue 14): project.qde is read as it unpacks and each source is
dropped once imported, sources that come before their codebook still import, a damaged
project.qde is refused naming the member, GUIDs used twice get new ones, and the import reports
its progress."""
from __future__ import annotations

import zipfile

import pytest
from sqlalchemy import func, select

from tests.exchange.test_refi_hostile import C1, C2, CODES, S1, S2, TEXT1, TEXT2, patched, qde, qdpx
from workbench.db.models import Coding, Project, Source
from workbench.errors import InvalidExchangeFile
from workbench.exchange.refi import extract
from workbench.exchange.refi.reader import import_qdpx
from workbench.project.coders import get_or_create_coder


def many_sources(n: int, per_source: int) -> tuple[str, dict]:
    """A project of ``n`` sources with ``per_source`` codings each, and its archive members."""
    sources, members = [], {}
    for i in range(n):
        guid = f"D{i:07d}-0000-4000-8000-000000000000"
        sels = "".join(
            f'<PlainTextSelection guid="E{i:07d}-{k:04d}-4000-8000-000000000000" startPosition="{k}" '
            f'endPosition="{k + 5}"><Coding guid="F{i:07d}-{k:04d}-4000-8000-000000000000" '
            f'creationDateTime="2023-0{1 + k % 9}-02T10:00:00Z"><CodeRef targetGUID="{C1 if k % 2 else C2}"/>'
            f'</Coding></PlainTextSelection>' for k in range(per_source))
        sources.append(f'<TextSource guid="{guid}" name="Interview {i}" plainTextPath="internal://{guid}.txt">'
                       f'{sels}</TextSource>')
        members[f"sources/{guid}.txt"] = (TEXT1 * 3).encode()
    return "\n".join(sources), members


def test_each_source_is_dropped_from_the_tree_once_imported(store, monkeypatch):
    sources, members = many_sources(12, 40)
    held = []
    original = extract.read_source

    def spy(el, *args):
        # what is left of the sources before it: at most the last one, emptied
        held.append([len(x) for x in el.itersiblings(preceding=True)])
        return original(el, *args)
    monkeypatch.setattr(extract, "read_source", spy)
    with store.write() as s:
        report = import_qdpx(s, qdpx(qde(sources=sources), members), "many.qdpx", coder=get_or_create_coder(s, "me"))
    assert report.sources == 12 and report.codings == 12 * 40
    assert held[0] == [] and all(left == [0] for left in held[1:]), held    # a tree: eleven, whole
    with store.read() as s:
        months = {when.month for when in s.scalars(select(Coding.created_at))}
    assert months == set(range(1, 10))             # every coding keeps its own creation date


def test_sources_before_the_codebook_still_import(store):
    project = qde()
    codebook = project[project.index("<CodeBook>"):project.index("</CodeBook>") + len("</CodeBook>")]
    reordered = project.replace(codebook, "").replace("</Sources>", "</Sources>\n" + codebook)
    assert reordered.index("<Sources>") < reordered.index("<CodeBook>")
    with store.write() as s:
        report = import_qdpx(s, qdpx(reordered), "odd.qdpx", coder=get_or_create_coder(s, "me"))
    assert (report.sources, report.codes, report.codings) == (2, 2, 1)


def test_a_damaged_project_qde_is_refused_naming_the_member(store):
    data = patched(qdpx(method=zipfile.ZIP_STORED), "project.qde", flip=200)
    with pytest.raises(InvalidExchangeFile) as exc, store.write() as s:
        import_qdpx(s, data, "odd.qdpx", coder=get_or_create_coder(s, "me"))
    assert str(exc.value).startswith("odd.qdpx") and ("project.qde" in str(exc.value))
    with store.read() as s:
        assert s.scalar(select(func.count(Project.id))) == 0


def test_a_guid_used_by_two_codings_gets_a_new_one(store):
    twice = (f'<TextSource guid="{S1}" name="Interview 1" plainTextPath="internal://{S1}.txt">'
             + "".join(f'<PlainTextSelection guid="E000000{k}-0000-4000-8000-000000000001" startPosition="{k}" '
                       f'endPosition="{k + 9}"><Coding guid="F0000001-0000-4000-8000-000000000001">'
                       f'<CodeRef targetGUID="{C1}"/></Coding></PlainTextSelection>' for k in range(3))
             + f'</TextSource><TextSource guid="{S2}" name="Interview 2" plainTextPath="internal://{S2}.txt"/>')
    with store.write() as s:
        report = import_qdpx(s, qdpx(qde(codes=CODES, sources=twice), {f"sources/{S1}.txt": TEXT1.encode(),
                                                                        f"sources/{S2}.txt": TEXT2.encode()}),
                             "odd.qdpx", coder=get_or_create_coder(s, "me"))
    assert report.codings == 3
    with store.read() as s:
        guids = list(s.scalars(select(Coding.guid)))
    assert len(set(guids)) == 3 and "f0000001-0000-4000-8000-000000000001" in guids


def test_progress_is_reported_up_to_the_end(store):
    sources, members = many_sources(30, 30)
    seen = []
    with store.write() as s:
        import_qdpx(s, qdpx(qde(sources=sources), members), "many.qdpx", coder=get_or_create_coder(s, "me"),
                    progress=lambda stage, share: seen.append((stage, share)))
        assert s.scalar(select(func.count(Source.id))) == 30
    shares = [share for _, share in seen]
    assert shares == sorted(shares) and shares[-1] == 1.0 and len(shares) > 3
    assert seen[0][0] == "sources and codings" and seen[-1][0] == "cases, sets and memos"


def test_case_attributes_travel_as_sets_and_come_back_as_the_same_values(store):
    """ATLAS.ti and MAXQDA read Sets, not Cases: attribute values go out as "name: value" sets of
    sources and come back (into a fresh project) as the same values, typed, with no note."""
    from lxml import etree

    from tests.exchange.test_refi import XSD
    from workbench.corpus.cases import case_table
    from workbench.exchange.refi.writer import export_qdpx
    sets = (f'<Sets><Set guid="90000001-0000-4000-8000-000000000001" name="sector: Textile">'
            f'<MemberSource targetGUID="{S1}"/></Set>'
            f'<Set guid="90000002-0000-4000-8000-000000000002" name="sector: IT">'
            f'<MemberSource targetGUID="{S2}"/></Set>'
            f'<Set guid="90000003-0000-4000-8000-000000000003" name="employees: 42">'
            f'<MemberSource targetGUID="{S1}"/></Set></Sets>')
    with store.write() as s:
        first = import_qdpx(s, qdpx(qde().replace("</Project>", sets + "</Project>")), "atlas.qdpx",
                            coder=get_or_create_coder(s, "me"))
        table = case_table(s, first.project_id)
        data = export_qdpx(s, first.project_id)
    names = [el.get("name") for el in etree.fromstring(zipfile.ZipFile(__import__("io").BytesIO(data))
                                                      .read("project.qde")).iter("{*}Set")]
    assert sorted(names) == ["employees: 42", "sector: IT", "sector: Textile"]
    assert XSD.validate(etree.fromstring(zipfile.ZipFile(__import__("io").BytesIO(data)).read("project.qde")))
    with store.write() as s:
        second = import_qdpx(s, data, "again.qdpx", coder=get_or_create_coder(s, "me"))
        again = case_table(s, second.project_id)
    assert not [n for n in second.skipped if n.startswith("set ")], second.skipped
    assert again.drop(columns=[c for c in again.columns if c == "id"]).to_dict("records") == \
        table.drop(columns=[c for c in table.columns if c == "id"]).to_dict("records")


def test_a_pdf_with_its_extracted_text_is_imported_with_the_codings_in_that_text(store):
    """ATLAS.ti and NVivo keep a PDF's extracted text as its Representation; selections in that
    text import like any other, areas drawn on a page are counted as skipped."""
    pdf_guid, rep_guid = "B0000001-0000-4000-8000-000000000001", "B0000002-0000-4000-8000-000000000002"
    report_text = "Annual report 2023.\n\nExports grew by a third after the Frankfurt fair."
    start = report_text.index("Exports")
    pdf = (f'<PDFSource guid="{pdf_guid}" name="Annual report" path="internal://{pdf_guid}.pdf">'
           '<PDFSelection guid="E0000009-0000-4000-8000-000000000009" page="1" firstX="0" firstY="0" secondX="9" '
           f'secondY="9"><Coding guid="F0000009-0000-4000-8000-000000000009"><CodeRef targetGUID="{C1}"/></Coding>'
           '</PDFSelection>'
           f'<Representation guid="{rep_guid}" plainTextPath="internal://{rep_guid}.txt">'
           f'<PlainTextSelection guid="E0000010-0000-4000-8000-000000000010" startPosition="{start}" '
           f'endPosition="{len(report_text)}"><Coding guid="F0000010-0000-4000-8000-000000000010">'
           f'<CodeRef targetGUID="{C2}"/></Coding></PlainTextSelection></Representation></PDFSource>')
    members = {f"sources/{S1}.txt": TEXT1.encode(), f"sources/{S2}.txt": TEXT2.encode(),
               f"sources/{rep_guid}.txt": report_text.encode(), f"sources/{pdf_guid}.pdf": b"%PDF-1.4 not read"}
    from tests.exchange.test_refi_hostile import SOURCES
    with store.write() as s:
        report = import_qdpx(s, qdpx(qde(sources=SOURCES + pdf), members), "atlas.qdpx",
                             coder=get_or_create_coder(s, "me"))
    assert (report.sources, report.codings) == (3, 2)
    assert any(line.startswith("PDF source 'Annual report': imported from the text the PDF tool extracted; "
                               "1 area selection(s)") and "1 coding(s) skipped" in line for line in report.skipped)
    with store.read() as s:
        src = s.scalar(select(Source).where(Source.name == "Annual report"))
        coding = s.scalar(select(Coding).where(Coding.source_id == src.id))
        assert src.text == report_text and src.original_filename == f"internal://{pdf_guid}.pdf"
        assert src.text[coding.start:coding.end] == "Exports grew by a third after the Frankfurt fair."


def test_a_damaged_local_header_of_project_qde_is_refused(store):
    import io
    data = bytearray(qdpx())
    at = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("project.qde").header_offset
    data[at:at + 4] = b"XXXX"                 # the member's local header magic
    with pytest.raises(InvalidExchangeFile) as exc, store.write() as s:
        import_qdpx(s, bytes(data), "odd.qdpx", coder=get_or_create_coder(s, "me"))
    assert str(exc.value).startswith("odd.qdpx") and "'project.qde' is damaged" in str(exc.value)


def test_numbers_and_names_with_colons_survive_a_round_trip_exactly(store):
    """Sets carry only what reads back as itself: a number keeps every digit, an attribute whose
    name has a colon travels in Variables alone (its set would come back as another attribute)."""
    from workbench.corpus.cases import case_table
    from workbench.exchange.refi.writer import export_qdpx
    v2, v3 = "A0000002-0000-4000-8000-000000000002", "A0000003-0000-4000-8000-000000000003"
    variables = (f'<Variable guid="{v2}" name="revenue" typeOfVariable="Float"/>'
                 f'<Variable guid="{v3}" name="Q1: age" typeOfVariable="Integer"/>')
    cases = (f'<Cases><Case guid="CA000001-0000-4000-8000-000000000001" name="Firm A">'
             f'<VariableValue><VariableRef targetGUID="{v2}"/><FloatValue>1234567.25</FloatValue></VariableValue>'
             f'<VariableValue><VariableRef targetGUID="{v3}"/><IntegerValue>30</IntegerValue></VariableValue>'
             f'<SourceRef targetGUID="{S1}"/></Case></Cases>')
    project = qde(variables=variables).replace("<Sources>", cases + "<Sources>")
    with store.write() as s:
        first = import_qdpx(s, qdpx(project), "a.qdpx", coder=get_or_create_coder(s, "me"))
        table = case_table(s, first.project_id)
        again = import_qdpx(s, export_qdpx(s, first.project_id), "b.qdpx", coder=get_or_create_coder(s, "me"))
        back = case_table(s, again.project_id)
    assert table.loc[0, "revenue"] == 1234567.25 and table.loc[0, "Q1: age"] == 30
    assert list(back.columns) == list(table.columns)           # no "Q1" attribute made from a set
    assert back.loc[0, "revenue"] == 1234567.25 and back.loc[0, "Q1: age"] == 30


def test_users_listed_after_the_sources_keep_their_names(store):
    from workbench.db.models import Coder
    user = "B0000001-0000-4000-8000-000000000001"
    sources = qde().split("<Sources>")[1].split("</Sources>")[0].replace(
        '<Coding guid="F0000001-0000-4000-8000-000000000001">',
        f'<Coding guid="F0000001-0000-4000-8000-000000000001" creatingUser="{user}">')
    project = qde(sources=sources).replace("</Sources>", f'</Sources><Users><User guid="{user}" name="Ana"/></Users>')
    with store.write() as s:
        import_qdpx(s, qdpx(project), "odd.qdpx", coder=get_or_create_coder(s, "me"))
    with store.read() as s:
        assert s.scalar(select(Coder.name).join(Coding, Coding.coder_id == Coder.id)) == "Ana"


def _everything(s, project_id):
    """What an import stored, comparable across two imports (ids and GUIDs aside)."""
    sources = s.execute(select(Source.name, Source.text, Source.file_hash, Source.original_filename)
                        .where(Source.project_id == project_id).order_by(Source.name)).all()
    codings = s.execute(select(Source.name, Coding.start, Coding.end, Coding.created_at, Coding.code_id)
                        .join(Source, Source.id == Coding.source_id).where(Source.project_id == project_id)
                        .order_by(Source.name, Coding.start, Coding.end)).all()
    return sources, [(n, a, b, when, 0) for n, a, b, when, _ in codings]


@pytest.mark.parametrize("text_ahead", [64 * 2**20, 10])
def test_a_child_process_reads_the_same_project_as_this_one(store, monkeypatch, text_ahead):
    """Also with a text budget smaller than any source: one source at a time, the same result."""
    from workbench.exchange.refi import extract_process
    monkeypatch.setattr(extract_process, "TEXT_AHEAD", text_ahead)
    sources, members = many_sources(5, 30)
    data = qdpx(qde(sources=sources), members)
    shares = []
    with store.write() as s:
        here = import_qdpx(s, data, "many.qdpx", coder=get_or_create_coder(s, "me"), separate_process=False)
        there = import_qdpx(s, data, "many.qdpx", coder=get_or_create_coder(s, "me"), separate_process=True,
                            progress=lambda stage, share: shares.append(share))
    assert (there.sources, there.codes, there.codings, there.cases, there.memos) == \
        (here.sources, here.codes, here.codings, here.cases, here.memos) == (5, 2, 150, 0, 0)
    assert there.skipped == here.skipped
    with store.read() as s:
        assert _everything(s, there.project_id) == _everything(s, here.project_id)
    assert shares and shares == sorted(shares) and shares[-1] == 1.0


def test_a_refusal_in_the_child_process_is_the_same_refusal(store):
    bad = qde().replace('startPosition="0"', 'startPosition="zero"', 1)
    assert bad != qde()
    refusals = []
    for separate in (False, True):
        with pytest.raises(InvalidExchangeFile) as exc, store.write() as s:
            import_qdpx(s, qdpx(bad), "odd.qdpx", coder=get_or_create_coder(s, "me"), separate_process=separate)
        refusals.append((str(exc.value), exc.value.line))
    assert refusals[0] == refusals[1] and refusals[0][1] is not None and "start/end" in refusals[0][0]
    with store.read() as s:
        assert s.scalar(select(func.count(Project.id))) == 0


def test_a_child_process_that_dies_is_reported_not_waited_on(store, monkeypatch):
    from workbench.exchange.refi import extract_process
    monkeypatch.setattr(extract_process.sys, "executable", "/bin/false")
    with pytest.raises(InvalidExchangeFile, match="stopped before its end .*exited with code 1") as exc, \
            store.write() as s:
        import_qdpx(s, qdpx(), "odd.qdpx", coder=get_or_create_coder(s, "me"), separate_process=True)
    assert exc.value.file == "odd.qdpx"
    with store.read() as s:
        assert s.scalar(select(func.count(Project.id))) == 0


def test_messages_from_the_child_unpickle_only_what_a_message_holds():
    import io
    import os
    import pickle

    from workbench.exchange.refi.extract_process import _Messages
    hostile = pickle.dumps(("source", os.system))
    with pytest.raises(pickle.UnpicklingError, match="posix.system|os.system"):
        _Messages(io.BytesIO(hostile)).load()
    fine = pickle.dumps(("source", extract.SourceRecord("TextSource", "a", "G", "a.txt")))
    assert _Messages(io.BytesIO(fine)).load()[1].name == "a"


@pytest.fixture
def started(monkeypatch):
    """The reading processes an import starts, recorded as they start."""
    import subprocess

    from workbench.exchange.refi import extract_process
    children = []

    class Recorded(subprocess.Popen):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            children.append(self)
    monkeypatch.setattr(extract_process.subprocess, "Popen", Recorded)
    return children


def test_a_message_the_parent_refuses_stops_the_child_instead_of_waiting_on_it(store, monkeypatch, started):
    """The child keeps writing while the parent has stopped reading: waiting for it hung (a
    benchmark importing with an older parent and a newer child did, for ever)."""
    from workbench.exchange.refi import extract_process
    monkeypatch.setattr(extract_process, "_RECORDS", {})       # as if the child spoke another version
    sources, members = many_sources(60, 50)                    # far more than a pipe holds
    with pytest.raises(InvalidExchangeFile, match="could not be read .*SourceRecord") as exc, store.write() as s:
        import_qdpx(s, qdpx(qde(sources=sources), members), "many.qdpx", coder=get_or_create_coder(s, "me"),
                    separate_process=True)
    assert exc.value.file == "many.qdpx"
    assert started and all(child.poll() is not None for child in started)
    with store.read() as s:
        assert s.scalar(select(func.count(Project.id))) == 0


class _Cancelled(BaseException):
    """What Streamlit raises in a run it stops (a BaseException, like its own)."""


@pytest.mark.parametrize("separate", [False, True])
def test_a_cancelled_import_stores_nothing_and_stops_the_reading_process(store, started, separate):
    sources, members = many_sources(40, 50)
    seen = []

    def cancel_halfway(stage, share):
        seen.append(share)
        if share >= 0.5:
            raise _Cancelled()
    with pytest.raises(_Cancelled), store.write() as s:
        import_qdpx(s, qdpx(qde(sources=sources), members), "many.qdpx", coder=get_or_create_coder(s, "me"),
                    progress=cancel_halfway, separate_process=separate)
    assert seen and seen[-1] < 1.0
    with store.read() as s:
        assert s.scalar(select(func.count(Project.id))) == 0
        assert s.scalar(select(func.count(Coding.id))) == 0
    assert len(started) == (1 if separate else 0)
    assert all(child.poll() is not None for child in started)      # stopped, not left reading


def test_repeated_codings_are_one_and_a_selections_memo_goes_with_its_last_kept_coding(store):
    """One coder, one code, one span is one coding, also when the file repeats it within a
    selection or across selections; a selection's memo goes with the last of its codings that
    was kept, and a memo on a selection without codings stays a memo of the project."""
    from workbench.db.models import Code, Memo

    def coding(n, code):
        return f'<Coding guid="F0000001-0000-4000-8000-00000000000{n}"><CodeRef targetGUID="{code}"/></Coding>'

    def selection(n, start, end, codings, note):
        return (f'<PlainTextSelection guid="E0000001-0000-4000-8000-00000000000{n}" startPosition="{start}" '
                f'endPosition="{end}">{codings}<NoteRef targetGUID="{note}"/></PlainTextSelection>')
    notes = {k: f"A000000{k}-0000-4000-8000-00000000000{k}" for k in (1, 2, 3)}
    sources = (f'<TextSource guid="{S1}" name="Interview 1" plainTextPath="internal://{S1}.txt">'
               + selection(1, 0, 11, coding(1, C1) + coding(2, C1), notes[1])
               + selection(2, 0, 11, coding(3, C2) + coding(4, C1), notes[2])
               + selection(3, 13, 20, "", notes[3]) + '</TextSource>')
    project = qde(sources=sources).replace("</Sources>", "</Sources>\n<Notes>" + "".join(
        f'<Note guid="{g}" name="note {k}"><PlainTextContent>memo {k}</PlainTextContent></Note>'
        for k, g in notes.items()) + "</Notes>")
    with store.write() as s:
        report = import_qdpx(s, qdpx(project), "repeated.qdpx", coder=get_or_create_coder(s, "me"))
    assert (report.codings, report.memos) == (2, 3)
    with store.read() as s:
        codings = {c.guid: s.get(Code, c.code_id).name for c in s.scalars(select(Coding))}
        assert codings == {"f0000001-0000-4000-8000-000000000001": "Alpha",
                           "f0000001-0000-4000-8000-000000000003": "Beta"}
        memo_on = {m.text: (s.get(Coding, m.coding_id).guid[-1] if m.coding_id else None)
                   for m in s.scalars(select(Memo))}
    assert memo_on == {"memo 1": "1", "memo 2": "3", "memo 3": None}


def test_the_text_budget_holds_sources_back_but_lets_a_large_one_through_alone():
    """Sources queued ahead of the database are bounded by their text too (64 of 200 MB would be
    12 GB): taking waits while something is queued and the next would pass the limit."""
    import threading
    import time

    from workbench.exchange.refi.extract_process import _TextBudget
    budget, stop, taken = _TextBudget(100), threading.Event(), []
    budget.take(150, stop)                      # larger than the limit, nothing queued: through
    worker = threading.Thread(target=lambda: (budget.take(10, stop), taken.append(10)))
    worker.start()
    time.sleep(0.3)
    assert taken == []                          # 150 + 10 > 100 while the first is queued: waits
    budget.give(150)
    worker.join(timeout=30)
    assert taken == [10] and budget.used == 10
