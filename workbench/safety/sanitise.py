"""One sanitiser for every file the workbench writes: characters XML 1.0 cannot hold (DOCX,
XLSX and QDA-XML are XML) removed, and spreadsheet cells that would run as a formula
neutralised with a leading apostrophe - an interview quote must never execute."""
from __future__ import annotations

import re

XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Characters XML 1.0 cannot hold: stripped from exports, and counted."""

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_BREAKS = str.maketrans({"\x0b": "\n", "\x0c": "\n"})     # Word's soft line and page breaks


def xml_text(value) -> str:
    """Text an XML 1.0 file can hold (DOCX, QDA-XML): Word's soft breaks become line breaks,
    other control characters are removed. Every XML writer calls this, so a character accepted on
    import can never make an export fail or come out malformed."""
    return XML_FORBIDDEN.sub("", str(value).translate(_BREAKS))


def neutralise(value):
    """A cell value that spreadsheets show as text even when it starts like a formula; characters
    XML cannot hold (XLSX is XML) are removed."""
    if isinstance(value, str):
        value = XML_FORBIDDEN.sub("", value)
        if value.startswith(_FORMULA_START):
            return "'" + value
    return value


def safe_frame(frame):
    """A copy of a pandas table with every text cell and header neutralised (see :func:`neutralise`):
    every CSV and XLSX the workbench writes, downloads included, goes through it."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or str(out[col].dtype) in ("string", "str"):
            out[col] = out[col].map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out
