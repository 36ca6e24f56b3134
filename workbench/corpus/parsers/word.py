"""Word (.docx) transcripts: paragraphs and table rows in body order, then turns as in text.

The document part is read as a stream (lxml's pull parser with python-docx's element classes,
so each paragraph's and table's text is python-docx's own), one body element at a time, each
dropped once read: loading the document whole took 2 GB for a 50 MB document.xml.
"""
from __future__ import annotations

import posixpath
import zipfile

from lxml import etree

from workbench.corpus.parsers.parsed import ParsedSource
from workbench.corpus.parsers.plain_text import parse_turns
from workbench.corpus.text import reading_part, report_reading
from workbench.errors import InvalidSource
from workbench.safety.untrusted import MAX_SOURCE_BYTES, MEMBER_DAMAGE, check_zip, megabytes

EXTENSIONS = (".docx",)

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_MAIN_PART = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
_STRICT_PART = "http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument"
_READ = 1 << 20             # bytes of the document part fed to the parser at a time
_JOIN_EVERY = 4096          # lines joined into one string at a time (no list of a million lines)


def parse(data: bytes, file: str, encoding: str | None = None) -> ParsedSource:
    """A Word file's turns (``encoding`` does not apply: DOCX is always UTF-8 XML)."""
    return parse_docx(data, file)


def parse_docx(data: bytes, file: str) -> ParsedSource:
    """Paragraphs of a Word file, then speaker turns as in plain text."""
    archive = check_zip(data, file)
    part = _main_part(archive, file)
    with reading_part(0.0, 0.5):
        text = _body_text(archive, part, file)
    with reading_part(0.5, 1.0):
        return parse_turns(text, "docx")


def _main_part(archive: zipfile.ZipFile, file: str) -> str:
    """The name of the document part, from the package's relationships (``word/document.xml``
    in files Word writes)."""
    try:
        rels = _parsed(archive.read("_rels/.rels"), file)
    except KeyError as exc:
        raise InvalidSource("is not a readable Word document (it has no _rels/.rels)", file=file) from exc
    except MEMBER_DAMAGE as exc:
        raise InvalidSource(f"is a damaged Word document ({exc})", file=file) from exc
    for rel in rels:
        if rel.get("Type") == _STRICT_PART:
            # python-docx (and this reader) know the transitional vocabulary only
            raise InvalidSource("is saved as Strict Open XML, which cannot be read; save it again in Word as "
                                "\"Word Document (*.docx)\"", file=file)
        if rel.get("Type") == _MAIN_PART and rel.get("TargetMode", "Internal") == "Internal":
            name = posixpath.normpath(rel.get("Target", "").lstrip("/"))
            if name in archive.namelist():
                return name
    raise InvalidSource("is not a readable Word document (no document part)", file=file)


def _parser(events=None) -> etree.XMLPullParser:
    from docx.oxml.parser import element_class_lookup
    parser = etree.XMLPullParser(events=events or ("end",), tag=[f"{{{_W}}}p", f"{{{_W}}}tbl"],
                                 resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    parser.set_element_class_lookup(element_class_lookup)
    return parser


def _parsed(data: bytes, file: str) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise InvalidSource(f"is a damaged Word document ({exc.msg})", file=file, line=exc.lineno) from exc
    _refuse_dtd(root, file)
    return root


def _refuse_dtd(el: etree._Element, file: str) -> None:
    docinfo = el.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise InvalidSource("contains a DOCTYPE or entity declarations; refused (entity expansion attacks)",
                            file=file)


def _body_text(archive: zipfile.ZipFile, part: str, file: str) -> str:
    """The body's paragraphs and table rows as lines of text, in body order."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph
    parser, chunks, pieces, size, checked = _parser(), [], [], 0, False
    try:
        size_of_part, done = max(archive.getinfo(part).file_size, 1), 0
        with archive.open(part) as stream:
            while block := stream.read(_READ):
                done += len(block)
                report_reading(done / size_of_part)
                parser.feed(block)
                for _event, el in parser.read_events():
                    if not checked:
                        _refuse_dtd(el, file)
                        checked = True
                    parent = el.getparent()
                    if parent is None or etree.QName(parent).localname != "body":
                        continue            # a paragraph inside a table cell: read with its table
                    if etree.QName(el).localname == "p":
                        lines = [Paragraph(el, None).text]
                    else:
                        lines = _table_lines(Table(el, None))
                    pieces.extend(lines)
                    size += sum(len(line) + 1 for line in lines)
                    if size > MAX_SOURCE_BYTES:
                        raise InvalidSource(f"holds more than {megabytes(MAX_SOURCE_BYTES)} of text, above the "
                                            "limit for one source; split the document", file=file)
                    if len(pieces) >= _JOIN_EVERY:
                        chunks.append("\n".join(pieces))
                        pieces.clear()
                    while el.getprevious() is not None:     # read: dropped, with what came before it
                        del parent[0]
                    el.clear()
            parser.close()
    except etree.XMLSyntaxError as exc:
        raise InvalidSource(f"is a damaged Word document ({exc.msg} in {part})", file=file,
                            line=exc.lineno) from exc
    except MEMBER_DAMAGE as exc:
        raise InvalidSource(f"is a damaged Word document ({type(exc).__name__}: {exc})", file=file) from exc
    chunks.append("\n".join(pieces))
    return "\n".join(chunk for chunk in chunks if chunk or len(chunks) == 1)


def _table_lines(table) -> list[str]:
    """A table's rows as lines: ``speaker: words`` when the first cell looks like a speaker
    (transcripts are often a table of speaker | text rows), each row followed by a blank line."""
    lines = []
    for row in table.rows:
        cells = [c.text.strip() for c in row.cells]
        cells = [c for i, c in enumerate(cells) if c and c not in cells[:i]]   # merged cells repeat
        if len(cells) >= 2 and len(cells[0].split()) <= 5 and ":" not in cells[0]:
            lines.append(f"{cells[0]}: {' '.join(cells[1:])}")
        elif cells:
            lines.append(" ".join(cells))
        lines.append("")
    return lines
