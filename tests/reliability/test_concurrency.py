"""Cases 3 and 4: two programs writing one SQLite file, and a long read while coding."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.reliability.support import REPO, count, integrity, run_cli
from workbench.coding.codings import apply_code
from workbench.db.models import Coder, Coding, Source
from workbench.db.store import open_store
from workbench.errors import DatabaseBusy

HOLD_LOCK = """
import select, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")         # the write lock, as a writer in the middle of a save
print("locked", flush=True)
# Held for that many seconds, or until the test says "release" on stdin (whichever is first).
select.select([sys.stdin], [], [], float(sys.argv[2]))
conn.execute("ROLLBACK")
"""


@pytest.fixture
def demo_file(tmp_path):
    db = tmp_path / "p.db"
    assert run_cli("--db", f"sqlite:///{db}", "demo", "--no-codings").returncode == 0
    return db


def _hold_write_lock(db: Path, seconds: float) -> subprocess.Popen:
    """Another program takes the write lock and keeps it for ``seconds`` or until released."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(db), str(seconds)], stdout=subprocess.PIPE,
                            stdin=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def _release(proc: subprocess.Popen) -> int:
    """Let the holder go now; its exit code."""
    proc.stdin.write("release\n")
    proc.stdin.flush()
    return proc.wait(60)


def _code_first_words(store, n: int = 1) -> int:
    with store.write("code", project_id=1, coder_id=1) as s:
        src = s.scalar(select(Source).order_by(Source.id))
        coder = s.get(Coder, 1) or s.scalar(select(Coder))
        for i in range(n):
            apply_code(s, src, 1, coder, i, i + 5)
    return n


def test_a_writer_waits_for_the_other_instead_of_failing(demo_file):
    store = open_store(f"sqlite:///{demo_file}")
    try:
        holder = _hold_write_lock(demo_file, 1.5)
        started = time.monotonic()
        _code_first_words(store)                 # waits on the busy timeout, then succeeds
        waited = time.monotonic() - started
        assert holder.wait(120) == 0
    finally:
        store.dispose()
    assert waited >= 1.0                          # it really waited for the other program
    assert count(demo_file, "coding") == 1


def test_past_the_busy_timeout_the_message_says_busy_and_nothing_is_lost(demo_file, monkeypatch):
    monkeypatch.setenv("WORKBENCH_BUSY_TIMEOUT_MS", "300")
    store = open_store(f"sqlite:///{demo_file}")
    try:
        _code_first_words(store)
        holder = _hold_write_lock(demo_file, 600)     # held until released, however slow the machine
        with pytest.raises(DatabaseBusy, match="busy .*nothing was saved - try again"):
            _code_first_words(store, 3)
        assert _release(holder) == 0
        with store.read() as s:
            assert s.scalar(select(func.count()).select_from(Coding)) == 1
    finally:
        store.dispose()
    # The CLI says the same in one line (it may take long to start: the lock waits for it).
    holder = _hold_write_lock(demo_file, 600)
    proc = run_cli("--db", f"sqlite:///{demo_file}", "init", "Another", env={"WORKBENCH_BUSY_TIMEOUT_MS": "300"})
    _release(holder)
    assert proc.returncode == 1 and "busy" in proc.stderr and "Traceback" not in proc.stderr
    assert count(demo_file, "project", "name = 'Another'") == 0


def test_the_app_and_a_cli_batch_write_at_once_and_keep_everything(demo_file):
    """A CLI import batch in another process while this process codes turn after turn."""
    batch = demo_file.parent / "batch"
    batch.mkdir()
    for i in range(30):
        (batch / f"b{i}.txt").write_text("\n".join(f"Ana: line {t} of {i}" for t in range(200)), encoding="utf-8")
    store = open_store(f"sqlite:///{demo_file}")
    try:
        cli = subprocess.Popen([sys.executable, "-m", "workbench", "--db", f"sqlite:///{demo_file}",
                                "import", str(batch)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
        coded = 0
        while cli.poll() is None or coded < 20:
            with store.write("code", project_id=1, coder_id=1) as s:
                src = s.scalar(select(Source).order_by(Source.id))
                apply_code(s, src, 1, s.scalar(select(Coder)), coded, coded + 3)
            coded += 1
        assert cli.returncode == 0, cli.stderr.read()
    finally:
        store.dispose()
    assert count(demo_file, "coding") == coded
    assert count(demo_file, "source") == 6 + 30
    assert integrity(demo_file) == [("ok",)]


def test_writes_go_on_during_a_long_read_and_the_wal_is_checkpointed_after(demo_file):
    store = open_store(f"sqlite:///{demo_file}")
    wal = Path(f"{demo_file}-wal")
    try:
        reading, release = threading.Event(), threading.Event()
        seen: dict[str, int] = {}

        def long_analysis():
            with store.read() as s:
                seen["before"] = s.scalar(select(func.count()).select_from(Coding))
                reading.set()
                release.wait(120)
                # Still its own snapshot: the writes below are not visible to it (checked below, in
                # the test's own thread: an assert in this thread would never fail the test).
                seen["after"] = s.scalar(select(func.count()).select_from(Coding))

        reader = threading.Thread(target=long_analysis)
        reader.start()
        assert reading.wait(60)
        for i in range(200):                     # each write commits at once, reader or not
            with store.write("code", project_id=1, coder_id=1) as s:
                src = s.scalar(select(Source).order_by(Source.id))
                apply_code(s, src, 1, s.scalar(select(Coder)), i, i + 2)
        grown = wal.stat().st_size
        assert grown > 0
        release.set()
        reader.join(120)
        assert not reader.is_alive() and seen["after"] == seen["before"] == 0
        busy, frames, done = store.checkpoint()
        assert busy == 0 and frames == done      # everything copied into the database
        assert wal.stat().st_size == 0           # and the log cut back
    finally:
        store.dispose()
    assert count(demo_file, "coding") == 200
    # A plain sqlite3 reader (another program) sees every coding without the WAL.
    conn = sqlite3.connect(demo_file)
    assert conn.execute("SELECT count(*) FROM coding").fetchone()[0] == 200
    conn.close()


READ_AND_HOLD = """
import select, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN")
conn.execute("SELECT count(*) FROM coding").fetchone()      # a snapshot, held like a long analysis
print("reading", flush=True)
select.select([sys.stdin], [], [], 600)                      # until the test releases it
conn.execute("COMMIT")
"""


def test_closing_does_not_wait_for_another_programs_long_read(demo_file, monkeypatch):
    """A CLI command ends (and checkpoints) while the app is in a long read: it must not sit out
    the busy timeout waiting for that reader. The reader holds its snapshot until released, and
    the busy timeout is ten minutes: closing returns while the reader still reads, or never."""
    monkeypatch.setenv("WORKBENCH_BUSY_TIMEOUT_MS", "600000")
    reader = subprocess.Popen([sys.executable, "-c", READ_AND_HOLD, str(demo_file)], stdout=subprocess.PIPE,
                              stdin=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "reading"
        store = open_store(f"sqlite:///{demo_file}")
        _code_first_words(store, 20)
        closing = threading.Thread(target=store.dispose)
        closing.start()
        closing.join(120)
        assert not closing.is_alive(), "closing waited for the other program's read"
        assert reader.poll() is None                      # ... which was still reading
    finally:
        _release(reader)
    assert count(demo_file, "coding") == 20
