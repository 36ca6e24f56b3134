"""What every command shares: the Typer apps, the one place errors become messages, the state
(settings, store, which project), and printing tables.

Commands stay thin: parse options, call one library function, print what comes back. Errors of
the workbench (:class:`WorkbenchError`) become one red line and exit code 1, in one place
(:class:`_Group`).
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy.orm import Session
from typer.core import TyperGroup

from workbench.config import Settings, load_settings
from workbench.db.models import Memo, Project
from workbench.db.store import Store, open_store
from workbench.errors import WorkbenchError
from workbench.project.coders import get_or_create_coder
from workbench.project.projects import resolve_project

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class _Group(TyperGroup):
    """Turns every WorkbenchError into one clear message and exit code 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except WorkbenchError as exc:
            err.print(Text("error: ", style="bold red") + Text(str(exc)))
            raise typer.Exit(1) from None


def sub_app(help_text: str) -> typer.Typer:
    """A command group with the workbench's error handling and no shell-completion noise."""
    return typer.Typer(help=help_text, cls=_Group, no_args_is_help=True, add_completion=False,
                       pretty_exceptions_enable=False, rich_markup_mode=None)


app = sub_app("Interview workbench: import, code, compare and report interview studies.")


@dataclass
class State:
    """Settings of this invocation, the store (opened on first use) and the project asked for."""
    settings: Settings
    project_name: str | None
    _store: Store | None = field(default=None, repr=False)

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = open_store(self.settings.database_url)
        return self._store

    @contextlib.contextmanager
    def reading(self) -> Iterator[tuple[Session, Project]]:
        """A read session and the project this command is about (``--project``, or the only one)."""
        with self.store.read() as s:
            yield s, resolve_project(s, self.project_name)

    def project_and_coder(self) -> tuple[int, int]:
        """Ids of the project and of the coder (``--coder``, created on first use)."""
        with self.store.write() as s:
            project = resolve_project(s, self.project_name)
            coder = get_or_create_coder(s, self.settings.coder)
            return project.id, coder.id


def state(ctx: typer.Context) -> State:
    """The state the root command put on the context."""
    return ctx.find_root().obj


@app.callback()
def _main(ctx: typer.Context,
          db: Annotated[str | None, typer.Option("--db", help="Database URL, or a SQLite file such as study.db (default: WORKBENCH_DATABASE_URL or sqlite:///workbench.db).")] = None,
          project: Annotated[str | None, typer.Option("--project", "-p", envvar="WORKBENCH_PROJECT",
                                                      help="Project name (needed when the database holds several; "
                                                           "default WORKBENCH_PROJECT).")] = None,
          coder: Annotated[str | None, typer.Option("--coder", help="Who is coding (default: WORKBENCH_CODER or your user name).")] = None):
    """Interview workbench: import, code, compare and report interview studies."""
    ctx.obj = State(load_settings(db, coder), project)
    ctx.call_on_close(lambda: ctx.obj._store and ctx.obj._store.dispose())


EMPTY = {
    "sources": "No sources yet: import transcripts with `workbench import FILES...` (txt, docx, srt, vtt, html, pdf).",
    "cases": "No cases yet: import a case table with `workbench cases import cases.csv`.",
    "codebooks": "No codebooks yet: load one with `workbench codebook load codebooks/<file>.yaml`.",
    "codes": "No codes yet: load a codebook with `workbench codebook load FILE`.",
    "codings": "No codings yet: code a span with `workbench code SOURCE START END CODE` (see `workbench show SOURCE` for offsets).",
    "memos": "No memos yet: write one with `workbench memo add TEXT`.",
    "projects": "No projects yet: create one with `workbench init NAME` or try `workbench demo`.",
}


def table(rows: list[dict], title: str | None = None, columns: list[str] | None = None,
          empty: str | None = None) -> None:
    """Print rows as a table (or ``empty`` when there are none); every cell is literal text."""
    if not rows:
        out.print(Text(empty or f"({title or 'nothing'}: none)"))
        return
    shown = Table(title=title, show_lines=False)
    cols = columns or list(rows[0])
    for c in cols:
        shown.add_column(c, overflow="fold")
    for r in rows:
        shown.add_row(*[Text("" if r.get(c) is None else str(r.get(c))) for c in cols])
    out.print(shown)


def clip(text: str, n: int = 80) -> str:
    """One line of at most ``n`` characters (an ellipsis marks a cut)."""
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def memo_rows(memos: list[Memo]) -> None:
    """Print memos: what each annotates, its title and the start of its text."""
    table([{"id": m.id, "on": m.target + (f" {m.source_id or m.code_id or m.coding_id}" if m.target != "project" else ""),
             "title": m.title, "text": clip(m.text, 100)} for m in memos], "memos", empty=EMPTY["memos"])
