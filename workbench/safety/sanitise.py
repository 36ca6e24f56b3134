"""One sanitiser for every file the workbench writes: characters XML 1.0 cannot hold (DOCX,
XLSX and QDA-XML are XML) removed, and spreadsheet cells that would run as a formula
neutralised with a leading apostrophe - an interview quote must never execute."""
from __future__ import annotations

import re

XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Characters XML 1.0 cannot hold: stripped from exports, and counted."""

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """A cell value that spreadsheets show as text even when it starts like a formula; characters
    XML cannot hold (XLSX is XML) are removed."""
    if isinstance(value, str):
        value = XML_FORBIDDEN.sub("", value)
        if value.startswith(_FORMULA_START):
            return "'" + value
    return value
