"""Engine, sessions, transactions, schema migrations and backup.

One write path: every change goes through :meth:`Store.write`, which begins the transaction
IMMEDIATE on SQLite (so two writers queue on the busy timeout instead of failing half-way
with "database is locked" on lock upgrade), commits at the end or rolls back on any error,
and - when given an action - records every row change in the event log (``history.py``).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from . import history
from .errors import DatabaseBusy, DatabaseProblem

BUSY_TIMEOUT_MS = 15_000
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def sqlite_path(url: str) -> Path | None:
    """The file behind a ``sqlite:///`` URL, or None for other databases and ``:memory:``."""
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy's "begin" event, not the driver, decide how transactions start.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")   # safe with WAL: durable at checkpoints
        cur.execute("PRAGMA trusted_schema = OFF")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with the workbench's connection settings."""
    if sqlite_path(url) is not None or make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000,
                                                  "check_same_thread": False})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(connection=None) -> Config:
    """An Alembic configuration pointing at the packaged migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


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
                if "locked" in str(exc.orig).lower() or "busy" in str(exc.orig).lower():
                    raise DatabaseBusy(
                        "the project is busy (another program is writing to it); "
                        "nothing was saved - try again") from exc
                raise
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
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
        known = {r.revision for r in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
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
        """Raise :class:`DatabaseProblem` when SQLite finds the file damaged."""
        path = sqlite_path(self.url)
        try:
            with self.engine.connect() as conn:
                rows = conn.exec_driver_sql("PRAGMA quick_check").fetchall()
        except DBAPIError as exc:
            raise DatabaseProblem(f"is damaged ({exc.orig}); the file was left untouched",
                                  file=str(path)) from exc
        if rows != [("ok",)]:
            raise DatabaseProblem(f"is damaged ({rows[0][0]}); the file was left untouched",
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
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".partial")
        tmp.unlink(missing_ok=True)
        src = sqlite3.connect(src_path, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            dst = sqlite3.connect(tmp)
            try:
                src.backup(dst)
                dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
                result = dst.execute("PRAGMA integrity_check").fetchall()
            finally:
                dst.close()
        finally:
            src.close()
        if result != [("ok",)]:
            tmp.unlink(missing_ok=True)
            raise DatabaseProblem(f"backup failed its integrity check: {result[0][0]}", file=str(dest))
        tmp.replace(dest)
        return dest


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
        if migrate:
            store.migrate()
    except DBAPIError as exc:
        store.dispose()
        if "not a database" in str(exc.orig):
            raise DatabaseProblem("is not a workbench project (not an SQLite database); the file was left "
                                  "untouched", file=str(path or url)) from exc
        raise DatabaseProblem(f"cannot be opened: {exc.orig}", file=str(path or url)) from exc
    except BaseException:
        store.dispose()
        raise
    return store
