"""Case 10: two coders change one code definition at the same moment: the second is told the
first changed it, never silently overwritten; one coder applying the same code to the same span
twice at once still makes one coding. On PostgreSQL (and SQLite) with two real transactions."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import event, func, select

from workbench.codebook.tree import create_code, create_codebook, update_code
from workbench.coding.codings import apply_code
from workbench.corpus.importing import add_parsed_source
from workbench.corpus.parsers import parse_bytes
from workbench.db.models import Code, Coder, Coding
from workbench.errors import ConcurrentEdit
from workbench.project.coders import get_or_create_coder


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


def _in_thread(fn, store=None):
    """Run ``fn`` in a thread; its result or error lands in the box. With ``store``, the box's
    "sent" event is set when the thread sends the statement that takes the write lock."""
    box = {"sent": threading.Event()}

    def run():
        try:
            box["value"] = fn()
        except BaseException as exc:        # handed back to the test
            box["error"] = exc
    t = threading.Thread(target=run)
    if store is not None:
        def watch(conn, cursor, statement, params, context, executemany):
            if threading.current_thread() is t and \
                    statement.lstrip().upper().startswith(("BEGIN IMMEDIATE", "UPDATE", "INSERT")):
                box["sent"].set()
        event.listen(store.engine, "before_cursor_execute", watch)
        box["unwatch"] = lambda: event.remove(store.engine, "before_cursor_execute", watch)
    t.start()
    return t, box


def _blocked(store, thread: threading.Thread, box: dict, deadline: float = 120) -> bool:
    """Wait until ``thread`` waits for the other transaction's lock (no fixed sleep).

    On PostgreSQL a waiting backend shows in pg_stat_activity; SQLite cannot say, so there it is
    the moment the thread has sent the statement that takes the write lock (BEGIN IMMEDIATE),
    which then waits in SQLite's busy handler."""
    end = time.monotonic() + deadline
    try:
        while time.monotonic() < end and thread.is_alive():
            if box["sent"].is_set() and (store.is_sqlite or _lock_waits(store)):
                return True
            time.sleep(0.05)
        return False
    finally:
        box.pop("unwatch")()


def _lock_waits(store) -> int:
    with store.engine.connect() as conn:
        return conn.exec_driver_sql("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                    "AND datname = current_database()").scalar()


def test_the_second_of_two_simultaneous_edits_is_told_who_changed_it_first(store, two_coders):
    project_id, ana_id, rui_id, code_id, version, _ = two_coders
    ana_saving, ana_may_commit = threading.Event(), threading.Event()

    def ana():
        with store.write("edit definition", project_id=project_id, coder_id=ana_id) as s:
            update_code(s, project_id, code_id, version, definition="Ana's definition")
            ana_saving.set()
            ana_may_commit.wait(120)          # Ana's transaction is open while Rui saves

    thread, box = _in_thread(ana)
    assert ana_saving.wait(120)

    def rui():
        with store.write("edit definition", project_id=project_id, coder_id=rui_id) as s:
            update_code(s, project_id, code_id, version, definition="Rui's definition")
    rui_thread, rui_box = _in_thread(rui, store)
    assert _blocked(store, rui_thread, rui_box), rui_box    # Rui's save waits for Ana's open transaction
    assert rui_thread.is_alive()
    ana_may_commit.set()
    thread.join(120)
    rui_thread.join(120)
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
            from workbench.db.models import Source
            coding, created = apply_code(s, s.get(Source, source_id), code_id, s.get(Coder, ana_id), 26, 30)
            first_flushed.set()
            first_may_commit.wait(120)
            return created

    t1, box1 = _in_thread(first)
    assert first_flushed.wait(120)

    def second():
        with store.write("code", project_id=project_id, coder_id=ana_id) as s:
            from workbench.db.models import Source
            coding, created = apply_code(s, s.get(Source, source_id), code_id, s.get(Coder, ana_id), 26, 30,
                                         memo="second click")
            return created
    t2, box2 = _in_thread(second, store)
    assert _blocked(store, t2, box2), box2                # the second click waits for the first
    first_may_commit.set()
    t1.join(120)
    t2.join(120)
    assert "error" not in box1 and "error" not in box2, (box1.get("error"), box2.get("error"))
    assert box1["value"] is True and box2["value"] is False
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(Coding)) == 1
