"""PDF documents: the text layer, one segment per page (for literature reviews)."""
from __future__ import annotations

import io
import re

from workbench.corpus.parsers.parsed import ParsedSegment, ParsedSource
from workbench.corpus.text import normalise
from workbench.errors import InvalidSource
from workbench.safety.untrusted import MAX_PAGE_CONTENT_BYTES, megabytes

EXTENSIONS = (".pdf",)



def parse(data: bytes, file: str, encoding: str | None = None) -> ParsedSource:
    """A PDF's pages (refused without a %PDF header)."""
    if not data.startswith(b"%PDF"):
        raise InvalidSource("is not a PDF (no %PDF header)", file=file)
    return parse_pdf(data, file)


def parse_pdf(data: bytes, file: str) -> ParsedSource:
    """The text layer of a PDF, one segment per page (for literature reviews)."""
    from pypdf import PdfReader
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise InvalidSource("is an encrypted PDF; remove the password first", file=file)
        total = 0
        for number, page in enumerate(reader.pages, start=1):
            contents = page.get_contents()
            total += len(contents.get_data()) if contents is not None else 0
            if total > MAX_PAGE_CONTENT_BYTES:
                raise InvalidSource(f"holds more than {megabytes(MAX_PAGE_CONTENT_BYTES)} of page content by page "
                                    f"{number} (pages sharing one content stream?); not read", file=file)
        pages = [page.extract_text() or "" for page in reader.pages]
    except InvalidSource:
        raise
    except Exception as exc:   # pypdf raises many types (incl. AttributeError) on damaged files
        raise InvalidSource(f"is not a readable PDF ({type(exc).__name__}: {exc})", file=file) from exc
    segments = [ParsedSegment(re.sub(r"\n{2,}", "\n", normalise(t)), page=i + 1)
                for i, t in enumerate(pages) if normalise(t)]
    if not segments:
        raise InvalidSource("has no text layer (a scanned PDF? run OCR on it first)", file=file)
    return ParsedSource.from_segments("pdf", segments)
