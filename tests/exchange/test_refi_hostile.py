"""REFI-QDA files that are damaged or odd in ways other tools produce (issue 17): every one is
refused with a message naming the archive (and member or line) or imported with a note - never a
traceback, never half an import."""
from __future__ import annotations

import io
import struct
import zipfile

import pytest
from sqlalchemy import func, select

from workbench.db.models import Code, Project, Source
from workbench.errors import InvalidExchangeFile
from workbench.exchange.refi.reader import import_qdc, import_qdpx
from workbench.project.coders import get_or_create_coder

C1, C2 = "C0000001-0000-4000-8000-000000000001", "C0000002-0000-4000-8000-000000000002"
S1, S2 = "D0000001-0000-4000-8000-000000000001", "D0000002-0000-4000-8000-000000000002"
V1 = "A0000001-0000-4000-8000-000000000001"
TEXT1 = "Interviewer: Why Germany?\n\nManager: Our first client was in München.\n"
TEXT2 = "Interviewer: And then?\n\nManager: We grew slowly.\n"
CODES = f'<Code guid="{C1}" name="Alpha" isCodable="true"/><Code guid="{C2}" name="Beta" isCodable="true"/>'
SOURCES = (f'<TextSource guid="{S1}" name="Interview 1" plainTextPath="internal://{S1}.txt">'
           f'<PlainTextSelection guid="E0000001-0000-4000-8000-000000000001" startPosition="0" endPosition="11">'
           f'<Coding guid="F0000001-0000-4000-8000-000000000001"><CodeRef targetGUID="{C1}"/></Coding>'
           f'</PlainTextSelection></TextSource>\n'
           f'<TextSource guid="{S2}" name="Interview 2" plainTextPath="internal://{S2}.txt"/>')


def qde(codes=CODES, sources=SOURCES, variables=f'<Variable guid="{V1}" name="sector" typeOfVariable="Text"/>',
        head='<?xml version="1.0" encoding="utf-8"?>') -> str:
    return (f'{head}\n<Project xmlns="urn:QDA-XML:project:1.0" name="Odd" origin="elsewhere">\n'
            f'<CodeBook><Codes>{codes}</Codes></CodeBook>\n<Variables>{variables}</Variables>\n'
            f'<Sources>\n{sources}\n</Sources>\n</Project>\n')


def qdpx(project=None, members=None, method=zipfile.ZIP_DEFLATED) -> bytes:
    project = qde() if project is None else project
    members = {f"sources/{S1}.txt": TEXT1.encode(), f"sources/{S2}.txt": TEXT2.encode()} if members is None \
        else members
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in members.items():
            z.writestr(name, data)
        z.writestr("project.qde", project.encode("utf-8") if isinstance(project, str) else project)
    return buf.getvalue()


def patched(data: bytes, member: str, *, flags=0, method=None, flip=None) -> bytes:
    """Set flag bits or the compression method of one member in both its headers, or flip a byte
    of its data: what a damaged or password-protected archive looks like."""
    out = bytearray(data)
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(member)
    local = info.header_offset
    name_len, extra_len = struct.unpack("<HH", out[local + 26:local + 30])
    if flip is not None:
        out[local + 30 + name_len + extra_len + flip] ^= 0xFF
    headers = [local + 6]
    central = out.find(b"PK\x01\x02")
    while central >= 0:
        n, e, c = struct.unpack("<HHH", out[central + 28:central + 34])
        if out[central + 46:central + 46 + n].decode() == member:
            headers.append(central + 8)
        central = out.find(b"PK\x01\x02", central + 46 + n + e + c)
    for at in headers:
        flag_bits, compress = struct.unpack("<HH", out[at:at + 4])
        out[at:at + 4] = struct.pack("<HH", flag_bits | flags, compress if method is None else method)
    return bytes(out)


SRC1 = f"sources/{S1}.txt"
REFUSED = [
    ("two codes, one GUID", qdpx(qde(codes=CODES.replace(C2, C1))), "is used by two codes ('Alpha' and 'Beta')"),
    ("two sources, one GUID", qdpx(qde(sources=SOURCES.replace(f'guid="{S2}"', f'guid="{S1}"'))),
     "is used by two sources ('Interview 1' and 'Interview 2')"),
    ("Latin-1 source", qdpx(members={SRC1: TEXT1.encode("latin-1"), f"sources/{S2}.txt": TEXT2.encode()}),
     "is not UTF-8 (byte 0xfc); a REFI-QDA source text must be UTF-8"),
    ("UTF-16 without BOM", qdpx(members={SRC1: TEXT1.encode("utf-16-le"), f"sources/{S2}.txt": TEXT2.encode()}),
     "a REFI-QDA source text must be UTF-8"),
    ("NUL in a source", qdpx(members={SRC1: TEXT1.replace("first", "fi\x00rst").encode(),
                                      f"sources/{S2}.txt": TEXT2.encode()}), "is a binary file, not text"),
    ("Variable without guid", qdpx(qde(variables='<Variable name="sector" typeOfVariable="Text"/>')),
     "variable 'sector' has no guid"),
    ("TextSource without guid", qdpx(qde(sources=SOURCES.replace(f'guid="{S2}" ', ""))),
     "source 'Interview 2' has no guid"),
    ("bad CRC", patched(qdpx(method=zipfile.ZIP_STORED), SRC1, flip=3), "is damaged (Bad CRC-32"),
    ("broken deflate stream", patched(qdpx(), SRC1, flip=0), "is damaged"),
    ("encrypted member", patched(qdpx(), SRC1, flags=0x1), "is password-protected (encrypted)"),
    ("unknown compression", patched(qdpx(), SRC1, method=99), "uses compression method 99"),
    ("deflate64", patched(qdpx(), SRC1, method=9), "uses compression method 9"),
    ("UTF-16 project.qde with a DOCTYPE",
     qdpx(qde(head='<?xml version="1.0" encoding="utf-16"?>\n<!DOCTYPE Project [<!ENTITY who "owned">]>')
          .replace('name="Odd"', 'name="&who;"').encode("utf-16")),
     "contains a DOCTYPE or entity declarations"),
]


@pytest.mark.parametrize("data,needle", [pytest.param(d, n, id=i) for i, d, n in REFUSED])
def test_odd_archives_are_refused_with_a_message_and_nothing_is_imported(store, data, needle):
    with pytest.raises(InvalidExchangeFile) as exc:
        with store.write() as s:
            import_qdpx(s, data, "odd.qdpx", coder=get_or_create_coder(s, "me"))
    assert needle in str(exc.value) and str(exc.value).startswith("odd.qdpx")
    with store.read() as s:
        assert s.scalar(select(func.count(Project.id))) == 0 and s.scalar(select(func.count(Source.id))) == 0


def test_what_can_be_imported_is_imported_with_notes(store):
    data = qdpx(qde(codes=CODES.replace('name="Alpha"', 'name="Alpha" color="zzzzzzz"'),
                    sources=SOURCES.replace('name="Interview 2"', 'name="Interview 1"')))
    with store.write() as s:
        report = import_qdpx(s, data, "odd.qdpx", coder=get_or_create_coder(s, "me"))
    assert "code 'Alpha': colour 'zzzzzzz' is not #rrggbb; a palette colour was used" in report.skipped
    assert "source 'Interview 1': a second source of that name is imported as 'Interview 1 (2)'" in report.skipped
    with store.read() as s:
        assert sorted(s.scalars(select(Source.name))) == ["Interview 1", "Interview 1 (2)"]
        alpha = s.scalar(select(Code.color).where(Code.name == "Alpha"))
    assert alpha.startswith("#") and len(alpha) == 7


def test_a_source_without_a_name_is_named_by_its_file(store):
    data = qdpx(qde(sources=SOURCES.replace(' name="Interview 1"', "")))
    with store.write() as s:
        import_qdpx(s, data, "odd.qdpx", coder=get_or_create_coder(s, "me"))
    with store.read() as s:
        assert sorted(s.scalars(select(Source.name))) == sorted([S1, "Interview 2"])


def test_utf16_source_with_bom_imports(store):
    data = qdpx(members={SRC1: TEXT1.encode("utf-16"), f"sources/{S2}.txt": TEXT2.encode()})
    with store.write() as s:
        report = import_qdpx(s, data, "nvivo.qdpx", coder=get_or_create_coder(s, "me"))
    assert report.sources == 2
    with store.read() as s:
        assert "München" in s.scalar(select(Source.text).where(Source.name == "Interview 1"))


def test_a_codebook_with_a_colour_that_is_not_one_imports_with_a_note(store, project):
    qdc = (f'<?xml version="1.0" encoding="utf-8"?><CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
           f'<Code guid="{C1}" name="Alpha" isCodable="true" color="zzzzzzz"/></Codes></CodeBook>').encode()
    notes: list[str] = []
    with store.write() as s:
        import_qdc(s, project[0], qdc, "odd.qdc", notes)
    assert notes == ["code 'Alpha': colour 'zzzzzzz' is not #rrggbb; a palette colour was used"]


def test_the_code_editor_refuses_a_colour_that_is_not_one(store, project, codebook_id):
    from workbench.codebook.tree import create_code, update_code
    from workbench.errors import InvalidCodebook
    with store.write() as s:
        code = s.scalar(select(Code).where(Code.codebook_id == codebook_id))
        with pytest.raises(InvalidCodebook, match="'zzzzzzz' is not a colour like #4e79a7"):
            update_code(s, project[0], code.id, code.version, color="zzzzzzz")
        with pytest.raises(InvalidCodebook, match="not a colour"):
            create_code(s, project[0], codebook_id, "New", color="red")


def test_a_project_in_another_namespace_is_read_and_the_report_says_so(store):
    data = qdpx(qde().replace('xmlns="urn:QDA-XML:project:1.0"', 'xmlns="urn:example:not-refi"'))
    with store.write() as s:
        report = import_qdpx(s, data, "odd.qdpx", coder=get_or_create_coder(s, "me"))
    assert report.sources == 2
    assert any("namespace 'urn:example:not-refi', not REFI-QDA's" in n for n in report.skipped)


U1, U2 = "B0000001-0000-4000-8000-000000000001", "B0000002-0000-4000-8000-000000000002"
P1 = "D0000009-0000-4000-8000-000000000009"


def test_an_atlas_like_project_keeps_sets_dates_users_and_counts_what_it_skips(store):
    """ATLAS.ti writes document groups as Sets ("gender: male"), PDF sources with codings, users
    who coded nothing and creation dates: sets of sources named "name: value" become case
    attributes, other sets and the PDF's codings are counted in the report, every user is a
    coder, every coding keeps its date."""
    from workbench.corpus.cases import case_table
    from workbench.db.models import Coder, Coding
    sources = SOURCES.replace('<Coding guid="F0000001-0000-4000-8000-000000000001">',
                              f'<Coding guid="F0000001-0000-4000-8000-000000000001" creatingUser="{U1}" '
                              'creationDateTime="2021-03-04T10:20:30Z">')
    pdf = (f'<PDFSource guid="{P1}" name="Annual report" path="internal://{P1}.pdf">'
           '<PDFSelection guid="E0000009-0000-4000-8000-000000000009" page="1" firstX="0" firstY="0" secondX="9" '
           f'secondY="9"><Coding guid="F0000009-0000-4000-8000-000000000009"><CodeRef targetGUID="{C1}"/></Coding>'
           '<Coding guid="F0000008-0000-4000-8000-000000000008">'
           f'<CodeRef targetGUID="{C2}"/></Coding></PDFSelection></PDFSource>')
    project = qde(sources=sources + pdf).replace(
        "<CodeBook>", f'<Users><User guid="{U1}" name="Ana"/><User guid="{U2}" name="Bea"/></Users><CodeBook>'
    ).replace("</Project>", f'<Sets><Set guid="90000001-0000-4000-8000-000000000001" name="gender: male">'
              f'<MemberSource targetGUID="{S1}"/></Set>'
              f'<Set guid="90000002-0000-4000-8000-000000000002" name="gender: female"><MemberSource targetGUID="{S2}"/>'
              f'</Set><Set guid="90000003-0000-4000-8000-000000000003" name="Economic themes">'
              f'<MemberCode targetGUID="{C1}"/><MemberCode targetGUID="{C2}"/></Set></Sets></Project>')
    with store.write() as s:
        report = import_qdpx(s, qdpx(project), "atlas.qdpx", coder=get_or_create_coder(s, "me"))
    assert any(line.startswith("1 PDF source(s) and their 2 coding(s) skipped") and "Annual report" in line
               for line in report.skipped), report.skipped
    assert "set 'Economic themes' (2 code(s)) not imported: code groups are not imported yet" in report.skipped
    with store.read() as s:
        table = case_table(s, report.project_id).set_index("case")
        assert table.loc["Interview 1", "gender"] == "male" and table.loc["Interview 2", "gender"] == "female"
        assert {"Ana", "Bea"} <= set(s.scalars(select(Coder.name)))           # Bea coded nothing, still there
        coding = s.scalar(select(Coding))
        assert coding.created_at.year == 2021 and coding.created_at.month == 3
        assert s.get(Coder, coding.coder_id).name == "Ana"


def test_names_with_markup_round_trip_exactly_through_the_lxml_writer(store, project, codebook_id):
    """The writer is lxml's: quotes, angle brackets, ampersands, ]]> and line breaks in names and
    memos come back as they were written (a control character as a line break)."""
    from workbench.coding.memos import add_memo
    from workbench.db.models import Codebook, Coder, Memo
    from workbench.exchange.refi.writer import export_qdpx
    project_id, coder_id = project
    odd = 'a "b" <c> & ]]> \'d\'\nsecond line'
    with store.write("odd", project_id=project_id, coder_id=coder_id) as s:
        s.scalar(select(Code).where(Code.codebook_id == codebook_id).limit(1)).name = odd
        s.get(Codebook, codebook_id).description = odd
        add_memo(s, project_id, odd + "\x0bsoft break", coder=s.get(Coder, coder_id))
    with store.read() as s:
        data = export_qdpx(s, project_id)
    with store.write() as s:
        report = import_qdpx(s, data, "odd.qdpx", coder=get_or_create_coder(s, "me"))
    with store.read() as s:
        names = set(s.scalars(select(Code.name).join(Codebook).where(Codebook.project_id == report.project_id)))
        memo = s.scalar(select(Memo.text).where(Memo.project_id == report.project_id))
    assert odd in names and memo == odd + "\nsoft break"


@pytest.mark.parametrize("where", ["top", "source"])
def test_a_flood_of_elements_nobody_reads_is_refused_before_it_fills_memory(store, monkeypatch, where):
    """Elements the reader never looks at stay in the tree being built (50 MB of "<a/>" took
    1.9 GB): past MAX_KEPT_ELEMENTS kept at once the file is refused, whether the flood is at the
    top level or inside one source; a normal file with the limit just above its size imports."""
    from workbench.exchange.refi import extract
    monkeypatch.setattr(extract, "MAX_KEPT_ELEMENTS", 5_000)
    monkeypatch.setattr(extract, "_CHECK_EVERY", 4_096)
    flood = "<a/>" * 20_000
    project = qde().replace("</Sources>", f"</Sources>{flood}") if where == "top" else \
        qde(sources=SOURCES.replace("</TextSource>", f"{flood}</TextSource>", 1))
    with pytest.raises(InvalidExchangeFile, match="keeps more than 5,000 XML elements unread"):
        with store.write() as s:
            import_qdpx(s, qdpx(project), "flood.qdpx", coder=get_or_create_coder(s, "ana"))
    with store.read() as s:
        assert s.scalar(select(func.count(Project.id))) == 0
    monkeypatch.setattr(extract, "MAX_KEPT_ELEMENTS", 30)
    with store.write() as s:
        import_qdpx(s, qdpx(), "odd.qdpx", coder=get_or_create_coder(s, "ana"))
