"""Projects: create one, build the demo, list what a project holds."""
from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from workbench.cli.base import EMPTY, app, clip, memo_rows, out, state, table
from workbench.codebook.lookup import code_path
from workbench.codebook.storage import codebook_summary, list_codes
from workbench.coding.codings import list_codings
from workbench.coding.memos import list_memos
from workbench.corpus.cases import case_table
from workbench.corpus.sources import list_sources
from workbench.demo import build_demo
from workbench.errors import WorkbenchError
from workbench.project.coders import get_or_create_coder
from workbench.project.projects import create_project, list_projects, overview, resolve_project


@app.command()
def init(ctx: typer.Context, name: Annotated[str, typer.Argument(help="Name of the new project.")],
         description: Annotated[str, typer.Option(help="What the study is about.")] = ""):
    """Create the database (if needed) and an empty project in it."""
    st = state(ctx)
    with st.store.write() as s:
        get_or_create_coder(s, st.settings.coder)
        project = create_project(s, name, description)
    out.print(Text(f"created project {project.name!r} in {st.settings.database_url}"))


@app.command()
def demo(ctx: typer.Context,
         no_codings: Annotated[bool, typer.Option("--no-codings", help="Only interviews, cases and codebooks: "
                                                                      "no hand coding to start from.")] = False):
    """Build the demo project: six interviews (IT/electronics vs textile), every codebook and the
    hand coding of two coders (gold: all six; bea: two, with some disagreements)."""
    st = state(ctx)
    result = build_demo(st.store, st.settings, codings=not no_codings)
    if result["created"]:
        coded = "; ".join(f"{n} codings by {who}" for who, n in result["codings"].items())
        out.print(Text(f"demo project {result['project']!r}: {result['sources']} interviews, "
                       f"codebooks: {', '.join(result['codebooks'])}" + (f"; {coded}" if coded else "")))
        if coded:
            out.print(Text("try: workbench crosstab --by sector   |   workbench agreement --coder gold --coder bea"))
    else:
        out.print(Text(f"the demo project {result['project']!r} is already there"))


@app.command("list")
def list_(ctx: typer.Context,
          what: Annotated[str, typer.Argument(help="sources, cases, codebooks, codes, codings, memos, projects or overview.")] = "sources",
          codebook: Annotated[str | None, typer.Option(help="Only this codebook (for codes/codings).")] = None):
    """List what a project holds."""
    st = state(ctx)
    with st.store.read() as s:
        if what == "projects":
            table([{"id": p.id, "name": p.name, **overview(s, p.id)} for p in list_projects(s)], "projects", empty=EMPTY["projects"])
            return
        project = resolve_project(s, st.project_name)
        if what == "overview":
            table([overview(s, project.id)], project.name)
        elif what == "sources":
            table(list_sources(s, project.id), f"sources of {project.name}", empty=EMPTY["sources"])
        elif what == "cases":
            frame = case_table(s, project.id)
            table(frame.astype(object).where(frame.notna(), None).to_dict("records"), f"cases of {project.name}",
                   empty=EMPTY["cases"])
        elif what == "codebooks":
            table(codebook_summary(s, project.id), "codebooks", empty=EMPTY["codebooks"])
        elif what == "codes":
            table(list_codes(s, project.id, codebook), "codes", empty=EMPTY["codes"])
        elif what == "codings":
            rows = [{"id": c.id, "source": c.source.name, "span": f"[{c.start}, {c.end})",
                     "code": "/".join(code_path(c.code)), "coder": c.coder.name,
                     "origin": c.origin.value, "text": clip(c.source.text[c.start:c.end])}
                    for c in list_codings(s, project.id)
                    if not codebook or codebook in (c.code.codebook.name, str(c.code.codebook_id))]
            table(rows, "codings", empty=EMPTY["codings"])
        elif what == "memos":
            memo_rows(list_memos(s, project.id))
        else:
            raise WorkbenchError(f"cannot list {what!r}; choose sources, cases, codebooks, codes, "
                                 "codings, memos, projects or overview")
