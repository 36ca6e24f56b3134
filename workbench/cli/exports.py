"""Files out and in: the Word report, tables, REFI-QDA projects and codebooks, transcripts."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn
from rich.text import Text

from workbench.analysis.counts import presence_matrix
from workbench.analysis.crosstab_query import project_crosstab
from workbench.cli.analysis import methods_
from workbench.cli.base import app, err, out, state, sub_app
from workbench.codebook.lookup import get_codebook
from workbench.corpus.sources import get_source
from workbench.exchange import docx_report, tables
from workbench.exchange import transcript as transcript_export
from workbench.exchange.gather import quotes_and_cases, report_input
from workbench.exchange.refi.reader import import_qdpx as read_qdpx
from workbench.exchange.refi.writer import codebook_qdc, write_qdpx
from workbench.project.coders import get_or_create_coder
from workbench.project.projects import resolve_project
from workbench.safety.atomic import atomic_file, write_atomic
from workbench.safety.untrusted import MAX_QDPX_BYTES, read_limited

export_app = sub_app("Reports and tables: DOCX report, quotes, code presence per case, crosstabs.")
app.add_typer(export_app, name="export")


@export_app.command("report")
def export_report(ctx: typer.Context, output: Annotated[Path, typer.Argument(help="Target .docx file.")],
                  codebook: Annotated[str | None, typer.Option(help="Only this codebook (default: all).")] = None,
                  code: Annotated[str | None, typer.Option(help="Only this code and its subcodes (name, path or id).")] = None,
                  by: Annotated[str | None, typer.Option(help="Add a crosstab by this case attribute, e.g. sector.")] = None,
                  agree: Annotated[list[str] | None, typer.Option("--agreement", help="Add the agreement of these "
                                                                  "coders (give two or more) to the methods.")] = None,
                  unit: Annotated[str, typer.Option(help="Agreement unit: character, turn or source.")] = "turn"):
    """A Word report: codebook with definitions, quotes with citations and memos, optional crosstab,
    and a methods section written from what the report computed."""
    st = state(ctx)
    with st.reading() as (s, project):
        data = report_input(s, project.id, codebook=codebook, code=code, by=by, agreement_coders=agree, unit=unit)
    result = docx_report.write(data, output)
    note = f"; {result.stripped_characters} characters XML forbids were removed" if result.stripped_characters else ""
    out.print(Text(f"wrote {output}: {result.quotes} quotes{note}"))


@export_app.command("qdpx")
def export_qdpx(ctx: typer.Context, output: Annotated[Path, typer.Argument(help="Target .qdpx file.")]):
    """The whole project as REFI-QDA (.qdpx) for NVivo, ATLAS.ti, MAXQDA, QualCoder, Taguette."""
    st = state(ctx)
    with st.reading() as (s, project), atomic_file(output) as fh:
        write_qdpx(s, project.id, fh)     # streamed: a million codings never sit in memory
    out.print(Text(f"wrote {output}"))


@export_app.command("qdc")
def export_qdc(ctx: typer.Context, codebook: Annotated[str, typer.Argument(help="Codebook name or id.")],
               output: Annotated[Path, typer.Argument(help="Target .qdc file.")]):
    """A codebook as REFI-QDA (.qdc)."""
    st = state(ctx)
    with st.reading() as (s, project):
        data = codebook_qdc(get_codebook(s, project.id, codebook))
    write_atomic(output, data)
    out.print(Text(f"wrote {output}"))


@export_app.command("crosstab")
def export_crosstab(ctx: typer.Context, output: Annotated[Path, typer.Argument(help="Target .xlsx (or .csv: counts only).")],
                    by: Annotated[str, typer.Option("--by", help="Case attribute, e.g. sector.")],
                    codebook: Annotated[str | None, typer.Option(help="Only this codebook.")] = None,
                    count: Annotated[str, typer.Option(help="cases, sources or codings.")] = "cases"):
    """A crosstab with its percentages and tests as a spreadsheet."""
    st = state(ctx)
    with st.reading() as (s, project):
        ct = project_crosstab(s, project.id, by, codebook=codebook, count=count)
    tables.write(tables.crosstab_sheets(ct), output)
    out.print(Text(f"wrote {output}"))


@export_app.command("quotes")
def export_quotes(ctx: typer.Context, output: Annotated[Path, typer.Argument(help="Target .csv or .xlsx file.")],
                  codebook: Annotated[str | None, typer.Option(help="Only this codebook.")] = None):
    """One row per coded quote, with the code path and every case attribute."""
    st = state(ctx)
    with st.reading() as (s, project):
        quotes, cases = quotes_and_cases(s, project.id, codebook)
    tables.write({"quotes": tables.quotes_table(quotes, cases)}, output)
    out.print(Text(f"wrote {output}: {len(quotes)} quotes"))


@export_app.command("matrix")
def export_matrix(ctx: typer.Context, output: Annotated[Path, typer.Argument(help="Target .csv or .xlsx file.")],
                  codebook: Annotated[str | None, typer.Option(help="Only this codebook.")] = None):
    """A 0/1 code-presence matrix per case with the case attributes (for mixed methods)."""
    st = state(ctx)
    with st.reading() as (s, project):
        quotes, cases = quotes_and_cases(s, project.id, codebook)
    tables.write({"presence": presence_matrix(quotes, cases)}, output)
    out.print(Text(f"wrote {output}"))


@app.command("import-qdpx")
def import_qdpx(ctx: typer.Context, file: Annotated[Path, typer.Argument(help="A .qdpx from NVivo, ATLAS.ti, MAXQDA, QualCoder, Taguette or the workbench.")],
                name: Annotated[str | None, typer.Option(help="Name of the new project (default: the one in the file).")] = None):
    """Import a REFI-QDA project as a new project (all or nothing)."""
    st = state(ctx)
    data = read_limited(file, MAX_QDPX_BYTES)
    with st.store.write() as s:
        coder = get_or_create_coder(s, st.settings.coder)
        with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                      console=err, transient=True) as bar:
            task = bar.add_task("reading", total=1.0)
            report = read_qdpx(s, data, str(file), project_name=name, coder=coder,
                               progress=lambda stage, share: bar.update(task, description=stage, completed=share))
        project_name = resolve_project(s, str(report.project_id)).name
    out.print(Text(f"imported {file} as project {project_name!r}: {report.sources} sources, {report.codes} codes, "
                   f"{report.codings} codings, {report.cases} cases, {report.memos} memos"))
    for line in report.skipped:
        err.print(Text("skipped: " + line, style="yellow"))


@app.command("export-transcript")
def export_transcript(ctx: typer.Context, source: Annotated[str, typer.Argument(help="Source name or id.")],
                      output: Annotated[Path, typer.Argument(help="Target file; its extension (.txt .srt .vtt .docx) picks the format.")]):
    """Write a transcript with speakers and timestamps as TXT, SRT, VTT or DOCX."""
    st = state(ctx)
    fmt = output.suffix.lower().lstrip(".")
    with st.reading() as (s, project):
        src = get_source(s, project.id, source)
        transcript_export.write(src, fmt, output)
    out.print(Text(f"wrote {output}"))


@export_app.command("methods")
def export_methods(ctx: typer.Context, output: Annotated[Path, typer.Argument(help="Target file (.md or .txt).")],
                   by: Annotated[str | None, typer.Option("--by", help="Describe the crosstab by this case attribute.")] = None,
                   codebook: Annotated[str | None, typer.Option(help="The codebook compared.")] = None,
                   agree: Annotated[list[str] | None, typer.Option("--agreement", help="A coder whose agreement to "
                                                                   "describe (give two or more).")] = None,
                   unit: Annotated[str, typer.Option(help="Agreement unit: character, turn or source.")] = "turn"):
    """The methods paragraph (as `workbench methods`) written to a file."""
    methods_(ctx, by=by, codebook=codebook, agree=agree, unit=unit, output=output)
