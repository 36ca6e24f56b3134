"""Case 6: a backup taken while another process writes is whole, holds every committed coding,
and restores."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
import time

from tests.reliability.support import REPO, count, integrity, run_cli

WRITER = """
import sys
from sqlalchemy import select
from workbench.coding.codings import apply_code
from workbench.db.models import Coder, Source
from workbench.db.store import open_store
store = open_store(sys.argv[1])
log = open(sys.argv[2], "a")
for i in range(100000):
    with store.write("code", project_id=1, coder_id=1) as s:
        src = s.scalar(select(Source).order_by(Source.id))
        coding, _ = apply_code(s, src, 1 + i % 40, s.scalar(select(Coder)), i % 500, i % 500 + 7)
        coding_id = coding.id
    log.write(f"{coding_id}\\n")            # written only after the commit returned
    log.flush()
"""


def _ids(path) -> set[int]:
    return {int(x) for x in path.read_text().split()}


def _writing(url: str, log, at_least: int) -> subprocess.Popen:
    """A process coding into ``url`` without pause, once it has committed ``at_least`` codings."""
    log.touch()
    writer = subprocess.Popen([sys.executable, "-c", WRITER, url, str(log)], cwd=REPO, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while len(_ids(log)) < at_least and time.time() < deadline and writer.poll() is None:
        time.sleep(0.05)
    if len(_ids(log)) < at_least:
        writer.kill()
        raise AssertionError(writer.stderr.read() if writer.poll() is not None else "the writer was too slow")
    return writer


def test_backup_during_writes_is_whole_complete_and_restores(tmp_path):
    db = tmp_path / "p.db"
    url = f"sqlite:///{db}"
    assert run_cli("--db", url, "demo", "--no-codings").returncode == 0
    log = tmp_path / "committed.log"
    writer = _writing(url, log, 100)
    try:
        committed_before = _ids(log)
        backup = tmp_path / "backups" / "during.db"
        done = run_cli("--db", url, "backup", str(backup))
        assert done.returncode == 0, done.stderr
        assert writer.poll() is None, "the writer must still be writing while the backup is taken"
    finally:
        writer.kill()
        writer.wait()

    assert "integrity check ok" in done.stdout
    assert integrity(backup) == [("ok",)]
    conn = sqlite3.connect(backup)
    in_backup = {r[0] for r in conn.execute("SELECT id FROM coding")}
    conn.close()
    assert committed_before <= in_backup          # every coding committed before the backup began
    assert len(in_backup) <= len(_ids(log))       # and nothing that was never committed

    restored = tmp_path / "restored.db"
    proc = run_cli("restore", str(backup), "--to", str(restored))
    assert proc.returncode == 0, proc.stderr
    assert count(restored, "coding") == len(in_backup) and integrity(restored) == [("ok",)]
    listing = run_cli("--db", f"sqlite:///{restored}", "list")
    assert listing.returncode == 0 and "Demo" in listing.stdout


def test_restore_replace_refuses_while_another_process_has_the_project_open_and_loses_nothing(tmp_path):
    """Renaming over the live file lost committed work (311 of 504 codings went into the unlinked
    old file of a process still writing). --replace now needs the file to itself: while a writer
    runs it is refused and nothing changes; once the writer is gone it replaces in place, after a
    backup holding every committed coding."""
    db = tmp_path / "p.db"
    url = f"sqlite:///{db}"
    assert run_cli("--db", url, "demo", "--no-codings").returncode == 0
    other = tmp_path / "other.db"
    assert run_cli("--db", f"sqlite:///{other}", "demo", "--no-codings").returncode == 0
    log = tmp_path / "committed.log"
    writer = _writing(url, log, 50)
    try:
        refused = run_cli("restore", str(other), "--to", str(db), "--replace")
        assert writer.poll() is None, "the writer must still be running while restore is refused"
    finally:
        writer.kill()
        writer.wait()
    assert refused.returncode == 1 and "Traceback" not in refused.stderr, refused.stderr
    assert "is open in another process" in refused.stderr and str(db) in refused.stderr
    committed = _ids(log)
    conn = sqlite3.connect(db)
    assert committed <= {r[0] for r in conn.execute("SELECT id FROM coding")}      # nothing lost, nothing replaced
    conn.close()

    done = run_cli("restore", str(other), "--to", str(db), "--replace")
    assert done.returncode == 0, done.stderr
    assert count(db, "coding") == count(other, "coding") and integrity(db) == [("ok",)]
    backups = sorted((tmp_path / "backups").glob("p-*.db"))
    assert len(backups) == 1 and not list((tmp_path / "backups").glob("*.partial"))
    conn = sqlite3.connect(backups[0])
    assert committed <= {r[0] for r in conn.execute("SELECT id FROM coding")}      # the old work is kept
    conn.close()
    listing = run_cli("--db", url, "list")
    assert listing.returncode == 0 and "Demo" in listing.stdout
