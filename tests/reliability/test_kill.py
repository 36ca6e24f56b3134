"""Case 1: a process SIGKILLed halfway through a batch import, an autocoding run and a QDPX
import leaves each entirely present or entirely absent, a whole file, and work that can resume."""
from __future__ import annotations

import signal
from pathlib import Path

import yaml

from tests.paths import REPO
from tests.reliability.support import count, integrity, run_cli, run_cli_killed_at
from workbench.coding.quotes_import import codings_from_quotes
from workbench.config import Settings
from workbench.db.store import open_store
from workbench.demo import build_demo
from workbench.exchange.refi.writer import export_qdpx
from workbench.project.coders import get_or_create_coder

GOLD = REPO / "transcripts" / "demo-gold.yaml"


def _assert_killed(proc) -> None:
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stderr[-2000:])


def _reopens_whole(db: Path) -> None:
    """The workbench opens the file again (its own quick_check passes) and SQLite's full
    integrity check says ok."""
    open_store(f"sqlite:///{db}").dispose()
    assert integrity(db) == [("ok",)]


def test_killed_batch_import_stores_nothing_and_a_rerun_stores_everything(tmp_path):
    files = tmp_path / "batch"
    files.mkdir()
    for i in range(40):
        turns = "\n".join(f"{'Interviewer' if t % 2 else 'Ana'}: turn {t} of interview {i}, about fairs and "
                          "suppliers and the association" for t in range(60))
        (files / f"interview-{i:02}.txt").write_text(turns, encoding="utf-8")
    db = tmp_path / "p.db"
    url = f"sqlite:///{db}"
    assert run_cli("--db", url, "init", "Study").returncode == 0

    proc = run_cli_killed_at("source", 20, "--db", url, "import", str(files))
    _assert_killed(proc)
    _reopens_whole(db)
    assert count(db, "source") == 0 and count(db, "segment") == 0 and count(db, "event") == 0

    done = run_cli("--db", url, "import", str(files))
    assert done.returncode == 0, done.stderr
    assert count(db, "source") == 40 and count(db, "segment") == 40 * 60


def test_killed_autocoding_run_leaves_no_half_run_and_resumes_to_the_full_result(tmp_path):
    db = tmp_path / "p.db"
    url = f"sqlite:///{db}"
    assert run_cli("--db", url, "demo", "--no-codings").returncode == 0
    reference = tmp_path / "reference.db"
    assert run_cli("--db", url, "backup", str(reference)).returncode == 0
    full = run_cli("--db", f"sqlite:///{reference}", "autocode", "run")
    assert full.returncode == 0, full.stderr
    expected = count(reference, "suggestion")
    assert expected > 100

    proc = run_cli_killed_at("suggestion", expected // 2, "--db", url, "autocode", "run")
    _assert_killed(proc)
    _reopens_whole(db)
    assert count(db, "suggestion") == 0
    assert count(db, "job", "kind = 'autocode'") == 0          # no run left "running" or half-stored

    resumed = run_cli("--db", url, "autocode", "run")
    assert resumed.returncode == 0, resumed.stderr
    assert count(db, "suggestion") == expected
    undone = run_cli("--db", url, "autocode", "undo", "1")
    assert undone.returncode == 0, undone.stderr
    assert count(db, "suggestion") == 0


def test_killed_qdpx_import_leaves_no_half_project(tmp_path):
    source_url = f"sqlite:///{tmp_path / 'source.db'}"
    store = open_store(source_url)
    try:
        build_demo(store, Settings(database_url=source_url, coder="ana"), codings=False)
        gold = yaml.safe_load(GOLD.read_text(encoding="utf-8"))["codings"]
        with store.write() as s:
            assert codings_from_quotes(s, 1, gold, get_or_create_coder(s, "gold")) == len(gold)
        qdpx = tmp_path / "study.qdpx"
        with store.read() as s:
            qdpx.write_bytes(export_qdpx(s, 1))
    finally:
        store.dispose()
    expected = count(tmp_path / "source.db", "coding")
    assert expected >= len(gold)

    db = tmp_path / "p.db"
    url = f"sqlite:///{db}"
    assert run_cli("--db", url, "init", "Existing").returncode == 0
    proc = run_cli_killed_at("coding", expected // 2, "--db", url, "import-qdpx", str(qdpx))
    _assert_killed(proc)
    _reopens_whole(db)
    assert count(db, "project") == 1 and count(db, "source") == 0 and count(db, "coding") == 0
    assert count(db, "code") == 0 and count(db, "case_") == 0

    again = run_cli("--db", url, "import-qdpx", str(qdpx))
    assert again.returncode == 0, again.stderr
    assert count(db, "coding") == expected
