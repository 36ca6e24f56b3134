"""Case 10: two coders change one code definition at the same moment: the second is told the
first changed it, never silently overwritten; one coder applying the same code to the same span
twice at once still makes one coding. On PostgreSQL (and SQLite) with two real transactions."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

from workbench.coding import apply_code
from workbench.codetree import create_code, create_codebook, update_code
from workbench.corpus import add_parsed_source
from workbench.errors import ConcurrentEdit
from workbench.models import Code, Coder, Coding
from workbench.project import get_or_create_coder
from workbench.sources import parse_bytes


@pytest.fixture
def two_coders(store, project):
    project_id, ana_id = project
    with store.write("setup", project_id=project_id, coder_id=ana_id) as s:
        rui = get_or_create_coder(s, "rui")
        book = create_codebook(s, project_id, "Associations")
        code = create_code(s, project_id, book.id, "Trade fairs", definition="Fairs the firm attends.")
        src = add_parsed_source(s, project_id, parse_bytes(b"Ana: we go to the fair in Milan every year", "i.txt"),
                                name="i", file_hash="h")
        return project_id, ana_id, rui.id, code.id, code.version, src.id


def _in_thread(fn):
    box = {}

    def run():
        try:
            box["value"] = fn()
        except BaseException as exc:        # handed back to the test
            box["error"] = exc
    t = threading.Thread(target=run)
    t.start()
    return t, box


def test_the_second_of_two_simultaneous_edits_is_told_who_changed_it_first(store, two_coders):
    project_id, ana_id, rui_id, code_id, version, _ = two_coders
    ana_saving, ana_may_commit = threading.Event(), threading.Event()

    def ana():
        with store.write("edit definition", project_id=project_id, coder_id=ana_id) as s:
            update_code(s, project_id, code_id, version, definition="Ana's definition")
            ana_saving.set()
            ana_may_commit.wait(20)          # Ana's transaction is open while Rui saves

    thread, box = _in_thread(ana)
    assert ana_saving.wait(20)

    def rui():
        with store.write("edit definition", project_id=project_id, coder_id=rui_id) as s:
            update_code(s, project_id, code_id, version, definition="Rui's definition")
    rui_thread, rui_box = _in_thread(rui)
    time.sleep(0.5)                          # Rui's UPDATE now waits for Ana's row lock
    assert rui_thread.is_alive()
    ana_may_commit.set()
    thread.join(20)
    rui_thread.join(30)
    assert "error" not in box, box.get("error")
    err = rui_box.get("error")
    assert isinstance(err, ConcurrentEdit), err
    assert "'ana'" in str(err) and "nothing of yours was saved" in str(err)
    with store.read() as s:
        code = s.get(Code, code_id)
        assert code.definition == "Ana's definition" and code.version == version + 1


def test_the_same_coding_applied_twice_at_once_stays_one(store, two_coders):
    project_id, ana_id, _, code_id, _, source_id = two_coders
    first_flushed, first_may_commit = threading.Event(), threading.Event()

    def first():
        with store.write("code", project_id=project_id, coder_id=ana_id) as s:
            from workbench.models import Source
            coding, created = apply_code(s, s.get(Source, source_id), code_id, s.get(Coder, ana_id), 26, 30)
            first_flushed.set()
            first_may_commit.wait(20)
            return created

    t1, box1 = _in_thread(first)
    assert first_flushed.wait(20)

    def second():
        with store.write("code", project_id=project_id, coder_id=ana_id) as s:
            from workbench.models import Source
            coding, created = apply_code(s, s.get(Source, source_id), code_id, s.get(Coder, ana_id), 26, 30,
                                         memo="second click")
            return created
    t2, box2 = _in_thread(second)
    time.sleep(0.5)
    first_may_commit.set()
    t1.join(20)
    t2.join(30)
    assert "error" not in box1 and "error" not in box2, (box1.get("error"), box2.get("error"))
    assert box1["value"] is True and box2["value"] is False
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(Coding)) == 1
