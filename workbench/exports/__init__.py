"""Writers of files people take elsewhere (transcripts, reports, tables, REFI-QDA)."""

import re

XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Characters XML 1.0 cannot hold (DOCX and XLSX are XML): stripped from exports, and counted."""
