"""Hostile inputs inside the limits (issue 17): parsers that cannot go quadratic, times and
parent references that are refused instead of dropped, control characters and formulas that can
never break or arm an export."""
from __future__ import annotations

import io
import subprocess
import sys
import zipfile

import openpyxl
import pytest
from lxml import etree
from sqlalchemy import select

from tests.paths import FIXTURES, REPO
from workbench.coding.memos import add_memo
from workbench.corpus.case_table import case_table_bytes
from workbench.corpus.cases import get_or_create_attribute, get_or_create_case, set_value
from workbench.corpus.importing import import_uploads
from workbench.corpus.parsers import subtitles
from workbench.db.models import AttributeType, Source
from workbench.errors import InvalidSource
from workbench.exchange import transcript
from workbench.exchange.refi.reader import import_qdpx
from workbench.exchange.refi.writer import export_qdpx
from workbench.project.coders import get_or_create_coder


def test_a_line_of_a_million_spaces_parses_in_linear_time():
    """'A' + 40,000 spaces + 'x' took 88 s (a label pattern backtracking over the spaces); a
    million now parses at once. Run in a child with a deadline an order of magnitude above a
    slow machine's need, so a return of the quadratic pattern (hours) fails the test."""
    script = ("from workbench.corpus.parsers import plain_text\n"
              "data = ('Anna:' + ' ' * 1_000_000 + 'x\\n' + 'A' + ' ' * 1_000_000 + 'x\\n').encode() * 3\n"
              "print(len(plain_text.parse(data, 'wide.txt').segments))\n")
    proc = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "3"      # Anna's three turns: "A ... x" is prose inside each


@pytest.mark.parametrize("name,text,needle,line", [
    ("neg.srt", "1\n00:00:01,000 --> 00:00:02,000\nAnna: hello\n\n2\n-00:00:01,000 --> 00:00:03,000\nBob: lost\n",
     "negative time", 6),
    ("neg.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Anna>hello\n\n00:00:03.000 --> -00:00:04.000\n"
                "<v Bob>lost\n", "negative time", 6),
    ("rev.vtt", "WEBVTT\n\n00:00:05.000 --> 00:00:02.000\n<v Anna>hello\n", "ends before it starts", 3),
    ("bad.srt", "1\n00:00:01,000 --> soon\nAnna: hello\n", "not two times", 2),
])
def test_bad_cue_times_are_refused_with_file_and_line(name, text, needle, line):
    """The SRT library merged a cue with a negative time into the cue before; WebVTT dropped it."""
    with pytest.raises(InvalidSource) as exc:
        subtitles.parse(text.encode(), name)
    assert needle in str(exc.value) and exc.value.file == name and exc.value.line == line


def test_cycles_and_chains_of_parent_codes():
    from workbench.codebook.format import check_text
    head = "workbench_codebook: 1\nname: T\ncodes:\n"

    def code(name, parent=None):
        return f"  - name: {name}\n    definition: d\n" + (f"    parent: {parent}\n" if parent else "")
    spec, problems = check_text(head + code("Z") + code("A", "B") + code("B", "A"), "t.yaml")
    assert spec is None and [p.line for p in problems] == [8, 11]
    assert "parent references form a cycle: 'A' -> 'B' -> 'A'" in problems[0].message
    spec, problems = check_text(head + code("A") + code("C", "B") + code("B", "A"), "t.yaml")
    assert not problems and [c.name for c in spec.codes] == ["A"]
    assert [c.name for c in spec.codes[0].children] == ["B"] and [c.name for c in spec.codes[0].children[0].children] == ["C"]
    spec, problems = check_text(head + "  - name: A\n    definition: d\n    parent: A/K\n    children:\n"
                                       "      - name: K\n        definition: d\n", "t.yaml")
    assert spec is None and "placed under its own sub-code 'A/K'" in problems[0].message and problems[0].line == 6


@pytest.fixture
def hostile_project(demo_store):
    """The demo with a soft line break (Word's \\x0b), a \\x01 and formulas in memos and cases."""
    store, project_id = demo_store
    with store.write("hostile", project_id=project_id, coder_id=1) as s:
        src = s.scalars(select(Source).where(Source.project_id == project_id)).first()
        src_name = src.name
        add_memo(s, project_id, "line one\x0bline two \x01 =HYPERLINK(\"http://x\")", source=src)
        case = get_or_create_case(s, project_id, "=HYPERLINK(\"http://evil\",\"click\")")
        attr = get_or_create_attribute(s, project_id, "note\x01", AttributeType.text)
        set_value(s, case, attr, "@SUM(1+1)\x0b")
    results, errors = import_uploads(store, project_id, None, [("soft.txt", b"Ana: one\x0btwo three =1+1\n")])
    assert not errors
    return store, project_id, src_name, results[0].source_id


def test_control_characters_never_break_an_export(hostile_project):
    store, project_id, _, soft_id = hostile_project
    with store.read() as s:
        docx = transcript.render(s.get(Source, soft_id), "docx")     # raised ValueError
        qdpx = export_qdpx(s, project_id)
    import docx as python_docx
    text = "\n".join(p.text for p in python_docx.Document(io.BytesIO(docx)).paragraphs)
    assert "one\ntwo three =1+1" in text
    archive = zipfile.ZipFile(io.BytesIO(qdpx))
    doc = etree.fromstring(archive.read("project.qde"))       # well-formed
    xsd = etree.XMLSchema(etree.parse(str(FIXTURES / "Project.xsd")))
    assert xsd.validate(doc), xsd.error_log.last_error
    assert b"\x01" not in archive.read("project.qde") and b"\x0b" not in archive.read("project.qde")
    with store.write() as s:
        report = import_qdpx(s, qdpx, "hostile.qdpx", coder=get_or_create_coder(s, "importer"))
    assert report.sources == 7 and report.memos >= 1        # our own importer takes it back


def test_every_case_table_download_is_neutralised(hostile_project):
    store, project_id, _, _ = hostile_project
    with store.read() as s:
        csv_text = case_table_bytes(s, project_id, "csv").decode("utf-8-sig")
        xlsx = case_table_bytes(s, project_id, "xlsx")
    assert "'=HYPERLINK" in csv_text and "'@SUM" in csv_text
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx)).active
    cells = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@"))], cells
    assert not [c for c in cells if "\x01" in c]
    assert sheet.cell(1, 1).data_type == "s" and all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_a_small_pdf_whose_pages_share_one_huge_content_stream_is_refused_before_extraction():
    """A 40 KB PDF of 150 pages sharing one content stream took three minutes to extract (about
    a second per page); the content all pages would make the extractor read is counted first."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    from workbench.corpus.parsers import pdf
    writer = PdfWriter()
    stream = DecodedStreamObject()
    stream.set_data(b"BT /F1 12 Tf 72 712 Td (All work and no play) Tj ET\n" * 20000)
    content = writer._add_object(stream.flate_encode())
    font = writer._add_object(DictionaryObject({NameObject("/Type"): NameObject("/Font"),
                                                NameObject("/Subtype"): NameObject("/Type1"),
                                                NameObject("/BaseFont"): NameObject("/Helvetica")}))
    for _ in range(150):
        page = writer.add_blank_page(612, 792)
        page[NameObject("/Contents")] = content
        page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})})
    buf = io.BytesIO()
    writer.write(buf)
    assert len(buf.getvalue()) < 100_000
    with pytest.raises(InvalidSource, match="holds more than 32 MB of page content by page 33") as exc:
        pdf.parse(buf.getvalue(), "shared.pdf")
    assert exc.value.file == "shared.pdf"


def test_a_file_just_over_the_size_limit_says_by_how_much(tmp_path):
    """Rounded to a tenth of a megabyte, 200 MB and 24 bytes is "200.0 MB, above the 200 MB
    limit": the message gives the bytes instead."""
    from workbench.safety.untrusted import read_limited
    f = tmp_path / "big.txt"
    f.write_bytes(b"x" * (2 * 2**20 + 24))
    with pytest.raises(InvalidSource, match=r"is 2,097,176 bytes \(24 more than 2,097,152\), above the 2\.0 MB limit"):
        read_limited(f, 2 * 2**20)
    with pytest.raises(InvalidSource, match=r"is 2\.0 MB, above the 1\.0 MB limit"):
        read_limited(f, 2**20)
