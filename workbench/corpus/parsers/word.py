"""Word (.docx) transcripts: paragraphs and table rows in body order, then turns as in text."""
from __future__ import annotations

import io

from workbench.corpus.parsers.parsed import ParsedSource
from workbench.corpus.parsers.plain_text import parse_turns
from workbench.errors import InvalidSource
from workbench.safety.untrusted import check_zip

EXTENSIONS = (".docx",)


def parse(data: bytes, file: str, encoding: str | None = None) -> ParsedSource:
    """A Word file's turns (``encoding`` does not apply: DOCX is always UTF-8 XML)."""
    return parse_docx(data, file)


def parse_docx(data: bytes, file: str) -> ParsedSource:
    """Paragraphs of a Word file, then speaker turns as in plain text."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    check_zip(data, file)
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError) as exc:
        raise InvalidSource(f"is not a readable Word document ({exc})", file=file) from exc
    except Exception as exc:   # lxml and zipfile raise a zoo of types on damaged files
        raise InvalidSource(f"is a damaged Word document ({type(exc).__name__}: {exc})", file=file) from exc
    # Body order matters: transcripts are often a table of speaker | text rows.
    from docx.table import Table
    from docx.text.paragraph import Paragraph
    lines: list[str] = []
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(Paragraph(child, document).text)
        elif tag == "tbl":
            for row in Table(child, document).rows:
                cells = [c.text.strip() for c in row.cells]
                cells = [c for i, c in enumerate(cells) if c and c not in cells[:i]]   # merged cells repeat
                if len(cells) >= 2 and len(cells[0].split()) <= 5 and ":" not in cells[0]:
                    lines.append(f"{cells[0]}: {' '.join(cells[1:])}")
                elif cells:
                    lines.append(" ".join(cells))
                lines.append("")
    return parse_turns("\n".join(lines), "docx")
