"""The event log: undo and redo per coder, across restarts, never over another coder's work."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.helpers import apply_named_code
from workbench.codebook.format import read_codebook
from workbench.codebook.lookup import find_code
from workbench.codebook.storage import store_codebook
from workbench.coding.codings import adjust_coding, apply_code, remove_coding
from workbench.corpus.cases import case_table, get_or_create_case
from workbench.corpus.importing import import_files
from workbench.db import history
from workbench.db.models import Coder, Coding, Memo, Source
from workbench.db.store import open_store
from workbench.errors import NothingToUndo, UndoConflict
from workbench.project.coders import get_or_create_coder


def _state(store):
    with store.read() as s:
        return sorted((c.code_id, c.start, c.end) for c in s.scalars(select(Coding)))


def test_undo_redo_survive_a_restart(db_url, store, project, interview, codebook_id):
    project_id, coder_id = project
    import_files(store, project_id, coder_id, [interview])
    apply_named_code(store, project, "Information aggregator", 0, 10)
    cid, _ = apply_named_code(store, project, "Provider of services to associates", 5, 30, memo="m")
    with store.write("remove", project_id=project_id, coder_id=coder_id) as s:
        remove_coding(s, project_id, cid)
    after_remove = _state(store)
    store.dispose()

    reopened = open_store(db_url)                     # a restart: a new process, same database
    with reopened.write() as s:
        assert history.undo(s, project_id, coder_id).action == "remove"
    assert len(_state(reopened)) == 2
    with reopened.read() as s:
        assert s.scalar(select(Memo.text)) == "m"     # the memo came back with its coding
    with reopened.write() as s:
        history.undo(s, project_id, coder_id)
    assert len(_state(reopened)) == 1
    with reopened.write() as s:
        history.redo(s, project_id, coder_id)
        history.redo(s, project_id, coder_id)
    assert _state(reopened) == after_remove
    with reopened.write() as s, pytest.raises(NothingToUndo):
        history.redo(s, project_id, coder_id)
    reopened.dispose()


def test_a_new_action_clears_redo(store, project, interview, codebook_id):
    project_id, coder_id = project
    import_files(store, project_id, coder_id, [interview])
    apply_named_code(store, project, "Information aggregator", 0, 10)
    with store.write() as s:
        history.undo(s, project_id, coder_id)
    apply_named_code(store, project, "Information aggregator", 2, 12)
    with store.write() as s, pytest.raises(NothingToUndo, match="redo"):
        history.redo(s, project_id, coder_id)


def test_undo_is_per_coder_and_refuses_to_overwrite_another_coder(store, project, interview, codebook_id):
    project_id, ana = project
    import_files(store, project_id, ana, [interview])
    cid, _ = apply_named_code(store, project, "Information aggregator", 0, 10)
    with store.write() as s:
        bea = get_or_create_coder(s, "bea").id
    with store.write("bea adjusts", project_id=project_id, coder_id=bea) as s:
        adjust_coding(s, project_id, cid, 0, 12)
    with store.write() as s, pytest.raises(UndoConflict, match="changed since"):
        history.undo(s, project_id, ana)   # ana's creation: the row is no longer what she made
    assert _state(store)[0][1:] == (0, 12)
    with store.write() as s:
        history.undo(s, project_id, bea)
    assert _state(store)[0][1:] == (0, 10)


def test_undo_refuses_to_take_another_coders_work_with_it(store, project, interview, codebook_id):
    """Undoing an import must not cascade-delete the codings someone made on it since."""
    project_id, ana = project
    import_files(store, project_id, ana, [interview])
    with store.write() as s:
        bea = get_or_create_coder(s, "bea").id
    with store.write("bea codes", project_id=project_id, coder_id=bea) as s:
        src = s.scalar(select(Source))
        apply_code(s, src, find_code(s, project_id, "Information aggregator").id, s.get(Coder, bea), 0, 5)
    with store.write() as s, pytest.raises(UndoConflict, match="also delete coding"):
        history.undo(s, project_id, ana)
    assert len(_state(store)) == 1
    with store.write() as s:
        assert history.skip(s, project_id, ana).action.startswith("import")   # ana drops the step
    with store.write() as s, pytest.raises(UndoConflict, match="also delete coding"):
        history.undo(s, project_id, ana)      # next on her stack: loading the codebook bea used


def test_redo_of_a_reparenting_update_orders_inserts_first(store, project, codebook_id):
    project_id, coder_id = project
    spec = read_codebook("codebooks/association-roles.yaml")
    from workbench.codebook.format import CodeSpec
    moved = spec.codes.pop(0)
    spec.codes.append(CodeSpec(name="Information roles", definition="Parent", children=[moved]))
    with store.write("regroup", project_id=project_id, coder_id=coder_id) as s:
        store_codebook(s, project_id, spec, update=True)
    with store.write() as s:
        history.undo(s, project_id, coder_id)
    with store.write() as s:
        history.redo(s, project_id, coder_id)
    with store.read() as s:
        code = find_code(s, project_id, "Information roles/" + moved.name)
        assert code.parent.name == "Information roles"


def test_a_row_touched_twice_in_one_action_undoes(store, project):
    project_id, coder_id = project
    with store.write("two steps", project_id=project_id, coder_id=coder_id) as s:
        case = get_or_create_case(s, project_id, "Firm")
        s.flush()
        case.description = "edited in the same action"
    with store.write() as s:
        history.undo(s, project_id, coder_id)
    with store.read() as s:
        assert case_table(s, project_id).empty


def _turns(store):
    from workbench.db.models import Segment
    with store.read() as s:
        return [(g.id, g.source_id, g.idx, g.start, g.end, g.speaker_id, g.t_start)
                for g in s.scalars(select(Segment).order_by(Segment.id))]


def test_turns_without_speakers_or_times_come_back_as_none_after_undo_and_redo(store, project, tmp_path):
    """Column by column, "no speaker" and "no time" travel as marks (NULL_INT, NaN): stored as
    NULL, logged and restored as NULL - next to turns that have them."""
    project_id, coder_id = project
    f = tmp_path / "mixed.txt"
    f.write_text("A note before the interview.\n\n[00:00:05] Ana: Hello?\n[00:00:09] Rui: Yes.\n"
                 "[00:00:12] Ana: And then?\n", encoding="utf-8")
    import_files(store, project_id, coder_id, [f])
    turns = _turns(store)
    assert [(t[2], t[5] is None, t[6]) for t in turns] == [(0, True, None), (1, False, 5.0), (2, False, 9.0),
                                                           (3, False, 12.0)]
    with store.write() as s:
        history.undo(s, project_id, coder_id)
    assert _turns(store) == []
    with store.write() as s:
        history.redo(s, project_id, coder_id)
    assert _turns(store) == turns


def test_an_import_is_undone_and_redone_whole_with_its_turns_in_one_event(store, project, interview):
    """Turns are inserted in bulk and logged as one event: undo removes them with their source,
    redo brings back the very same rows."""
    from workbench.db.models import Event, Segment
    project_id, coder_id = project
    import_files(store, project_id, coder_id, [interview])
    turns = _turns(store)
    assert len(turns) == 4 and all(t[5] is not None for t in turns)      # speakers linked
    with store.read() as s:
        events = s.scalars(select(Event).where(Event.entity == "segment")).all()
        assert [e.op for e in events] == [history.BULK_INSERT] and events[0].after["rows"] == 4
    with store.write() as s:
        history.undo(s, project_id, coder_id)
    assert _turns(store) == []
    with store.read() as s:
        assert s.scalar(select(Source.id)) is None
    with store.write() as s:
        history.redo(s, project_id, coder_id)
    assert _turns(store) == turns
    with store.read() as s:
        assert s.scalar(select(Source)).segments[1].speaker.label == "Rui Sá"
    # Another coder changes a turn: undoing the import would lose that, so it is refused whole.
    with store.write() as s:
        bea = get_or_create_coder(s, "bea").id
    with store.write("bea fixes a turn", project_id=project_id, coder_id=bea) as s:
        s.get(Segment, turns[0][0]).end -= 1
    with store.write() as s, pytest.raises(UndoConflict, match=f"segment {turns[0][0]} was changed"):
        history.undo(s, project_id, coder_id)
    assert len(_turns(store)) == 4


def test_a_long_source_text_is_logged_compressed_and_comes_back_exactly(store, project, interview, monkeypatch):
    """A text of PACK_CHARS or more goes into the log compressed (a 200 MB source was a second
    JSON copy in memory); undo and redo still compare and restore it exactly."""
    from workbench.db import snapshots
    from workbench.db.models import Event
    monkeypatch.setattr(snapshots, "PACK_CHARS", 40)
    project_id, coder_id = project
    import_files(store, project_id, coder_id, [interview])
    with store.read() as s:
        text = s.scalar(select(Source.text))
        logged = s.scalar(select(Event.after).where(Event.entity == "source", Event.op == "insert"))
    assert len(text) > 40 and set(logged["text"]) == {"zlib"} and "Frankfurt" not in str(logged)
    with store.write("rename", project_id=project_id, coder_id=coder_id) as s:
        s.scalar(select(Source)).name = "Rui, first interview"
    for step in (history.undo, history.undo, history.redo, history.redo):
        with store.write() as s:
            step(s, project_id, coder_id)
    with store.read() as s:
        assert (s.scalar(select(Source.text)), s.scalar(select(Source.name))) == (text, "Rui, first interview")


def test_a_long_text_logged_before_packing_or_by_another_zlib_still_undoes(store, project, interview, monkeypatch):
    """Undo compares texts, not their compressed bytes: an event logged with the plain text (before
    packing existed) and one whose packing differs from what this zlib would write both undo."""
    from workbench.db import snapshots
    from workbench.db.models import Event
    project_id, coder_id = project
    import_files(store, project_id, coder_id, [interview])             # logged plain (PACK_CHARS is large)
    monkeypatch.setattr(snapshots, "PACK_CHARS", 40)
    with store.write("rename", project_id=project_id, coder_id=coder_id) as s:
        s.scalar(select(Source)).name = "Rui, first interview"         # logged packed
    with store.write() as s:
        event = s.scalar(select(Event).where(Event.entity == "source", Event.op == "update"))
        before = dict(event.before)
        text = s.scalar(select(Source.text))
        other = __import__("zlib").compress(text.encode(), 9)          # what another zlib might write
        before["text"] = {"zlib": __import__("base64").b64encode(other).decode()}
        event.before, event.after = before, {**event.after, "text": before["text"]}
    for step in (history.undo, history.undo):
        with store.write() as s:
            step(s, project_id, coder_id)
    with store.read() as s:
        assert s.scalar(select(Source.id)) is None
