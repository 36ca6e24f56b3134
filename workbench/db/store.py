"""Engine, sessions, transactions, schema migrations and backup.

One write path: every change goes through :meth:`Store.write`, which begins the transaction
IMMEDIATE on SQLite (so two writers queue on the busy timeout instead of failing half-way
with "database is locked" on lock upgrade), commits at the end or rolls back on any error,
and - when given an action - records every row change in the event log (``history.py``).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from workbench.db import history
from workbench.errors import DatabaseBusy, DatabaseProblem

BUSY_TIMEOUT_MS = 15_000
# A WAL that grew while a long read held an old snapshot is cut back to this size at the next
# checkpoint, so one big analysis does not leave a huge -wal file behind.
JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def sqlite_path(url: str) -> Path | None:
    """The file behind a ``sqlite:///`` URL, or None for other databases and ``:memory:``."""
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


def busy_timeout_ms() -> int:
    """How long a writer waits for another one before "busy, try again" (``WORKBENCH_BUSY_TIMEOUT_MS``)."""
    try:
        return max(0, int(os.environ.get("WORKBENCH_BUSY_TIMEOUT_MS", BUSY_TIMEOUT_MS)))
    except ValueError:
        return BUSY_TIMEOUT_MS


def _configure_sqlite(engine: Engine, timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy's "begin" event, not the driver, decide how transactions start.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {timeout_ms}")
        cur.execute("PRAGMA foreign_keys = ON")
        try:
            cur.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError as exc:
            # A project on a read-only disk still opens for reading (in its own journal
            # mode); saving then fails with a clear "read-only" (Store._explain).
            if "readonly" not in str(exc).lower():
                raise
        cur.execute("PRAGMA synchronous = NORMAL")   # safe with WAL: durable at checkpoints
        cur.execute("PRAGMA trusted_schema = OFF")
        cur.execute(f"PRAGMA journal_size_limit = {JOURNAL_SIZE_LIMIT}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with the workbench's connection settings."""
    try:
        return _make_engine(url)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise DatabaseProblem(f"{url!r} is not a database the workbench can open: give a SQLite file (study.db), "
                              "sqlite:///path/study.db or postgresql+psycopg://user@host/db") from exc


def _make_engine(url: str) -> Engine:
    if sqlite_path(url) is not None or make_url(url).get_backend_name() == "sqlite":
        timeout = busy_timeout_ms()
        engine = create_engine(url, connect_args={"timeout": timeout / 1000, "check_same_thread": False})
        _configure_sqlite(engine, timeout)
        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(connection=None) -> Config:
    """An Alembic configuration pointing at the packaged migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def known_revisions() -> set[str]:
    """Every schema revision this version of the workbench can read (its migrations)."""
    return {r.revision for r in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


class Store:
    """A database holding workbench projects."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        writer = self.engine.execution_options(sqlite_begin="IMMEDIATE") if self.is_sqlite else self.engine
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(writer, expire_on_commit=False)

    # -- sessions ---------------------------------------------------------------
    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; nothing it does is committed."""
        with self._read() as session:
            try:
                yield session
            finally:
                session.rollback()

    @contextlib.contextmanager
    def write(self, action: str | None = None, *, project_id: int | None = None,
              coder_id: int | None = None) -> Iterator[Session]:
        """A session in one write transaction: committed at the end, rolled back on error.

        With ``action`` (and ``project_id``), every row change is logged as one undoable group.
        """
        with self._write() as session:
            if action is not None:
                history.track(session, action=action, project_id=project_id, coder_id=coder_id)
            try:
                yield session
                session.commit()
            except OperationalError as exc:
                session.rollback()
                raise self._explain(exc) from exc
            except BaseException:
                session.rollback()
                raise

    def _explain(self, exc: OperationalError) -> Exception:
        """A failed write as a message a researcher can act on; SQLite rolled it back whole."""
        text = str(exc.orig).lower()
        where = str(sqlite_path(self.url) or "")
        if "locked" in text or "busy" in text:
            return DatabaseBusy("the project is busy (another program is writing to it); "
                                "nothing was saved - try again", file=where or None)
        if "readonly" in text or "read-only" in text:
            return DatabaseProblem("is read-only (check the file's and its folder's permissions); "
                                   "nothing was saved, earlier work is intact", file=where or None)
        if "full" in text or "too large" in text:
            return DatabaseProblem("could not grow: the disk is full; nothing was saved, earlier "
                                   "work is intact - free some space and try again", file=where or None)
        if "disk i/o" in text:
            return DatabaseProblem("could not be written (disk I/O error); nothing was saved, earlier "
                                   "work is intact", file=where or None)
        return exc

    def checkpoint(self, mode: str = "TRUNCATE") -> tuple[int, int, int]:
        """Copy the write-ahead log into the database (SQLite; a no-op elsewhere). TRUNCATE also
        cuts the log file to nothing and waits (up to the busy timeout) for readers of older
        snapshots; PASSIVE never waits and does what it can.

        Returns SQLite's ``(busy, log frames, checkpointed frames)``; ``busy`` is 1 while a
        reader still holds an older snapshot, in which case the rest is done next time.
        """
        if not self.is_sqlite:
            return (0, 0, 0)
        if mode not in ("PASSIVE", "FULL", "RESTART", "TRUNCATE"):
            raise ValueError(f"unknown checkpoint mode {mode!r}")
        with self.engine.connect() as conn:
            row = conn.exec_driver_sql(f"PRAGMA wal_checkpoint({mode})").fetchone()
            conn.commit()
        return tuple(row)

    def dispose(self) -> None:
        """Close every connection, after a checkpoint that never waits: a CLI command must not
        hang at exit because the app is in the middle of a long read."""
        if self.is_sqlite:
            with contextlib.suppress(Exception):
                self.checkpoint("PASSIVE")
        self.engine.dispose()

    # -- schema -----------------------------------------------------------------
    def current_revision(self) -> str | None:
        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def migrate(self, *, backup_dir: Path | None = None) -> Path | None:
        """Bring the schema to the newest revision; back up a SQLite file first.

        Returns the backup's path when one was made. Refuses a database written by a newer
        version, and a database that holds tables but is not a workbench project.
        """
        head = head_revision()
        current = self.current_revision()
        if current == head:
            return None
        known = known_revisions()
        where = str(sqlite_path(self.url) or make_url(self.url).render_as_string(hide_password=True))
        if current is not None and current not in known:
            raise DatabaseProblem(
                f"was written by a newer version of the workbench (schema {current}); this "
                f"version knows schemas up to {head}. Update the workbench; the file was left "
                "untouched", file=where)
        backup = None
        with self.engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
        if current is None and tables - {"alembic_version"}:
            raise DatabaseProblem("holds tables but is not a workbench project; the file was "
                                  "left untouched", file=where)
        if current is not None and self.is_sqlite:
            self.quick_check()
            path = sqlite_path(self.url)
            stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
            target = (backup_dir or path.parent) / f"{path.stem}.before-{head}.{stamp}.db"
            backup = self.backup(target)
        with self.engine.begin() as conn:
            command.upgrade(alembic_config(conn), "head")
        return backup

    def quick_check(self) -> None:
        """Raise :class:`DatabaseProblem` when SQLite finds the file damaged or not a database.

        The message names the newest backup found beside the file, so the way back is in it.
        """
        path = sqlite_path(self.url)
        try:
            with self.engine.connect() as conn:
                rows = conn.exec_driver_sql("PRAGMA quick_check").fetchall()
        except DBAPIError as exc:
            text = str(exc.orig).lower()
            if "not a database" in text:
                problem = "is not a workbench project (not an SQLite database, or its first page is damaged)"
            elif "disk i/o" in text or "unable to open" in text or "readonly" in text or "full" in text:
                # Not damage: SQLite could not create its -wal/-shm files beside the project.
                raise DatabaseProblem(f"cannot be opened ({exc.orig}): is the disk full, or the folder "
                                      "read-only? The file was left untouched", file=str(path)) from exc
            else:
                problem = f"is damaged ({exc.orig})"
            raise DatabaseProblem(f"{problem}; the file was left untouched.{backup_hint(path)}",
                                  file=str(path)) from exc
        if rows != [("ok",)]:
            raise DatabaseProblem(f"is damaged ({rows[0][0]}); the file was left untouched.{backup_hint(path)}",
                                  file=str(path))

    def schema_check(self) -> None:
        """Refuse a SQLite file whose schema holds what our migrations never create.

        A project file can come from anywhere (a colleague, a download), and SQLite runs what its
        schema says: a trigger would rewrite transcripts on the next insert, a view named like a
        table would answer every query in its place (a recursive one hangs). Only tables and
        indexes of our own are accepted; ``restore`` is the way to bring in anything else, as it
        copies rows only.
        """
        from workbench.db.models import Base
        path = sqlite_path(self.url)
        known = set(Base.metadata.tables) | {"alembic_version"}
        with self.engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT type, name, tbl_name FROM sqlite_master").fetchall()
        strange = []
        for kind, name, table in rows:
            if name.startswith("sqlite_") or (kind in ("table", "index") and table in known):
                continue
            strange.append(f"{kind} {name!r}")
        if strange:
            shown = ", ".join(sorted(strange)[:5]) + (f" and {len(strange) - 5} more" if len(strange) > 5 else "")
            if not any(kind == "table" and table in known for kind, _name, table in rows):
                raise DatabaseProblem(f"is not a workbench project (an SQLite database holding {shown}); it was not "
                                      "used", file=str(path))
            raise DatabaseProblem(
                f"holds what a workbench project never does ({shown}); it was not used. If it is a project "
                f"from elsewhere, bring its data in with 'workbench restore FILE --to NEW.db' (rows only, never its code)",
                file=str(path))

    # -- backup -----------------------------------------------------------------
    def backup(self, dest: str | Path) -> Path:
        """Copy a SQLite project with the online backup API and verify the copy.

        Safe while other processes write: SQLite copies a consistent snapshot. The copy is
        written next to ``dest`` and renamed, so a failed backup never leaves a partial file.
        """
        src_path = sqlite_path(self.url)
        if src_path is None:
            raise DatabaseProblem("backup works on SQLite projects; back up a PostgreSQL "
                                  "database with pg_dump")
        src = sqlite3.connect(src_path, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            return copy_to_file(src, dest)
        finally:
            src.close()


def copy_to_file(src: sqlite3.Connection, dest: str | Path) -> Path:
    """Copy the database open on ``src`` to ``dest`` with the backup API: written beside it,
    checked, then renamed, so a failed copy never leaves a partial file."""
    dest = Path(dest)
    tmp = dest.with_name(dest.name + ".partial")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp.unlink(missing_ok=True)
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            result = dst.execute("PRAGMA integrity_check").fetchall()
        finally:
            dst.close()
    except (OSError, sqlite3.Error) as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise DatabaseProblem(f"the backup could not be written ({exc}): is the disk full, or the folder "
                              "read-only? Nothing was left behind", file=str(dest)) from exc
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise
    if result != [("ok",)]:
        tmp.unlink(missing_ok=True)
        raise DatabaseProblem(f"backup failed its integrity check: {result[0][0]}", file=str(dest))
    tmp.replace(dest)
    return dest


def backups_of(path: Path) -> list[Path]:
    """Backups of the project file ``path``, newest first: those taken before migrations (beside
    it) and by ``workbench backup`` / the app (in ``backups/`` beside it)."""
    path = Path(path)
    found = [*path.parent.glob(f"{path.stem}.before-*.db"), *(path.parent / "backups").glob(f"{path.stem}*.db")]
    return sorted((p for p in found if p.is_file()), key=lambda p: p.stat().st_mtime, reverse=True)


def default_backup_path(path: Path) -> Path:
    """Where a backup of ``path`` taken now goes: ``backups/<name>-<date-time>.db`` beside it."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    return Path(path).parent / "backups" / f"{Path(path).stem}-{stamp}.db"


def backup_hint(path: Path | None) -> str:
    """The sentence naming the newest backup of ``path``, or saying there is none."""
    if path is None:
        return ""
    found = backups_of(path)
    if not found:
        return " No backup of it was found beside it."
    when = dt.datetime.fromtimestamp(found[0].stat().st_mtime).strftime("%Y-%m-%d %H:%M")
    return f" The newest backup is {found[0]} ({when}); restore it with: workbench restore {found[0]}"


def open_store(url: str, *, migrate: bool = True) -> Store:
    """Open (and by default create or migrate) the database at ``url``."""
    path = sqlite_path(url)
    # The file is checked by SQLite itself ("file is not a database"), never by opening it
    # with Python: close() on any descriptor of the file drops every POSIX lock this process
    # holds on it, including those of live SQLite connections - and another process writing
    # at that moment corrupts the database (seen here with a worker and its child).
    if path is not None and path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    store = Store(url)
    try:
        # A damaged file is refused before anything - a migration above all - touches it.
        if path is not None and path.is_file() and path.stat().st_size > 0:
            store.quick_check()
            store.schema_check()
        if migrate:
            store.migrate()
    except DBAPIError as exc:
        store.engine.dispose()
        raise DatabaseProblem(f"cannot be opened: {exc.orig}.{backup_hint(path)}", file=str(path or url)) from exc
    except BaseException:
        store.engine.dispose()
        raise
    return store
