"""The project file: online backups and restoring one (or a colleague's file) on the hardened path."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from workbench.cli.base import app, out, state
from workbench.db.restore import restore as restore_file
from workbench.db.store import default_backup_path, sqlite_path


@app.command()
def backup(ctx: typer.Context, dest: Annotated[Path | None, typer.Argument(
        help="Target file; default backups/<project file>-<date-time>.db beside the project file.")] = None):
    """Copy a SQLite project safely while it is in use, and verify the copy."""
    st = state(ctx)
    source = sqlite_path(st.store.url)
    path = st.store.backup(dest or (default_backup_path(source) if source else Path("backup.db")))
    out.print(Text(f"backed up to {path} (integrity check ok)"))


@app.command()
def restore(ctx: typer.Context,
            source: Annotated[Path, typer.Argument(help="A backup, or a project file someone sent you (.db).")],
            to: Annotated[str | None, typer.Option(
                "--to", help="Target: a new .db file or a database URL (default: this project's database).")] = None,
            replace: Annotated[bool, typer.Option(
                "--replace", help="Replace an existing SQLite target (it is backed up first). Close the app first.")] = False):
    """Copy a backup or a foreign project file in through the hardened path (its schema, triggers
    and views are never used; only the workbench's own tables and columns are copied)."""
    target = to or state(ctx).settings.database_url
    result = restore_file(source, target, replace=replace)
    rows = result["rows"]
    out.print(Text(f"restored {source} into {target}: {rows.get('project', 0)} project(s), "
                   f"{rows.get('source', 0)} sources, {rows.get('coding', 0)} codings, {rows.get('memo', 0)} memos"))
    if result["replaced_backup"]:
        out.print(Text(f"the file it replaced was backed up to {result['replaced_backup']}"))
