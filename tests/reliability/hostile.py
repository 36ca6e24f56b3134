"""A demo project laced with hostile text: in a transcript, a code name, a codebook name, a case,
an attribute value, a memo, a speaker label and the project's description."""
from __future__ import annotations

from sqlalchemy import select

from workbench.coding.codings import apply_code
from workbench.coding.memos import set_coding_memo
from workbench.config import Settings
from workbench.corpus.cases import get_case, get_or_create_attribute, set_value
from workbench.corpus.importing import import_uploads
from workbench.corpus.sources import assign_case
from workbench.db.models import Code, Codebook, Coder, Project, Source
from workbench.db.store import open_store
from workbench.demo import build_demo

EVIL_TEXT = ("Ana: <script>alert(1)</script> and <img src=x onerror=alert(2)> and :red[x] and $x$\n"
             "Rui: ok\nAna: fine")
EVIL_CODE = "<img src=y onerror=alert(3)> :red[code] $y$"
EVIL_BOOK = "<b onmouseover=alert(4)>book</b> :blue[b]"
EVIL_MEMO = "memo <img src=z onerror=alert(5)> **bold** [link](javascript:alert(6))"
EVIL_CASE = "<svg onload=alert(7)>case"
# Strings that must show up literally somewhere on the pages, and never as HTML or markdown.
MARKERS = ("<script>alert(1)</script>", "<img src=x onerror=alert(2)>", ":red[x]", "$x$", EVIL_CODE, EVIL_MEMO)


def build_hostile_project(url: str) -> None:
    store = open_store(url)
    try:
        build_demo(store, Settings(database_url=url, coder="ana"), codings=False)
        import_uploads(store, 1, 1, [("evil.txt", EVIL_TEXT.encode())], case=EVIL_CASE)
        with store.write("evil", project_id=1, coder_id=1) as s:
            code = s.scalar(select(Code).where(Code.name == "Socialization"))
            code.name = EVIL_CODE
            code.definition = EVIL_MEMO
            book = s.scalar(select(Codebook).where(Codebook.id == code.codebook_id))
            book.name = EVIL_BOOK
            s.get(Project, 1).description = EVIL_MEMO
            src = s.scalar(select(Source).where(Source.name == "evil"))
            coding, _ = apply_code(s, src, code.id, s.get(Coder, 1), 0, src.text.index(" and :red"))
            set_coding_memo(s, coding, EVIL_MEMO, s.get(Coder, 1))
            assign_case(s, 1, src.id, EVIL_CASE)
            set_value(s, get_case(s, 1, EVIL_CASE), get_or_create_attribute(s, 1, "sector"), "<i>textile</i> :red[t]")
    finally:
        store.dispose()
