"""Editing the code tree on a real database (SQLite and PostgreSQL): move, merge and delete keep
codings where the researcher said, refuse what would break the tree, and undo whole."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.helpers import apply_named_code
from workbench.codebook.lookup import code_path, find_code
from workbench.codebook.tree import create_code, delete_code, merge_codes, move_code
from workbench.coding.memos import add_memo
from workbench.corpus.importing import import_files
from workbench.db import history
from workbench.db.models import Code, Coding, Memo
from workbench.errors import AlreadyExists, InvalidCodebook


def _ids(store, project_id, *names):
    with store.read() as s:
        return [find_code(s, project_id, n).id for n in names]


def _paths(store, project_id):
    with store.read() as s:
        return {"/".join(code_path(c)) for c in s.scalars(select(Code))}


def _codings(store):
    with store.read() as s:
        return sorted((c.code.name, c.start, c.end) for c in s.scalars(select(Coding)))


def test_move_code_under_another_parent_and_back_to_the_top(store, project, codebook_id):
    project_id, coder_id = project
    child, parent = _ids(store, project_id, "Information aggregator", "Promoter of meetings and strategic alignment")
    with store.write("move", project_id=project_id, coder_id=coder_id) as s:
        moved = move_code(s, project_id, child, parent)
        assert code_path(moved) == ("Promoter of meetings and strategic alignment", "Information aggregator")
    assert "Promoter of meetings and strategic alignment/Information aggregator" in _paths(store, project_id)
    with store.write("move up", project_id=project_id, coder_id=coder_id) as s:
        assert code_path(move_code(s, project_id, child, None)) == ("Information aggregator",)
    with store.write() as s:
        history.undo(s, project_id, coder_id)
    assert "Promoter of meetings and strategic alignment/Information aggregator" in _paths(store, project_id)


def test_move_refuses_a_loop_and_a_name_taken_at_the_new_level(store, project, codebook_id):
    project_id, coder_id = project
    parent, = _ids(store, project_id, "Information aggregator")
    with store.write("child", project_id=project_id, coder_id=coder_id) as s:
        child = create_code(s, project_id, codebook_id, "Fair catalogues", parent_id=parent).id
        create_code(s, project_id, codebook_id, "Fair catalogues")            # the same name at the top
    with pytest.raises(InvalidCodebook, match="under its own descendant"), \
            store.write("loop", project_id=project_id, coder_id=coder_id) as s:
        move_code(s, project_id, parent, child)
    with pytest.raises(AlreadyExists, match="already a code named 'Fair catalogues'"), \
            store.write("clash", project_id=project_id, coder_id=coder_id) as s:
        move_code(s, project_id, child, None)
    assert "Information aggregator/Fair catalogues" in _paths(store, project_id)


def test_merge_moves_codings_memos_and_children_and_drops_duplicates(store, project, interview, codebook_id):
    project_id, coder_id = project
    import_files(store, project_id, coder_id, [interview])
    old, into = _ids(store, project_id, "Information aggregator", "Provider of services to associates")
    apply_named_code(store, project, "Information aggregator", 0, 10, memo="why")
    apply_named_code(store, project, "Information aggregator", 20, 30)
    apply_named_code(store, project, "Provider of services to associates", 20, 30)   # the same span: a duplicate
    with store.write("sub", project_id=project_id, coder_id=coder_id) as s:
        create_code(s, project_id, codebook_id, "Sector studies", parent_id=old)
        add_memo(s, project_id, "about the code", code=s.get(Code, old))
    with store.write("merge", project_id=project_id, coder_id=coder_id) as s:
        result = merge_codes(s, project_id, old, into)
    assert result == {"codings_moved": 1, "into": "Provider of services to associates"}
    assert _codings(store) == [("Provider of services to associates", 0, 10), ("Provider of services to associates", 20, 30)]
    with store.read() as s:
        assert s.get(Code, old) is None
        assert s.scalar(select(Memo.code_id).where(Memo.text == "about the code")) == into
        assert s.scalar(select(Memo.text).join(Coding, Memo.coding_id == Coding.id).where(Coding.start == 0)) == "why"
    assert "Provider of services to associates/Sector studies" in _paths(store, project_id)
    with store.write() as s:
        history.undo(s, project_id, coder_id)
    assert ("Information aggregator", 0, 10) in _codings(store) and len(_codings(store)) == 3


def test_merge_refuses_itself_and_its_own_descendant(store, project, codebook_id):
    project_id, coder_id = project
    parent, = _ids(store, project_id, "Information aggregator")
    with store.write("child", project_id=project_id, coder_id=coder_id) as s:
        child = create_code(s, project_id, codebook_id, "Fair catalogues", parent_id=parent).id
    for target, needle in ((parent, "into itself"), (child, "own descendant")):
        with pytest.raises(InvalidCodebook, match=needle), store.write("m", project_id=project_id, coder_id=coder_id) as s:
            merge_codes(s, project_id, parent, target)


def test_delete_refuses_by_default_then_deletes_or_moves_the_codings(store, project, interview, codebook_id):
    project_id, coder_id = project
    import_files(store, project_id, coder_id, [interview])
    doomed, keeper = _ids(store, project_id, "Information aggregator", "Provider of services to associates")
    with store.write("sub", project_id=project_id, coder_id=coder_id) as s:
        sub = create_code(s, project_id, codebook_id, "Fair catalogues", parent_id=doomed).id
    apply_named_code(store, project, "Information aggregator", 0, 10, memo="m")
    apply_named_code(store, project, "Fair catalogues", 12, 18)
    with pytest.raises(AlreadyExists, match="has 2 codings"), store.write("d", project_id=project_id, coder_id=coder_id) as s:
        delete_code(s, project_id, doomed)
    with pytest.raises(InvalidCodebook, match="outside the deleted subtree"), \
            store.write("d", project_id=project_id, coder_id=coder_id) as s:
        delete_code(s, project_id, doomed, codings="move", move_to=sub)
    with store.write("delete, moving codings", project_id=project_id, coder_id=coder_id) as s:
        assert delete_code(s, project_id, doomed, codings="move", move_to=keeper) == \
            {"deleted_codes": 2, "codings": 2, "action": "move"}
    assert _codings(store) == [("Provider of services to associates", 0, 10), ("Provider of services to associates", 12, 18)]
    with store.write() as s:
        history.undo(s, project_id, coder_id)
    assert _codings(store) == [("Fair catalogues", 12, 18), ("Information aggregator", 0, 10)]
    with store.write("delete with codings", project_id=project_id, coder_id=coder_id) as s:
        assert delete_code(s, project_id, doomed, codings="delete")["deleted_codes"] == 2
    with store.read() as s:
        assert s.scalar(select(func.count(Coding.id))) == 0 and s.scalar(select(func.count(Memo.id))) == 0
    assert not {"Information aggregator", "Information aggregator/Fair catalogues"} & _paths(store, project_id)
