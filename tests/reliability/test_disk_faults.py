"""Case 5: a full disk and a read-only disk, during a save and during an export.

The project lives on a small tmpfs mounted for the test (the suite runs as root here; the
machine's own tmpfs is the real thing: ENOSPC and EROFS come from the kernel, not a mock).
"""
from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.paths import FIXTURES
from tests.reliability.support import count, integrity, run_cli
from workbench.coding.codings import apply_code
from workbench.db.models import Coder, Source
from workbench.db.store import open_store
from workbench.errors import CannotWrite
from workbench.safety.atomic import write_atomic


@pytest.fixture
def small_disk(tmp_path):
    """A 6 MB tmpfs; unmounted afterwards."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}); the suite needs root in CI")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(disk: Path, leave: int) -> Path:
    """Fill the disk until only ``leave`` bytes are free."""
    stat = os.statvfs(disk)
    free = stat.f_bavail * stat.f_frsize
    filler = disk / "filler.bin"
    with filler.open("wb") as fh:
        fh.write(b"\0" * max(0, free - leave))
    return filler


def _project_on(disk: Path) -> Path:
    db = disk / "study.db"
    assert run_cli("--db", f"sqlite:///{db}", "demo", "--no-codings").returncode == 0
    store = open_store(f"sqlite:///{db}")
    try:
        with store.write("code", project_id=1, coder_id=1) as s:
            src = s.scalar(select(Source).order_by(Source.id))
            apply_code(s, src, 1, s.scalar(select(Coder)), 0, 10)
    finally:
        store.dispose()
    return db


def test_a_save_on_a_full_disk_fails_clearly_and_keeps_earlier_work(small_disk, tmp_path):
    db = _project_on(small_disk)
    before = (count(db, "source"), count(db, "coding"))
    batch = tmp_path / "batch"
    batch.mkdir()
    for i in range(20):
        (batch / f"b{i}.txt").write_text("\n".join(f"Ana: line {t} of file {i} " * 3 for t in range(400)), encoding="utf-8")
    _fill(small_disk, 64 * 1024)

    proc = run_cli("--db", f"sqlite:///{db}", "import", str(batch))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "disk is full" in proc.stderr and "nothing was saved" in proc.stderr and str(db) in proc.stderr

    (small_disk / "filler.bin").unlink()
    assert integrity(db) == [("ok",)]
    assert (count(db, "source"), count(db, "coding")) == before


def test_an_export_to_a_full_disk_leaves_no_truncated_file(small_disk, tmp_path):
    """The project on the main disk, the exports going to a full one (a USB stick, a share)."""
    db = _project_on(tmp_path)
    target = small_disk / "quotes.xlsx"
    target.write_bytes(b"yesterday's export")
    report = small_disk / "report.docx"
    _fill(small_disk, 4 * 1024)

    for cmd, out in ((["export", "quotes", str(target)], target), (["export", "report", str(report)], report),
                     (["export", "qdpx", str(small_disk / "all.qdpx")], small_disk / "all.qdpx")):
        proc = run_cli("--db", f"sqlite:///{db}", *cmd)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
        assert "the disk is full" in proc.stderr and str(out) in proc.stderr
    assert target.read_bytes() == b"yesterday's export"           # the earlier file is untouched
    assert not report.exists() and not (small_disk / "all.qdpx").exists()
    assert not list(small_disk.glob("*.partial"))


def test_a_project_on_a_full_disk_says_so_when_it_cannot_even_open(small_disk):
    db = _project_on(small_disk)
    _fill(small_disk, 0)
    proc = run_cli("--db", f"sqlite:///{db}", "list")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "disk full" in proc.stderr or "disk is full" in proc.stderr or "cannot be opened" in proc.stderr
    assert "damaged" not in proc.stderr
    (small_disk / "filler.bin").unlink()
    assert integrity(db) == [("ok",)]


def test_an_export_to_a_read_only_disk_fails_clearly(small_disk):
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    try:
        with pytest.raises(CannotWrite, match="the disk is read-only") as err:
            write_atomic(small_disk / "quotes.csv", b"a,b\n")
        assert str(small_disk / "quotes.csv") in str(err.value)
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    assert not list(small_disk.iterdir())


def test_a_save_to_a_read_only_project_fails_clearly_and_reading_still_works(small_disk):
    """A project on a disk that is mounted read-only (a colleague's share, a backup medium):
    it opens, it reads, and a save says why it cannot be made."""
    db = _project_on(small_disk)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = DELETE")      # as backups are: one self-contained file
    conn.close()
    before = (count(db, "project"), count(db, "coding"), count(db, "memo"))
    url = f"sqlite:///{db}"
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    try:
        listing = run_cli("--db", url, "list")
        assert listing.returncode == 0, listing.stderr
        save = run_cli("--db", url, "memo", "add", "a thought")
        assert save.returncode == 1 and "Traceback" not in save.stderr, save.stderr
        assert "read-only" in save.stderr and "nothing was saved" in save.stderr and str(db) in save.stderr
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    assert (count(db, "project"), count(db, "coding"), count(db, "memo")) == before
    assert integrity(db) == [("ok",)]


@pytest.mark.parametrize("full", [True, False], ids=["full", "read-only"])
def test_backup_restore_and_transcribe_onto_a_bad_disk_say_so(small_disk, tmp_path, full):
    """Onto a full or read-only disk: a clear message naming the place, no traceback, and no
    '.partial' backup left behind."""
    db = _project_on(tmp_path)
    url = f"sqlite:///{db}"
    if full:
        _fill(small_disk, 4 * 1024)
    else:
        subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    try:
        cases = [(["backup", str(small_disk / "b.db")], str(small_disk / "b.db")),
                 (["restore", str(db), "--to", str(small_disk / "sub" / "r.db")], str(small_disk)),
                 (["transcribe", str(FIXTURES / "jfk.flac")], str(small_disk))]
        for cmd, where in cases:
            env = {"WORKBENCH_MEDIA_DIR": str(small_disk / "media")}
            proc = run_cli("--db", url, *cmd, env=env)
            assert proc.returncode == 1 and "Traceback" not in proc.stderr, (cmd, proc.stderr)
            assert where in proc.stderr, (cmd, proc.stderr)
        assert not list(small_disk.rglob("*.partial"))
    finally:
        if not full:
            subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    assert count(db, "source") == 6
