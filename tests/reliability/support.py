"""The reliability suite: faults injected into the real code paths (real SQLite files, the real
PostgreSQL, real subprocesses killed with SIGKILL, the real browser).

Helpers run the workbench in a child process; a child can be killed at the N-th row it inserts
into a table (an SQLAlchemy cursor hook in the child only: no fault switch in the product).
A full or read-only disk is a real tmpfs (test_disk_faults.py).
"""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Prepended to a child's script: SIGKILL this process when it is about to insert its N-th row
# into TABLE (counting every row of an executemany).
KILL_AT_ROW = textwrap.dedent('''
    import os, re, signal
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    _table, _nth = os.environ["KILL_TABLE"], int(os.environ["KILL_AT_ROW"])
    _pattern = re.compile(r'\\s*INSERT\\s+INTO\\s+"?' + re.escape(_table) + r'"?\\s*\\(', re.I)
    _seen = [0]

    @event.listens_for(Engine, "before_cursor_execute")
    def _kill(conn, cursor, statement, params, context, executemany):
        if _pattern.match(statement):
            _seen[0] += len(params) if executemany else 1
            if _seen[0] >= _nth:
                os.kill(os.getpid(), signal.SIGKILL)
''')

CLI = "from workbench.cli import main\nimport sys\nsys.argv = ['workbench'] + sys.argv[1:]\nmain()\n"


def run_child(script: str, *args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``script`` (Python) in a fresh interpreter in the repository."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO), "WORKBENCH_LOCAL_WORKER": "0", **(env or {})}
    return subprocess.run([sys.executable, "-c", script, *args], cwd=REPO, env=full_env, capture_output=True,
                          text=True, timeout=timeout)


def run_cli(*args: str, **kw) -> subprocess.CompletedProcess:
    """The real ``workbench`` CLI in a child process."""
    return run_child(CLI, *args, **kw)


def run_cli_killed_at(table: str, nth: int, *args: str, **kw) -> subprocess.CompletedProcess:
    """The CLI, SIGKILLed when it is about to insert its ``nth`` row into ``table``."""
    env = {**kw.pop("env", {}), "KILL_TABLE": table, "KILL_AT_ROW": str(nth)}
    return run_child(KILL_AT_ROW + CLI, *args, env=env, **kw)


def integrity(path: Path) -> list:
    """``PRAGMA integrity_check`` of a SQLite file, read-only."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute("PRAGMA integrity_check").fetchall()
    finally:
        conn.close()


def count(path: Path, table: str, where: str = "1=1") -> int:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute(f'SELECT count(*) FROM "{table}" WHERE {where}').fetchone()[0]
    finally:
        conn.close()
