"""Sources, cases and speakers: import files, show a transcript, the case table, speaker roles."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from workbench.cli.base import app, err, out, state, sub_app, table
from workbench.corpus.case_table import export_case_table, import_case_table, read_table
from workbench.corpus.cases import attribute_types, get_or_create_attribute, get_or_create_case, parse_value, set_value
from workbench.corpus.importing import import_files
from workbench.corpus.sources import assign_case, get_source
from workbench.corpus.speakers import rename_speaker, role_suggestion, set_speaker_role, speaker_rows
from workbench.corpus.timecodes import seconds_to_clock

cases_app = sub_app("The case table: cases and their typed attributes.")
speakers_app = sub_app("Speakers of a source: list, rename, set roles.")
app.add_typer(cases_app, name="cases")
app.add_typer(speakers_app, name="speakers")


@app.command()
def show(ctx: typer.Context, source: Annotated[str, typer.Argument(help="Source name or id.")]):
    """Print a source turn by turn with speakers, times and character offsets."""
    st = state(ctx)
    with st.reading() as (s, project):
        src = get_source(s, project.id, source)
        case = src.case.name if src.case else "no case"
        out.print(Text(f"{src.name}  ({case}, {src.language or '?'}, {len(src.text)} characters)", style="bold"))
        for seg in src.segments:
            who = seg.speaker.label if seg.speaker else (f"page {seg.page}" if seg.page else "")
            head = f"[{seg.start}-{seg.end}] {seconds_to_clock(seg.t_start)} {who}".strip()
            if seg.language and seg.language != src.language:      # a turn in another language says so
                head += f" ({seg.language})"
            out.print(Text(head, style="cyan"))
            out.print(Text(src.text[seg.start:seg.end]))


@app.command("import")
def import_(ctx: typer.Context,
            paths: Annotated[list[Path], typer.Argument(help="Files or folders (txt, docx, srt, vtt, noScribe html, pdf).")],
            case: Annotated[str | None, typer.Option(help="Put the sources into this case (created if new).")] = None,
            language: Annotated[str | None, typer.Option(help="Language code, e.g. en or pt (default: guessed).")] = None,
            encoding: Annotated[str | None, typer.Option(help="Text encoding of txt/srt/vtt files that are not UTF-8, e.g. cp1252.")] = None,
            skip_bad: Annotated[bool, typer.Option("--skip-bad", help="Import the good files even when some cannot be read.")] = False):
    """Import transcripts and documents; the same file twice is recognised, not duplicated."""
    st = state(ctx)
    project_id, coder_id = st.project_and_coder()
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True) as bar:
        task = bar.add_task("reading", total=None)

        def progress(done: int, total: int, name: str) -> None:
            bar.update(task, completed=done, total=total, description=f"reading {name}")
        results, errors = import_files(st.store, project_id, coder_id, paths, case=case,
                                              language=language, encoding=encoding,
                                              skip_bad=skip_bad, progress=progress)
    for r in results:
        if r.created:
            out.print(Text(f"imported {r.file} as {r.name!r}: {r.segments} segments, {r.speakers} speakers"))
            if r.speaker_note:
                err.print(Text(f"note: {r.name}: {r.speaker_note}", style="yellow"))
        else:
            out.print(Text(f"skipped {r.file}: already in the project as {r.duplicate_of!r}"))
    for e in errors:
        err.print(Text("not imported: ", style="yellow") + Text(str(e)))
    if errors:
        raise typer.Exit(1)


@app.command()
def assign(ctx: typer.Context, source: Annotated[str, typer.Argument(help="Source name or id.")],
           case: Annotated[str, typer.Argument(help="Case name (created if new); '-' removes the source from its case.")]):
    """Put a source into a case."""
    st = state(ctx)
    project_id, coder_id = st.project_and_coder()
    with st.store.write(f"assign {source} to case {case}", project_id=project_id, coder_id=coder_id) as s:
        src = assign_case(s, project_id, source, None if case == "-" else case)
        out.print(Text(f"{src.name!r} is now in case {case!r}" if case != "-" else f"{src.name!r} has no case"))


@cases_app.command("import")
def cases_import(ctx: typer.Context, file: Annotated[Path, typer.Argument(help="CSV or XLSX; first column (or 'case') names the case.")]):
    """Create or update cases and their attributes from a table."""
    st = state(ctx)
    project_id, coder_id = st.project_and_coder()
    frame = read_table(file)
    with st.store.write(f"import case table {file.name}", project_id=project_id, coder_id=coder_id) as s:
        result = import_case_table(s, project_id, frame, file=str(file))
        types = attribute_types(s, project_id)
    out.print(Text(f"{result['cases']} cases ({result['created']} new), {result['attributes']} attributes: "
                   + ", ".join(f"{k} ({v})" for k, v in types.items())))


@cases_app.command("export")
def cases_export(ctx: typer.Context, file: Annotated[Path, typer.Argument(help="Target .csv or .xlsx file.")]):
    """Write the case table as CSV or XLSX."""
    st = state(ctx)
    with st.reading() as (s, project):
        path = export_case_table(s, project.id, file)
    out.print(Text(f"wrote {path}"))


@cases_app.command("set")
def cases_set(ctx: typer.Context, case: Annotated[str, typer.Argument(help="Case name (created if new).")],
              attribute: Annotated[str, typer.Argument(help="Attribute name (created as text if new).")],
              value: Annotated[str, typer.Argument(help="Value; empty clears it.")]):
    """Set one attribute value of one case."""
    st = state(ctx)
    project_id, coder_id = st.project_and_coder()
    with st.store.write(f"set {attribute} of {case}", project_id=project_id, coder_id=coder_id) as s:
        c = get_or_create_case(s, project_id, case)
        attr = get_or_create_attribute(s, project_id, attribute)
        set_value(s, c, attr, parse_value(value, attr.type, where=f"{case}/{attribute}"))
    out.print(Text(f"{case}: {attribute} = {value}"))


@speakers_app.command("list")
def speakers_list(ctx: typer.Context, source: Annotated[str, typer.Argument(help="Source name or id.")]):
    """Speakers of a source with their roles and number of turns."""
    st = state(ctx)
    with st.reading() as (s, project):
        src = get_source(s, project.id, source)
        table(speaker_rows(s, src), f"speakers of {src.name}")
        unplaced = role_suggestion(s, src)
    if unplaced:
        err.print(Text("note: " + unplaced, style="yellow"))


@speakers_app.command("rename")
def speakers_rename(ctx: typer.Context, source: Annotated[str, typer.Argument(help="Source name or id.")],
                    old: Annotated[str, typer.Argument(help="Current label.")],
                    new: Annotated[str, typer.Argument(help="New label.")]):
    """Rename a speaker of a source (codings stay where they are)."""
    st = state(ctx)
    project_id, coder_id = st.project_and_coder()
    with st.store.write(f"rename speaker {old} to {new}", project_id=project_id, coder_id=coder_id) as s:
        rename_speaker(s, project_id, source, old, new)
    out.print(Text(f"renamed {old!r} to {new!r}"))


@speakers_app.command("role")
def speakers_role(ctx: typer.Context, source: Annotated[str, typer.Argument(help="Source name or id.")],
                  label: Annotated[str, typer.Argument(help="Speaker label.")],
                  role: Annotated[str, typer.Argument(help="interviewer, interviewee, other, or '-' to clear.")]):
    """Set the role of a speaker."""
    st = state(ctx)
    project_id, coder_id = st.project_and_coder()
    with st.store.write(f"set role of {label}", project_id=project_id, coder_id=coder_id) as s:
        set_speaker_role(s, project_id, source, label, None if role == "-" else role)
    out.print(Text(f"{label!r} is now {role}"))
