"""Each coder changes only their own work (issue 17): codings and memos of another coder are
refused with whose they are, blind coding hides the others' memos, and a turn correction that
would change another coder's coded text says whose and waits for a confirmation."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from workbench.coding.codings import adjust_coding, apply_code, remove_coding
from workbench.coding.memos import add_memo, delete_memo, list_memos, set_coding_memo, update_memo
from workbench.corpus.correction import correct_segment
from workbench.corpus.importing import import_files
from workbench.db.models import Coder, Coding, Memo, Source
from workbench.errors import NotYours, OthersAffected
from workbench.project.coders import get_or_create_coder


@pytest.fixture
def two_coders(store, project, interview, codebook_id):
    """ana's and bea's coding of one answer (the whole of turn 2), each with a memo."""
    project_id, ana = project
    import_files(store, project_id, ana, [interview])
    with store.write("seed", project_id=project_id, coder_id=ana) as s:
        bea = get_or_create_coder(s, "bea")
        src = s.scalar(select(Source).where(Source.project_id == project_id))
        seg = src.segments[1]
        from workbench.db.models import Code
        code_id = s.scalar(select(Code.id).where(Code.codebook_id == codebook_id))
        mine, _ = apply_code(s, src, code_id, s.get(Coder, ana), seg.start, seg.end, memo="ana's why")
        theirs, _ = apply_code(s, src, code_id, bea, seg.start, seg.start + 10, memo="bea's why")
        memo = add_memo(s, project_id, "bea's note", coder=bea, source=src)
        return {"project_id": project_id, "ana": ana, "bea": bea.id, "mine": mine.id, "theirs": theirs.id,
                "memo": memo.id, "source": src.id}


def test_another_coders_coding_cannot_be_changed_or_removed(store, two_coders):
    t = two_coders
    with store.write("x", project_id=t["project_id"], coder_id=t["ana"]) as s:
        with pytest.raises(NotYours, match="is bea's; only they can change or remove it"):
            remove_coding(s, t["project_id"], t["theirs"], coder_id=t["ana"])
        with pytest.raises(NotYours, match="bea's"):
            adjust_coding(s, t["project_id"], t["theirs"], 0, 4, coder_id=t["ana"])
        with pytest.raises(NotYours, match="bea's"):
            set_coding_memo(s, s.get(Coding, t["theirs"]), "overwritten", s.get(Coder, t["ana"]))
        adjust_coding(s, t["project_id"], t["mine"], 0, 4, coder_id=t["ana"])       # one's own: fine
    with store.read() as s:
        theirs = s.get(Coding, t["theirs"])
        assert theirs is not None and theirs.end - theirs.start == 10 and theirs.memos[0].text == "bea's why"


def test_another_coders_memo_is_theirs_and_hidden_in_blind_coding(store, two_coders):
    t = two_coders
    with store.write("x", project_id=t["project_id"], coder_id=t["ana"]) as s:
        with pytest.raises(NotYours, match="memo .* is bea's"):
            update_memo(s, t["project_id"], t["memo"], "mine now", coder_id=t["ana"])
        with pytest.raises(NotYours):
            delete_memo(s, t["project_id"], t["memo"], coder_id=t["ana"])
        add_memo(s, t["project_id"], "a project memo without author")
    with store.read() as s:
        everyone = {m.text for m in list_memos(s, t["project_id"])}
        blind_ana = {m.text for m in list_memos(s, t["project_id"], visible_to=t["ana"])}
        assert "bea's note" in everyone and "bea's why" in everyone
        assert blind_ana == {"ana's why", "a project memo without author"}
        assert s.get(Memo, t["memo"]).text == "bea's note"
    with store.write("x", project_id=t["project_id"], coder_id=t["bea"]) as s:
        delete_memo(s, t["project_id"], t["memo"], coder_id=t["bea"])                 # bea's own: fine


def test_a_correction_that_changes_another_coders_coding_asks_first(store, two_coders):
    t = two_coders
    with store.read() as s:
        src = s.get(Source, t["source"])
        old_turn = src.text[src.segments[1].start:src.segments[1].end]
        theirs_before = src.text[s.get(Coding, t["theirs"]).start:s.get(Coding, t["theirs"]).end]
    new_turn = "Rui" + old_turn[10:]                       # rewrites the words bea coded
    with pytest.raises(OthersAffected, match="change the coded text of 1 coding\\(s\\) of bea"):
        with store.write("fix", project_id=t["project_id"], coder_id=t["ana"]) as s:
            correct_segment(s, t["project_id"], t["source"], 1, new_turn, coder_id=t["ana"])
    with store.read() as s:                                # refused: nothing changed
        c = s.get(Coding, t["theirs"])
        assert c.source.text[c.start:c.end] == theirs_before
    # A correction in another turn only shifts bea's coding: no question asked.
    with store.write("fix", project_id=t["project_id"], coder_id=t["ana"]) as s:
        src = s.get(Source, t["source"])
        first = src.text[src.segments[0].start:src.segments[0].end]
        correct_segment(s, t["project_id"], t["source"], 0, first + " Please.", coder_id=t["ana"])
    with store.read() as s:
        c = s.get(Coding, t["theirs"])
        assert c.source.text[c.start:c.end] == theirs_before
    with store.write("fix", project_id=t["project_id"], coder_id=t["ana"]) as s:
        correct_segment(s, t["project_id"], t["source"], 1, new_turn, coder_id=t["ana"], move_others=True)
    with store.read() as s:
        c = s.get(Coding, t["theirs"])
        assert c is None or c.source.text[c.start:c.end] != theirs_before
