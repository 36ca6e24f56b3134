"""Coding by hand from the command line: code, uncode, adjust, undo/redo, history, memos, and
hand codings imported as quotes."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from workbench.cli.base import app, clip, memo_rows, out, state, sub_app, table
from workbench.codebook.lookup import code_path, find_code
from workbench.coding.codings import adjust_coding, apply_code, get_coding, remove_coding
from workbench.coding.memos import add_memo, list_memos
from workbench.coding.quotes_import import import_codings_file
from workbench.corpus.sources import get_source
from workbench.db import history
from workbench.db.models import Coder
from workbench.project.coders import coder_names

memo_app = sub_app("Memos on the project, a source, a code or a coding.")
app.add_typer(memo_app, name="memo")


@app.command()
def code(ctx: typer.Context, source: Annotated[str, typer.Argument(help="Source name or id.")],
         start: Annotated[int, typer.Argument(help="Start offset (characters, from 0).")],
         end: Annotated[int, typer.Argument(help="End offset (exclusive).")],
         codes: Annotated[list[str], typer.Argument(help="Code names, paths (Parent/Child) or ids.")],
         codebook: Annotated[str | None, typer.Option(help="Look codes up in this codebook only.")] = None,
         memo: Annotated[str | None, typer.Option(help="A memo on the coding.")] = None):
    """Apply one or more codes to the span [START, END) of a source."""
    st = state(ctx)
    project_id, coder_id = st.project_and_coder()
    with st.store.write(f"code {source} [{start}, {end})", project_id=project_id, coder_id=coder_id) as s:
        src = get_source(s, project_id, source)
        coder = s.get(Coder, coder_id)
        for ref in codes:
            c = find_code(s, project_id, ref, codebook)
            coding, created = apply_code(s, src, c.id, coder, start, end, memo=memo)
            verb = "coded" if created else "already coded"
            out.print(Text(f"{verb} [{start}, {end}) of {src.name!r} with {'/'.join(code_path(c))!r} "
                           f"(coding {coding.id}): {clip(src.text[start:end])!r}"))


@app.command()
def uncode(ctx: typer.Context, coding_id: Annotated[int, typer.Argument(help="Coding id (see `list codings`).")]):
    """Remove one of your codings (another coder's is theirs to remove)."""
    st = state(ctx)
    project_id, coder_id = st.project_and_coder()
    with st.store.write(f"remove coding {coding_id}", project_id=project_id, coder_id=coder_id) as s:
        remove_coding(s, project_id, coding_id, coder_id=coder_id)
    out.print(Text(f"removed coding {coding_id}"))


@app.command()
def adjust(ctx: typer.Context, coding_id: Annotated[int, typer.Argument(help="Coding id.")],
           start: Annotated[int, typer.Argument(help="New start offset.")],
           end: Annotated[int, typer.Argument(help="New end offset (exclusive).")]):
    """Move the boundaries of one of your codings."""
    st = state(ctx)
    project_id, coder_id = st.project_and_coder()
    with st.store.write(f"adjust coding {coding_id}", project_id=project_id, coder_id=coder_id) as s:
        c = adjust_coding(s, project_id, coding_id, start, end, coder_id=coder_id)
        out.print(Text(f"coding {coding_id} now covers [{start}, {end}): {clip(c.source.text[start:end])!r}"))


@app.command()
def undo(ctx: typer.Context,
         skip: Annotated[bool, typer.Option("--skip", help="Drop your last change from the undo stack without reverting it (when it can no longer be undone).")] = False):
    """Undo your last change in the project (survives restarts)."""
    if skip:
        st = state(ctx)
        project_id, coder_id = st.project_and_coder()
        with st.store.write() as s:
            result = history.skip(s, project_id, coder_id)
        out.print(Text(f"skipped: {result.action} (no longer on your undo stack; nothing reverted)"))
        return
    _step(ctx, redo=False)


@app.command()
def redo(ctx: typer.Context):
    """Redo the change you undid last."""
    _step(ctx, redo=True)


def _step(ctx: typer.Context, *, redo: bool) -> None:
    st = state(ctx)
    project_id, coder_id = st.project_and_coder()
    with st.store.write() as s:
        result = (history.redo if redo else history.undo)(s, project_id, coder_id)
    out.print(Text(f"{'redone' if redo else 'undone'}: {result.action} ({result.changes} changes)"))


@app.command("history")
def history_(ctx: typer.Context, limit: Annotated[int, typer.Option(help="How many events.")] = 30):
    """The event log of the project: who changed what, newest first."""
    st = state(ctx)
    with st.reading() as (s, project):
        names = coder_names(s)
        table([{"id": e.id, "when": e.created_at.strftime("%Y-%m-%d %H:%M:%S"), "who": names.get(e.coder_id, ""),
                 "action": e.action, "change": f"{e.op} {e.entity} {e.entity_id}", "state": e.state.value}
                for e in history.recent(s, project.id, limit)], "history")


@memo_app.command("add")
def memo_add(ctx: typer.Context, text: Annotated[str, typer.Argument(help="The memo text.")],
             title: Annotated[str, typer.Option(help="A short title.")] = "",
             source: Annotated[str | None, typer.Option(help="Annotate this source.")] = None,
             code_ref: Annotated[str | None, typer.Option("--code", help="Annotate this code.")] = None,
             coding: Annotated[int | None, typer.Option(help="Annotate this coding.")] = None):
    """Write a memo on the project (default), a source, a code or a coding."""
    st = state(ctx)
    project_id, coder_id = st.project_and_coder()
    with st.store.write("add memo", project_id=project_id, coder_id=coder_id) as s:
        memo = add_memo(
            s, project_id, text, title=title, coder=s.get(Coder, coder_id),
            source=get_source(s, project_id, source) if source else None,
            code=find_code(s, project_id, code_ref) if code_ref else None,
            coding=get_coding(s, project_id, coding) if coding else None)
        out.print(Text(f"memo {memo.id} on the {memo.target}"))


@memo_app.command("list")
def memo_list(ctx: typer.Context, search: Annotated[str | None, typer.Option(help="Only memos containing this text.")] = None):
    """All memos of the project, newest first."""
    st = state(ctx)
    with st.reading() as (s, project):
        memo_rows(list_memos(s, project.id, search))


@app.command("import-codings")
def import_codings(ctx: typer.Context,
                   file: Annotated[Path, typer.Argument(help="YAML (like transcripts/demo-gold.yaml), CSV or XLSX with "
                                                              "columns source, codebook, code, quote.")],
                   coder: Annotated[str | None, typer.Option(help="Whose codings they are (default: the coder the "
                                                                  "file names, else 'gold').")] = None):
    """Hand codings made elsewhere, given as quotes: each quote is found in its source by its
    exact text and coded (all rows or none; undo takes the import back)."""
    st = state(ctx)
    project_id, actor_id = st.project_and_coder()
    result = import_codings_file(st.store, project_id, file, coder=coder, actor_id=actor_id)
    out.print(Text(f"{result['created']} codings by {result['coder']!r} from {file} "
                   f"({result['rows'] - result['created']} of {result['rows']} rows were coded so already)"))
