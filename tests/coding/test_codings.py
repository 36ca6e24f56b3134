"""Applying, removing and adjusting codings; memos (SQLite and PostgreSQL)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.helpers import apply_named_code
from workbench.codebook.lookup import find_code
from workbench.coding.codings import adjust_coding, remove_coding
from workbench.coding.memos import add_memo, delete_memo, list_memos, update_memo
from workbench.corpus.importing import import_files
from workbench.db import history
from workbench.db.models import Coder, Coding, Memo, Source
from workbench.errors import InvalidSpan, NotFound


def _source_text(store, project_id):
    with store.read() as s:
        return s.scalar(select(Source.text).where(Source.project_id == project_id))


def test_apply_remove_adjust_and_memo(store, project, interview, codebook_id):
    project_id, coder_id = project
    import_files(store, project_id, coder_id, [interview])
    text = _source_text(store, project_id)
    start = text.index("Então")
    end = text.index("Frankfurt") + len("Frankfurt")
    cid, created = apply_named_code(store, project, "Promoter of meetings and strategic alignment", start, end, memo="fairs")
    assert created
    again, created = apply_named_code(store, project, "Promoter of meetings and strategic alignment", start, end)
    assert again == cid and not created
    with store.write("adjust", project_id=project_id, coder_id=coder_id) as s:
        c = adjust_coding(s, project_id, cid, start, end - len(" em Frankfurt"))
        assert c.source.text[c.start:c.end] == "Então fomos à feira 👍"
        assert c.memos[0].text == "fairs"
    with store.write("remove", project_id=project_id, coder_id=coder_id) as s:
        remove_coding(s, project_id, cid)
    with store.read() as s:
        assert s.scalar(select(func.count(Coding.id))) == 0 and s.scalar(select(func.count(Memo.id))) == 0


@pytest.mark.parametrize("start,end,needle", [(5, 5, "empty or reversed"), (9, 3, "empty or reversed"),
                                              (-1, 4, "outside"), (0, 10_000, "outside")])
def test_bad_spans_are_refused(store, project, interview, codebook_id, start, end, needle):
    import_files(store, project[0], project[1], [interview])
    with pytest.raises(InvalidSpan, match=needle):
        apply_named_code(store, project, "Information aggregator", start, end)
    with store.read() as s:
        assert s.scalar(select(func.count(Coding.id))) == 0


def test_memos_on_every_target_and_search(store, project, interview, codebook_id):
    project_id, coder_id = project
    import_files(store, project_id, coder_id, [interview])
    cid, _ = apply_named_code(store, project, "Information aggregator", 0, 10)
    with store.write("memos", project_id=project_id, coder_id=coder_id) as s:
        coder = s.get(Coder, coder_id)
        src = s.scalar(select(Source))
        add_memo(s, project_id, "Overall impression", coder=coder)
        add_memo(s, project_id, "Rui was guarded about prices", coder=coder, source=src)
        add_memo(s, project_id, "Boundary with analyst unclear", coder=coder,
                            code=find_code(s, project_id, "Information aggregator"))
        add_memo(s, project_id, "Key quote", coder=coder, coding=s.get(Coding, cid))
    with store.read() as s:
        memos = list_memos(s, project_id)
        assert sorted(m.target for m in memos) == ["code", "coding", "project", "source"]
        assert [m.text for m in list_memos(s, project_id, "PRICES")] == ["Rui was guarded about prices"]


def test_a_memo_is_edited_and_deleted_and_undo_brings_it_back(store, project):
    project_id, coder_id = project
    with store.write("memo", project_id=project_id, coder_id=coder_id) as s:
        memo_id = add_memo(s, project_id, "First thought", title="t").id
    with store.write("edit memo", project_id=project_id, coder_id=coder_id) as s:
        edited = update_memo(s, project_id, memo_id, "Second thought")
        assert (edited.text, edited.title) == ("Second thought", "t")
    with pytest.raises(InvalidSpan, match="needs some text"), store.write("e", project_id=project_id, coder_id=coder_id) as s:
        update_memo(s, project_id, memo_id, "   ")
    with pytest.raises(NotFound, match="no memo with id 999"), store.write("e", project_id=project_id, coder_id=coder_id) as s:
        delete_memo(s, project_id, 999)
    with store.write("delete memo", project_id=project_id, coder_id=coder_id) as s:
        delete_memo(s, project_id, memo_id)
    with store.read() as s:
        assert list_memos(s, project_id) == []
    with store.write() as s:
        history.undo(s, project_id, coder_id)
    with store.read() as s:
        assert [m.text for m in list_memos(s, project_id)] == ["Second thought"]
