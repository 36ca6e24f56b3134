"""Coding shortcuts: recent codes, in-vivo coding, and the coding margin of the transcript view."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from workbench.codebook.lookup import find_code
from workbench.coding.codings import apply_code
from workbench.coding.quick import IN_VIVO_BOOK, code_in_vivo, in_vivo_name, recent_codes
from workbench.coding.transcript_view import build_view
from workbench.corpus.importing import import_files
from workbench.db.history import undo
from workbench.db.models import Code, Codebook, Coder, Coding, Source
from workbench.errors import InvalidSpan


def test_in_vivo_names():
    assert in_vivo_name('  "they shared\n the stand,"  ') == "they shared the stand"
    long = in_vivo_name("word " * 30)
    assert len(long) <= 61 and long.endswith("…") and " wor…" not in long
    assert in_vivo_name(" … — ") == ""


def test_recent_codes_and_in_vivo_coding_undone_as_one(store, project, interview, codebook_id):
    project_id, coder_id = project
    import_files(store, project_id, coder_id, [interview])
    with store.write("code", project_id=project_id, coder_id=coder_id) as s:
        src = s.scalar(select(Source))
        coder = s.get(Coder, coder_id)
        for name, at in (("Information aggregator", 5), ("Provider of services to associates", 40),
                         ("Information aggregator", 80)):
            apply_code(s, src, find_code(s, project_id, name).id, coder, at, at + 10)
    with store.read() as s:
        assert [p for _, p in recent_codes(s, project_id, coder_id)] == [
            "Information aggregator", "Provider of services to associates"]
        assert recent_codes(s, project_id, coder_id + 99) == []
        text = s.scalar(select(Source)).text
    start = text.index("shared the stand")
    with store.write("in vivo", project_id=project_id, coder_id=coder_id) as s:
        code, coding, new = code_in_vivo(s, project_id, s.scalar(select(Source)), s.get(Coder, coder_id),
                                         start, start + len("shared the stand,"))
        assert new and code.name == "shared the stand" and code.codebook.name == IN_VIVO_BOOK
    with store.write("again", project_id=project_id, coder_id=coder_id) as s:   # the same words: the same code
        code2, _, new2 = code_in_vivo(s, project_id, s.scalar(select(Source)), s.get(Coder, coder_id),
                                      start, start + len("shared the stand"))
        assert not new2 and code2.id == code.id
        with pytest.raises(InvalidSpan, match="no words"):
            at = text.index("👍")
            code_in_vivo(s, project_id, s.scalar(select(Source)), s.get(Coder, coder_id), at, at + 1)
    with store.write() as s:
        undo(s, project_id, coder_id)
        undo(s, project_id, coder_id)
    with store.read() as s:                     # the code, its codebook and its codings are gone together
        assert s.scalar(select(Codebook).where(Codebook.name == IN_VIVO_BOOK)) is None
        assert s.scalar(select(Code).where(Code.name == "shared the stand")) is None
        assert s.query(Coding).count() == 3


def test_the_margin_lists_each_turns_codings_and_marks_those_going_on(store, project, interview, codebook_id):
    project_id, coder_id = project
    import_files(store, project_id, coder_id, [interview])
    with store.write("code", project_id=project_id, coder_id=coder_id) as s:
        src = s.scalar(select(Source))
        segs = src.segments
        code = find_code(s, project_id, "Information aggregator")
        across, _ = apply_code(s, src, code.id, s.get(Coder, coder_id), segs[1].start + 2, segs[2].end)
    with store.read() as s:
        src = s.scalar(select(Source))
        view = build_view(s, src)
        plain = build_view(s, src, margin=False)
    turns = view["turns"]
    assert turns[0]["margin"] == [] and turns[1]["margin"] == [[str(across.id), False]]
    assert turns[2]["margin"] == [[str(across.id), True]]                 # begun in the turn before
    assert view["codings"][str(across.id)]["name"] == "Information aggregator" and view["margin"] is True
    assert all(t["margin"] == [] for t in plain["turns"]) and plain["sig"] != view["sig"]
