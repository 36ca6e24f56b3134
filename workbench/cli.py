"""``workbench``: the command line over the same library functions the app calls.

Commands stay thin: parse options, call one library function, print what comes back.
Errors of the workbench (:class:`WorkbenchError`) become one red line and exit code 1, in
one place (:class:`_Group`).
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup

from . import cases as cases_mod
from . import codebook as codebook_mod
from . import coding as coding_mod
from . import corpus, history
from .config import Settings, load_settings
from .errors import WorkbenchError
from .models import Memo
from .project import (codebook_summary, coder_names, create_project, get_or_create_coder, list_projects,
                      overview, resolve_project)
from .safety import atomic_file, write_atomic
from .sources import seconds_to_clock
from .store import Store, open_store

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


def _typer(help_text: str) -> typer.Typer:
    return typer.Typer(help=help_text, cls=_Group, no_args_is_help=True, add_completion=False,
                       pretty_exceptions_enable=False, rich_markup_mode=None)


app = _typer("Interview workbench: import, code, compare and report interview studies.")
cases_app = _typer("The case table: cases and their typed attributes.")
speakers_app = _typer("Speakers of a source: list, rename, set roles.")
codebook_app = _typer("Codebooks as YAML files: validate, load, export, show.")
memo_app = _typer("Memos on the project, a source, a code or a coding.")
app.add_typer(cases_app, name="cases")
app.add_typer(speakers_app, name="speakers")
app.add_typer(codebook_app, name="codebook")
app.add_typer(memo_app, name="memo")


@dataclass
class _State:
    settings: Settings
    project_name: str | None
    _store: Store | None = field(default=None, repr=False)

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = open_store(self.settings.database_url)
        return self._store

    def project_and_coder(self) -> tuple[int, int]:
        with self.store.write() as s:
            project = resolve_project(s, self.project_name)
            coder = get_or_create_coder(s, self.settings.coder)
            return project.id, coder.id


def _state(ctx: typer.Context) -> _State:
    return ctx.find_root().obj


@app.callback()
def _main(ctx: typer.Context,
          db: Annotated[str | None, typer.Option("--db", help="Database URL (default: WORKBENCH_DATABASE_URL or sqlite:///workbench.db).")] = None,
          project: Annotated[str | None, typer.Option("--project", "-p", help="Project name (needed when the database holds several).")] = None,
          coder: Annotated[str | None, typer.Option("--coder", help="Who is coding (default: WORKBENCH_CODER or your user name).")] = None):
    """Interview workbench: import, code, compare and report interview studies."""
    ctx.obj = _State(load_settings(db, coder), project)
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


def _table(rows: list[dict], title: str | None = None, columns: list[str] | None = None,
           empty: str | None = None) -> None:
    if not rows:
        out.print(Text(empty or f"({title or 'nothing'}: none)"))
        return
    table = Table(title=title, show_lines=False)
    cols = columns or list(rows[0])
    for c in cols:
        table.add_column(c, overflow="fold")
    for r in rows:
        table.add_row(*[Text("" if r.get(c) is None else str(r.get(c))) for c in cols])
    out.print(table)


# -- projects -------------------------------------------------------------------------------

@app.command()
def init(ctx: typer.Context, name: Annotated[str, typer.Argument(help="Name of the new project.")],
         description: Annotated[str, typer.Option(help="What the study is about.")] = ""):
    """Create the database (if needed) and an empty project in it."""
    st = _state(ctx)
    with st.store.write() as s:
        get_or_create_coder(s, st.settings.coder)
        project = create_project(s, name, description)
    out.print(Text(f"created project {project.name!r} in {st.settings.database_url}"))


@app.command()
def demo(ctx: typer.Context):
    """Build the demo project: six interviews (IT/electronics vs textile) and every codebook."""
    from .demo import build_demo
    st = _state(ctx)
    result = build_demo(st.store, st.settings)
    if result["created"]:
        out.print(Text(f"demo project {result['project']!r}: {result['sources']} interviews, "
                       f"codebooks: {', '.join(result['codebooks'])}"))
    else:
        out.print(Text(f"the demo project {result['project']!r} is already there"))


@app.command("list")
def list_(ctx: typer.Context,
          what: Annotated[str, typer.Argument(help="sources, cases, codebooks, codes, codings, memos, projects or overview.")] = "sources",
          codebook: Annotated[str | None, typer.Option(help="Only this codebook (for codes/codings).")] = None):
    """List what a project holds."""
    st = _state(ctx)
    with st.store.read() as s:
        if what == "projects":
            _table([{"id": p.id, "name": p.name, **overview(s, p.id)} for p in list_projects(s)], "projects", empty=EMPTY["projects"])
            return
        project = resolve_project(s, st.project_name)
        if what == "overview":
            _table([overview(s, project.id)], project.name)
        elif what == "sources":
            _table(corpus.list_sources(s, project.id), f"sources of {project.name}", empty=EMPTY["sources"])
        elif what == "cases":
            frame = cases_mod.case_table(s, project.id)
            _table(frame.astype(object).where(frame.notna(), None).to_dict("records"), f"cases of {project.name}",
                   empty=EMPTY["cases"])
        elif what == "codebooks":
            _table(codebook_summary(s, project.id), "codebooks", empty=EMPTY["codebooks"])
        elif what == "codes":
            _table(codebook_mod.list_codes(s, project.id, codebook), "codes", empty=EMPTY["codes"])
        elif what == "codings":
            rows = [{"id": c.id, "source": c.source.name, "span": f"[{c.start}, {c.end})",
                     "code": "/".join(codebook_mod.code_path(c.code)), "coder": c.coder.name,
                     "origin": c.origin.value, "text": _clip(c.source.text[c.start:c.end])}
                    for c in coding_mod.list_codings(s, project.id)
                    if not codebook or codebook in (c.code.codebook.name, str(c.code.codebook_id))]
            _table(rows, "codings", empty=EMPTY["codings"])
        elif what == "memos":
            _memo_rows(coding_mod.list_memos(s, project.id))
        else:
            raise WorkbenchError(f"cannot list {what!r}; choose sources, cases, codebooks, codes, "
                                 "codings, memos, projects or overview")


def _clip(text: str, n: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


@app.command()
def show(ctx: typer.Context, source: Annotated[str, typer.Argument(help="Source name or id.")]):
    """Print a source turn by turn with speakers, times and character offsets."""
    st = _state(ctx)
    with st.store.read() as s:
        project = resolve_project(s, st.project_name)
        src = corpus.get_source(s, project.id, source)
        case = src.case.name if src.case else "no case"
        out.print(Text(f"{src.name}  ({case}, {src.language or '?'}, {len(src.text)} characters)", style="bold"))
        for seg in src.segments:
            who = seg.speaker.label if seg.speaker else (f"page {seg.page}" if seg.page else "")
            head = f"[{seg.start}-{seg.end}] {seconds_to_clock(seg.t_start)} {who}".strip()
            out.print(Text(head, style="cyan"))
            out.print(Text(src.text[seg.start:seg.end]))


# -- sources --------------------------------------------------------------------------------

@app.command("import")
def import_(ctx: typer.Context,
            paths: Annotated[list[Path], typer.Argument(help="Files or folders (txt, docx, srt, vtt, noScribe html, pdf).")],
            case: Annotated[str | None, typer.Option(help="Put the sources into this case (created if new).")] = None,
            language: Annotated[str | None, typer.Option(help="Language code, e.g. en or pt (default: guessed).")] = None,
            encoding: Annotated[str | None, typer.Option(help="Text encoding of txt/srt/vtt files that are not UTF-8, e.g. cp1252.")] = None,
            skip_bad: Annotated[bool, typer.Option("--skip-bad", help="Import the good files even when some cannot be read.")] = False):
    """Import transcripts and documents; the same file twice is recognised, not duplicated."""
    st = _state(ctx)
    project_id, coder_id = st.project_and_coder()
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True) as bar:
        task = bar.add_task("reading", total=None)

        def progress(done: int, total: int, name: str) -> None:
            bar.update(task, completed=done, total=total, description=f"reading {name}")
        results, errors = corpus.import_files(st.store, project_id, coder_id, paths, case=case,
                                              language=language, encoding=encoding,
                                              skip_bad=skip_bad, progress=progress)
    for r in results:
        if r.created:
            out.print(Text(f"imported {r.file} as {r.name!r}: {r.segments} segments, {r.speakers} speakers"))
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
    st = _state(ctx)
    project_id, coder_id = st.project_and_coder()
    with st.store.write(f"assign {source} to case {case}", project_id=project_id, coder_id=coder_id) as s:
        src = corpus.assign_case(s, project_id, source, None if case == "-" else case)
        out.print(Text(f"{src.name!r} is now in case {case!r}" if case != "-" else f"{src.name!r} has no case"))


# -- cases ----------------------------------------------------------------------------------

@cases_app.command("import")
def cases_import(ctx: typer.Context, file: Annotated[Path, typer.Argument(help="CSV or XLSX; first column (or 'case') names the case.")]):
    """Create or update cases and their attributes from a table."""
    st = _state(ctx)
    project_id, coder_id = st.project_and_coder()
    frame = cases_mod.read_table(file)
    with st.store.write(f"import case table {file.name}", project_id=project_id, coder_id=coder_id) as s:
        result = cases_mod.import_case_table(s, project_id, frame, file=str(file))
        types = cases_mod.attribute_types(s, project_id)
    out.print(Text(f"{result['cases']} cases ({result['created']} new), {result['attributes']} attributes: "
                   + ", ".join(f"{k} ({v})" for k, v in types.items())))


@cases_app.command("export")
def cases_export(ctx: typer.Context, file: Annotated[Path, typer.Argument(help="Target .csv or .xlsx file.")]):
    """Write the case table as CSV or XLSX."""
    st = _state(ctx)
    with st.store.read() as s:
        project = resolve_project(s, st.project_name)
        path = cases_mod.export_case_table(s, project.id, file)
    out.print(Text(f"wrote {path}"))


@cases_app.command("set")
def cases_set(ctx: typer.Context, case: Annotated[str, typer.Argument(help="Case name (created if new).")],
              attribute: Annotated[str, typer.Argument(help="Attribute name (created as text if new).")],
              value: Annotated[str, typer.Argument(help="Value; empty clears it.")]):
    """Set one attribute value of one case."""
    st = _state(ctx)
    project_id, coder_id = st.project_and_coder()
    with st.store.write(f"set {attribute} of {case}", project_id=project_id, coder_id=coder_id) as s:
        c = corpus.get_or_create_case(s, project_id, case)
        attr = cases_mod.get_or_create_attribute(s, project_id, attribute)
        cases_mod.set_value(s, c, attr, cases_mod.parse_value(value, attr.type, where=f"{case}/{attribute}"))
    out.print(Text(f"{case}: {attribute} = {value}"))


# -- speakers -------------------------------------------------------------------------------

@speakers_app.command("list")
def speakers_list(ctx: typer.Context, source: Annotated[str, typer.Argument(help="Source name or id.")]):
    """Speakers of a source with their roles and number of turns."""
    st = _state(ctx)
    with st.store.read() as s:
        project = resolve_project(s, st.project_name)
        src = corpus.get_source(s, project.id, source)
        _table([{"speaker": sp.label, "role": sp.role.value if sp.role else "",
                 "turns": sum(1 for seg in src.segments if seg.speaker_id == sp.id)} for sp in src.speakers],
               f"speakers of {src.name}")


@speakers_app.command("rename")
def speakers_rename(ctx: typer.Context, source: Annotated[str, typer.Argument(help="Source name or id.")],
                    old: Annotated[str, typer.Argument(help="Current label.")],
                    new: Annotated[str, typer.Argument(help="New label.")]):
    """Rename a speaker of a source (codings stay where they are)."""
    st = _state(ctx)
    project_id, coder_id = st.project_and_coder()
    with st.store.write(f"rename speaker {old} to {new}", project_id=project_id, coder_id=coder_id) as s:
        corpus.rename_speaker(s, project_id, source, old, new)
    out.print(Text(f"renamed {old!r} to {new!r}"))


@speakers_app.command("role")
def speakers_role(ctx: typer.Context, source: Annotated[str, typer.Argument(help="Source name or id.")],
                  label: Annotated[str, typer.Argument(help="Speaker label.")],
                  role: Annotated[str, typer.Argument(help="interviewer, interviewee, other, or '-' to clear.")]):
    """Set the role of a speaker."""
    st = _state(ctx)
    project_id, coder_id = st.project_and_coder()
    with st.store.write(f"set role of {label}", project_id=project_id, coder_id=coder_id) as s:
        corpus.set_speaker_role(s, project_id, source, label, None if role == "-" else role)
    out.print(Text(f"{label!r} is now {role}"))


# -- codebooks ------------------------------------------------------------------------------

@codebook_app.command("validate")
def codebook_validate(files: Annotated[list[Path], typer.Argument(help="Codebook YAML files.")]):
    """Check codebook files and report every problem with its file and line."""
    bad = 0
    for f in files:
        spec, problems = codebook_mod.check_file(f)
        if problems:
            bad += 1
            for p in problems:
                err.print(Text(str(p)))
        else:
            out.print(Text(f"{f}: ok ({sum(1 for _ in spec.walk())} codes)"))
    if bad:
        raise typer.Exit(1)


@codebook_app.command("load")
def codebook_load(ctx: typer.Context, file: Annotated[Path, typer.Argument(help="Codebook YAML file.")],
                  update: Annotated[bool, typer.Option("--update", help="Merge into the codebook with the same GUID or name.")] = False):
    """Load a codebook file into the project."""
    st = _state(ctx)
    spec = codebook_mod.read_codebook(file)
    project_id, coder_id = st.project_and_coder()
    with st.store.write(f"load codebook {spec.name}", project_id=project_id, coder_id=coder_id) as s:
        r = codebook_mod.store_codebook(s, project_id, spec, update=update)
    out.print(Text(f"codebook {r['name']!r}: {r['added']} codes added, {r['updated']} updated"))
    for path in r["kept_codes"]:
        out.print(Text(f"  kept {path!r}: no longer in the file (delete it in the app if it should go)"))


@codebook_app.command("export")
def codebook_export(ctx: typer.Context, name: Annotated[str, typer.Argument(help="Codebook name or id.")],
                    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of printing.")] = None):
    """Write a codebook of the project as YAML."""
    st = _state(ctx)
    with st.store.read() as s:
        project = resolve_project(s, st.project_name)
        text = codebook_mod.to_yaml(codebook_mod.spec_from_db(codebook_mod.get_codebook(s, project.id, name)))
    if output:
        write_atomic(output, text.encode("utf-8"))
        out.print(Text(f"wrote {output}"))
    else:
        sys.stdout.write(text)


@codebook_app.command("show")
def codebook_show(ctx: typer.Context, name: Annotated[str, typer.Argument(help="Codebook name or id.")]):
    """Print the code tree of a codebook with definitions."""
    from rich.tree import Tree
    st = _state(ctx)
    with st.store.read() as s:
        project = resolve_project(s, st.project_name)
        cb = codebook_mod.get_codebook(s, project.id, name)
        tree = Tree(Text(cb.name, style="bold"))

        def add(node, code):
            branch = node.add(Text(f"{code.name} (id {code.id})", style=code.color)
                              + Text(f"\n{_clip(code.definition, 160)}", style="dim"))
            for child in code.children:
                add(branch, child)
        for code in (c for c in cb.codes if c.parent_id is None):
            add(tree, code)
        out.print(tree)


# -- coding ---------------------------------------------------------------------------------

@app.command()
def code(ctx: typer.Context, source: Annotated[str, typer.Argument(help="Source name or id.")],
         start: Annotated[int, typer.Argument(help="Start offset (characters, from 0).")],
         end: Annotated[int, typer.Argument(help="End offset (exclusive).")],
         codes: Annotated[list[str], typer.Argument(help="Code names, paths (Parent/Child) or ids.")],
         codebook: Annotated[str | None, typer.Option(help="Look codes up in this codebook only.")] = None,
         memo: Annotated[str | None, typer.Option(help="A memo on the coding.")] = None):
    """Apply one or more codes to the span [START, END) of a source."""
    st = _state(ctx)
    project_id, coder_id = st.project_and_coder()
    with st.store.write(f"code {source} [{start}, {end})", project_id=project_id, coder_id=coder_id) as s:
        from .models import Coder
        src = corpus.get_source(s, project_id, source)
        coder = s.get(Coder, coder_id)
        for ref in codes:
            c = codebook_mod.find_code(s, project_id, ref, codebook)
            coding, created = coding_mod.apply_code(s, src, c.id, coder, start, end, memo=memo)
            verb = "coded" if created else "already coded"
            out.print(Text(f"{verb} [{start}, {end}) of {src.name!r} with {'/'.join(codebook_mod.code_path(c))!r} "
                           f"(coding {coding.id}): {_clip(src.text[start:end])!r}"))


@app.command()
def uncode(ctx: typer.Context, coding_id: Annotated[int, typer.Argument(help="Coding id (see `list codings`).")]):
    """Remove a coding."""
    st = _state(ctx)
    project_id, coder_id = st.project_and_coder()
    with st.store.write(f"remove coding {coding_id}", project_id=project_id, coder_id=coder_id) as s:
        coding_mod.remove_coding(s, project_id, coding_id)
    out.print(Text(f"removed coding {coding_id}"))


@app.command()
def adjust(ctx: typer.Context, coding_id: Annotated[int, typer.Argument(help="Coding id.")],
           start: Annotated[int, typer.Argument(help="New start offset.")],
           end: Annotated[int, typer.Argument(help="New end offset (exclusive).")]):
    """Move the boundaries of a coding."""
    st = _state(ctx)
    project_id, coder_id = st.project_and_coder()
    with st.store.write(f"adjust coding {coding_id}", project_id=project_id, coder_id=coder_id) as s:
        c = coding_mod.adjust_coding(s, project_id, coding_id, start, end)
        out.print(Text(f"coding {coding_id} now covers [{start}, {end}): {_clip(c.source.text[start:end])!r}"))


@app.command()
def undo(ctx: typer.Context,
         skip: Annotated[bool, typer.Option("--skip", help="Drop your last change from the undo stack without reverting it (when it can no longer be undone).")] = False):
    """Undo your last change in the project (survives restarts)."""
    if skip:
        st = _state(ctx)
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
    st = _state(ctx)
    project_id, coder_id = st.project_and_coder()
    with st.store.write() as s:
        result = (history.redo if redo else history.undo)(s, project_id, coder_id)
    out.print(Text(f"{'redone' if redo else 'undone'}: {result.action} ({result.changes} changes)"))


@app.command("history")
def history_(ctx: typer.Context, limit: Annotated[int, typer.Option(help="How many events.")] = 30):
    """The event log of the project: who changed what, newest first."""
    st = _state(ctx)
    with st.store.read() as s:
        project = resolve_project(s, st.project_name)
        names = coder_names(s)
        _table([{"id": e.id, "when": e.created_at.strftime("%Y-%m-%d %H:%M:%S"), "who": names.get(e.coder_id, ""),
                 "action": e.action, "change": f"{e.op} {e.entity} {e.entity_id}", "state": e.state.value}
                for e in history.recent(s, project.id, limit)], "history")


# -- memos ----------------------------------------------------------------------------------

def _memo_rows(memos: list[Memo]) -> None:
    _table([{"id": m.id, "on": m.target + (f" {m.source_id or m.code_id or m.coding_id}" if m.target != "project" else ""),
             "title": m.title, "text": _clip(m.text, 100)} for m in memos], "memos", empty=EMPTY["memos"])


@memo_app.command("add")
def memo_add(ctx: typer.Context, text: Annotated[str, typer.Argument(help="The memo text.")],
             title: Annotated[str, typer.Option(help="A short title.")] = "",
             source: Annotated[str | None, typer.Option(help="Annotate this source.")] = None,
             code_ref: Annotated[str | None, typer.Option("--code", help="Annotate this code.")] = None,
             coding: Annotated[int | None, typer.Option(help="Annotate this coding.")] = None):
    """Write a memo on the project (default), a source, a code or a coding."""
    st = _state(ctx)
    project_id, coder_id = st.project_and_coder()
    with st.store.write("add memo", project_id=project_id, coder_id=coder_id) as s:
        from .models import Coder
        memo = coding_mod.add_memo(
            s, project_id, text, title=title, coder=s.get(Coder, coder_id),
            source=corpus.get_source(s, project_id, source) if source else None,
            code=codebook_mod.find_code(s, project_id, code_ref) if code_ref else None,
            coding=coding_mod.get_coding(s, project_id, coding) if coding else None)
        out.print(Text(f"memo {memo.id} on the {memo.target}"))


@memo_app.command("list")
def memo_list(ctx: typer.Context, search: Annotated[str | None, typer.Option(help="Only memos containing this text.")] = None):
    """All memos of the project, newest first."""
    st = _state(ctx)
    with st.store.read() as s:
        project = resolve_project(s, st.project_name)
        _memo_rows(coding_mod.list_memos(s, project.id, search))


# -- analysis ---------------------------------------------------------------------------------

@app.command("crosstab")
def crosstab_(ctx: typer.Context,
              by: Annotated[str, typer.Option("--by", help="Case attribute to compare, e.g. sector.")],
              codebook: Annotated[str | None, typer.Option(help="Only the codes of this codebook.")] = None,
              code: Annotated[str | None, typer.Option(help="Only this code and its sub-codes.")] = None,
              count: Annotated[str, typer.Option(help="cases (default: each case once), sources or codings.")] = "cases",
              role: Annotated[list[str] | None, typer.Option(help="Only turns of this speaker role (repeatable).")] = None,
              coder: Annotated[list[str] | None, typer.Option(help="Only this coder's codings (repeatable).")] = None):
    """Code x case attribute table with percentages and a test per code (chi-square / Fisher)."""
    from . import analysis
    from . import retrieval
    st = _state(ctx)
    with st.store.read() as s:
        project = resolve_project(s, st.project_name)
        code_ids = retrieval.codebook_code_ids(s, project.id, codebook)
        if code:
            code_ids = sorted(retrieval.expand_subcodes(s, [codebook_mod.find_code(s, project.id, code, codebook).id]))
        names = coder_names(s)
        coder_ids = [i for i, n in names.items() if n in coder] if coder else None
        if role:     # roles need each coding's turn
            quotes = retrieval.coded_quotes(s, project.id, code_ids=code_ids, roles=role, coder_ids=coder_ids,
                                            include_subcodes=False)
        else:        # counted in the database: fast on a million codings
            quotes = retrieval.coding_counts(s, project.id, code_ids=code_ids, coder_ids=coder_ids)
        cases = cases_mod.case_table(s, project.id)
        sources = retrieval.source_cases(s, project.id)
        all_codes = [" › ".join(codebook_mod.code_path(c)) for c in
                     (codebook_mod.get_codebook(s, project.id, codebook).codes if codebook and not code else [])]
    result = analysis.crosstab(quotes, cases, by, count=count, sources=sources, codes=all_codes or None)
    rows = []
    tests = {t.code: t for t in result.tests}
    for code_name, row in result.table.iterrows():
        r = {"code": code_name}
        for group, n in row.items():
            pct = result.col_percent.loc[code_name, group]
            r[f"{group} (n={result.group_sizes[group]})"] = f"{n} ({pct:.0f}%)" if pct == pct else str(n)
        t = tests.get(code_name)
        if t:
            r["test"] = t.test
            r["p"] = f"{t.p_value:.3f}"
            r["V"] = f"{t.cramers_v:.2f}" if t.cramers_v == t.cramers_v else ""
        rows.append(r)
    _table(rows, f"{count} by {by}", empty="No codings match.")
    for w in result.warnings:
        err.print(Text("note: " + w, style="yellow"))


@app.command()
def frequencies(ctx: typer.Context,
                codebook: Annotated[str | None, typer.Option(help="Only the codes of this codebook.")] = None):
    """Per code: codings, sources, cases and coded words."""
    from . import analysis
    from . import retrieval
    st = _state(ctx)
    with st.store.read() as s:
        project = resolve_project(s, st.project_name)
        quotes = retrieval.coded_quotes(s, project.id, code_ids=retrieval.codebook_code_ids(s, project.id, codebook),
                                        include_subcodes=False)
    _table(analysis.frequencies(quotes).to_dict("records"), "frequencies", empty=EMPTY["codings"])


@app.command()
def agreement(ctx: typer.Context,
              coders: Annotated[list[str], typer.Option("--coder", help="A coder to compare (give two or more).")],
              unit: Annotated[str, typer.Option(help="character, turn (default) or source.")] = "turn",
              codebook: Annotated[str | None, typer.Option(help="Only the codes of this codebook.")] = None,
              show_disagreements: Annotated[bool, typer.Option("--disagreements", help="List the turns where the coders differ.")] = False):
    """Inter-coder agreement per code and pooled: percent, Cohen's kappa, Krippendorff's alpha."""
    from . import agreement as agreement_mod
    from . import retrieval
    st = _state(ctx)
    with st.store.read() as s:
        project = resolve_project(s, st.project_name)
        names = coder_names(s)
        missing = [c for c in coders if c not in names.values()]
        if missing:
            raise WorkbenchError(f"no coder named {', '.join(map(repr, missing))} (coders: {', '.join(names.values())})")
        quotes = retrieval.coded_quotes(s, project.id, code_ids=retrieval.codebook_code_ids(s, project.id, codebook),
                                        include_subcodes=False)
        segments = retrieval.segments_frame(s, project.id)
        texts = retrieval.source_texts(s, project.id) if show_disagreements else None
    table = agreement_mod.agreement_table(quotes, segments, coders, unit=unit)
    fmt = lambda v: "" if v != v else f"{v:.3f}"  # noqa: E731 - NaN prints empty
    _table([{**r, "percent_agreement": fmt(r["percent_agreement"]), "cohen_kappa": fmt(r["cohen_kappa"]),
             "krippendorff_alpha": fmt(r["krippendorff_alpha"])} for r in table.to_dict("records")],
           f"agreement by {unit}")
    if show_disagreements:
        d = agreement_mod.disagreements(quotes, segments, coders, texts=texts)
        _table([{**r, "text": _clip(r.get("text", ""), 100)} for r in d.to_dict("records")], "disagreements",
               empty="No disagreements.")


export_app = _typer("Reports and tables: DOCX report, quotes, code presence per case, crosstabs.")
app.add_typer(export_app, name="export")


@export_app.command("report")
def export_report(ctx: typer.Context, output: Annotated[Path, typer.Argument(help="Target .docx file.")],
                  codebook: Annotated[str | None, typer.Option(help="Only this codebook (default: all).")] = None,
                  code: Annotated[str | None, typer.Option(help="Only this code and its subcodes (name, path or id).")] = None,
                  by: Annotated[str | None, typer.Option(help="Add a crosstab by this case attribute, e.g. sector.")] = None):
    """A Word report: codebook with definitions, quotes with citations and memos, optional crosstab."""
    from .exports import docx_report, gather
    st = _state(ctx)
    with st.store.read() as s:
        project = resolve_project(s, st.project_name)
        data = gather.report_input(s, project.id, codebook=codebook, code=code, by=by)
    result = docx_report.write(data, output)
    note = f"; {result.stripped_characters} characters XML forbids were removed" if result.stripped_characters else ""
    out.print(Text(f"wrote {output}: {result.quotes} quotes{note}"))


@export_app.command("qdpx")
def export_qdpx(ctx: typer.Context, output: Annotated[Path, typer.Argument(help="Target .qdpx file.")]):
    """The whole project as REFI-QDA (.qdpx) for NVivo, ATLAS.ti, MAXQDA, QualCoder, Taguette."""
    from .exports import refi
    st = _state(ctx)
    with st.store.read() as s, atomic_file(output) as fh:
        project = resolve_project(s, st.project_name)
        refi.write_qdpx(s, project.id, fh)     # streamed: a million codings never sit in memory
    out.print(Text(f"wrote {output}"))


@export_app.command("qdc")
def export_qdc(ctx: typer.Context, codebook: Annotated[str, typer.Argument(help="Codebook name or id.")],
               output: Annotated[Path, typer.Argument(help="Target .qdc file.")]):
    """A codebook as REFI-QDA (.qdc)."""
    from .exports import refi
    st = _state(ctx)
    with st.store.read() as s:
        project = resolve_project(s, st.project_name)
        data = refi.codebook_qdc(codebook_mod.get_codebook(s, project.id, codebook))
    write_atomic(output, data)
    out.print(Text(f"wrote {output}"))


@app.command("import-codings")
def import_codings(ctx: typer.Context,
                   file: Annotated[Path, typer.Argument(help="YAML (like transcripts/demo-gold.yaml), CSV or XLSX with "
                                                              "columns source, codebook, code, quote.")],
                   coder: Annotated[str | None, typer.Option(help="Whose codings they are (default: the coder the "
                                                                  "file names, else 'gold').")] = None):
    """Hand codings made elsewhere, given as quotes: each quote is found in its source by its
    exact text and coded (all rows or none; undo takes the import back)."""
    from .coding_import import import_codings_file
    st = _state(ctx)
    project_id, actor_id = st.project_and_coder()
    result = import_codings_file(st.store, project_id, file, coder=coder, actor_id=actor_id)
    out.print(Text(f"{result['created']} codings by {result['coder']!r} from {file} "
                   f"({result['rows'] - result['created']} of {result['rows']} rows were coded so already)"))


@app.command("import-qdpx")
def import_qdpx(ctx: typer.Context, file: Annotated[Path, typer.Argument(help="A .qdpx from NVivo, ATLAS.ti, MAXQDA, QualCoder, Taguette or the workbench.")],
                name: Annotated[str | None, typer.Option(help="Name of the new project (default: the one in the file).")] = None):
    """Import a REFI-QDA project as a new project (all or nothing)."""
    from .exports import refi
    from .safety import read_limited
    st = _state(ctx)
    data = read_limited(file, refi.MAX_QDPX_BYTES)
    with st.store.write() as s:
        coder = get_or_create_coder(s, st.settings.coder)
        report = refi.import_qdpx(s, data, str(file), project_name=name, coder=coder)
        project_name = resolve_project(s, str(report.project_id)).name
    out.print(Text(f"imported {file} as project {project_name!r}: {report.sources} sources, {report.codes} codes, "
                   f"{report.codings} codings, {report.cases} cases, {report.memos} memos"))
    for line in report.skipped:
        err.print(Text("skipped: " + line, style="yellow"))


@codebook_app.command("import-qdc")
def codebook_import_qdc(ctx: typer.Context, file: Annotated[Path, typer.Argument(help="A REFI-QDA codebook (.qdc).")]):
    """Import a REFI-QDA codebook into the project."""
    from .exports import refi
    from .safety import read_limited
    st = _state(ctx)
    project_id, coder_id = st.project_and_coder()
    data = read_limited(file, 50 * 1024 * 1024)
    with st.store.write(f"import codebook {file.name}", project_id=project_id, coder_id=coder_id) as s:
        book = refi.import_qdc(s, project_id, data, str(file))
        out.print(Text(f"codebook {book.name!r}: {len(book.codes)} codes"))


@export_app.command("crosstab")
def export_crosstab(ctx: typer.Context, output: Annotated[Path, typer.Argument(help="Target .xlsx (or .csv: counts only).")],
                    by: Annotated[str, typer.Option("--by", help="Case attribute, e.g. sector.")],
                    codebook: Annotated[str | None, typer.Option(help="Only this codebook.")] = None,
                    count: Annotated[str, typer.Option(help="cases, sources or codings.")] = "cases"):
    """A crosstab with its percentages and tests as a spreadsheet."""
    from . import analysis, retrieval
    from .exports import tables
    st = _state(ctx)
    with st.store.read() as s:
        project = resolve_project(s, st.project_name)
        counts = retrieval.coding_counts(s, project.id, code_ids=retrieval.codebook_code_ids(s, project.id, codebook))
        cases = cases_mod.case_table(s, project.id)
        sources = retrieval.source_cases(s, project.id)
    ct = analysis.crosstab(counts, cases, by, count=count, sources=sources)
    tables.write({"counts": ct.table.reset_index(), "column %": ct.col_percent.round(1).reset_index(),
                  "row %": ct.row_percent.round(1).reset_index(), "tests": ct.tests_frame()}, output)
    out.print(Text(f"wrote {output}"))


@export_app.command("quotes")
def export_quotes(ctx: typer.Context, output: Annotated[Path, typer.Argument(help="Target .csv or .xlsx file.")],
                  codebook: Annotated[str | None, typer.Option(help="Only this codebook.")] = None):
    """One row per coded quote, with the code path and every case attribute."""
    from .exports import gather, tables
    st = _state(ctx)
    with st.store.read() as s:
        project = resolve_project(s, st.project_name)
        quotes, cases = gather.quotes_and_cases(s, project.id, codebook)
    tables.write({"quotes": tables.quotes_table(quotes, cases)}, output)
    out.print(Text(f"wrote {output}: {len(quotes)} quotes"))


@export_app.command("matrix")
def export_matrix(ctx: typer.Context, output: Annotated[Path, typer.Argument(help="Target .csv or .xlsx file.")],
                  codebook: Annotated[str | None, typer.Option(help="Only this codebook.")] = None):
    """A 0/1 code-presence matrix per case with the case attributes (for mixed methods)."""
    from . import analysis
    from .exports import gather, tables
    st = _state(ctx)
    with st.store.read() as s:
        project = resolve_project(s, st.project_name)
        quotes, cases = gather.quotes_and_cases(s, project.id, codebook)
    tables.write({"presence": analysis.presence_matrix(quotes, cases)}, output)
    out.print(Text(f"wrote {output}"))


# -- autocoding ----------------------------------------------------------------------------

autocode_app = _typer("Deductive autocoding: codebook rules propose codings; you accept or reject them.")
app.add_typer(autocode_app, name="autocode")


@autocode_app.command("run")
def autocode_run(ctx: typer.Context,
                 codebook: Annotated[list[str] | None, typer.Option(help="Codebook(s) whose rules run (default: all).")] = None,
                 source: Annotated[list[str] | None, typer.Option(help="Only these sources (default: all).")] = None):
    """Run the rules over the sources; store suggestions with the rule that fired."""
    from . import autocode
    st = _state(ctx)
    project_id, coder_id = st.project_and_coder()
    with st.store.read() as s:
        books = [codebook_mod.get_codebook(s, project_id, c).id for c in codebook] if codebook else None
        sources = [corpus.get_source(s, project_id, x).id for x in source] if source else None
    with Progress(TextColumn("matching"), BarColumn(), MofNCompleteColumn(), console=err, transient=True) as bar:
        task = bar.add_task("turns", total=None)
        result = autocode.run(st.store, project_id, coder_id, codebook_ids=books, source_ids=sources,
                              progress=lambda done, total: bar.update(task, completed=done, total=total))
    out.print(Text(f"run {result.run_id}: {result.suggestions} suggestions over {result.turns} turns "
                   f"({result.skipped_known} already decided or coded, not proposed again)"))


@autocode_app.command("review")
def autocode_review(ctx: typer.Context,
                    run: Annotated[int | None, typer.Option(help="Only this run.")] = None,
                    rule: Annotated[str | None, typer.Option(help="Only suggestions of this rule.")] = None,
                    accept: Annotated[list[int] | None, typer.Option(help="Accept these suggestion ids.")] = None,
                    reject: Annotated[list[int] | None, typer.Option(help="Reject these suggestion ids.")] = None,
                    accept_all: Annotated[bool, typer.Option("--accept-all", help="Accept every listed suggestion.")] = False,
                    reject_all: Annotated[bool, typer.Option("--reject-all", help="Reject every listed suggestion.")] = False):
    """The review queue: list pending suggestions, accept or reject them (one by one, by rule, all)."""
    from . import autocode
    from .models import Coder
    st = _state(ctx)
    project_id, coder_id = st.project_and_coder()
    with st.store.read() as s:
        queue = autocode.pending(s, project_id, run_id=run, rule=rule)
    decisions = [(True, accept or []), (False, reject or [])]
    if accept_all or reject_all:
        decisions.append((accept_all, [r["id"] for r in queue]))
    changed, skipped = 0, []
    with st.store.write("review suggestions", project_id=project_id, coder_id=coder_id) as s:
        for yes, ids in decisions:
            if ids:
                result = autocode.review(s, project_id, ids, accept=yes, coder=s.get(Coder, coder_id))
                changed += result.changed
                skipped += result.skipped
    for line in skipped:
        out.print(Text(f"not accepted, still pending: {line}", style="yellow"))
    if changed or skipped:
        out.print(Text(f"{changed} suggestion(s) decided"))
        return
    _table([{"id": r["id"], "source": r["source"], "code": r["code"], "rule": r["rule"],
             "text": _clip(r["text"], 90)} for r in queue], "pending suggestions",
           empty="No pending suggestions: run `workbench autocode run`.")


@autocode_app.command("evaluate")
def autocode_evaluate(ctx: typer.Context, run: Annotated[int, typer.Argument(help="Run id.")],
                      gold: Annotated[list[str] | None, typer.Option(help="Coder(s) whose manual codings are the truth (default: all manual codings).")] = None,
                      show: Annotated[int, typer.Option(help="How many false positives and misses to list.")] = 10):
    """Precision, recall and F1 of a run against human codings, per code and overall."""
    from . import autocode
    from .autocode_eval import evaluate
    st = _state(ctx)
    with st.store.read() as s:
        project = resolve_project(s, st.project_name)
        names = coder_names(s)
        gold_ids = [i for i, n in names.items() if n in gold] if gold else None
        pred, truth, segments, texts = autocode.evaluation_inputs(s, project.id, run, gold_ids)
        source_names = dict((r["id"], r["name"]) for r in corpus.list_sources(s, project.id))
    scores, fps, misses = evaluate(pred, truth, segments, texts)
    fmt = lambda v: "" if v != v else f"{v:.2f}"  # noqa: E731
    _table([{k: (fmt(v) if isinstance(v, float) else v) for k, v in r.items()} for r in scores.to_dict("records")],
           f"run {run} against {', '.join(gold) if gold else 'manual codings'}")
    for title, frame in (("false positives", fps), ("misses", misses)):
        _table([{"source": source_names.get(r["source_id"], r["source_id"]), "turn": r["turn"] + 1, "code": r["code"],
                 "text": _clip(r["text"], 90)} for r in frame.head(show).to_dict("records")],
               f"{title} ({len(frame)})", empty=f"No {title}.")


@autocode_app.command("undo")
def autocode_undo(ctx: typer.Context, run: Annotated[int, typer.Argument(help="Run id.")]):
    """Remove a run in one step: its suggestions and the codings accepted from it."""
    from . import autocode
    st = _state(ctx)
    project_id, _ = st.project_and_coder()
    with st.store.write() as s:
        result = autocode.undo_run(s, project_id, run)
    out.print(Text(f"run {run} undone: {result['suggestions']} suggestions and {result['codings']} codings removed"))


@autocode_app.command("runs")
def autocode_runs(ctx: typer.Context):
    """Autocoding runs of the project."""
    from . import autocode
    st = _state(ctx)
    with st.store.read() as s:
        project = resolve_project(s, st.project_name)
        _table(autocode.runs(s, project.id), "autocoding runs", empty="No runs yet: `workbench autocode run`.")


# -- transcription --------------------------------------------------------------------------

jobs_app = _typer("Queued work (transcriptions): list, cancel, retry.")
app.add_typer(jobs_app, name="jobs")


@app.command()
def transcribe(ctx: typer.Context,
               files: Annotated[list[Path], typer.Argument(help="Recordings (wav, mp3, m4a, flac, ogg, opus, webm, mp4...).")],
               case: Annotated[str | None, typer.Option(help="Put the transcripts into this case.")] = None,
               language: Annotated[str | None, typer.Option(help="Language code, e.g. pt or en (default: detect).")] = None,
               model: Annotated[str, typer.Option(help="Model name (tiny, base, small...), or a model folder (default: the installed multilingual model).")] = "",
               engine: Annotated[str, typer.Option(help="faster-whisper (default) or openai-whisper.")] = "faster-whisper",
               beam_size: Annotated[int | None, typer.Option(help="Beam size (default: greedy for English, 5 for other languages, as measured; 1 = greedy).")] = None,
               batch_size: Annotated[int, typer.Option(help="Chunks decoded at once (default 1; 8 is faster and uses about twice the memory).")] = 1,
               sequential: Annotated[bool, typer.Option("--sequential", help="Use the classic sequential decoder instead of the batched pipeline.")] = False,
               compute_type: Annotated[str, typer.Option(help="int8 (default on CPU) or float32.")] = "int8",
               vad: Annotated[bool, typer.Option("--vad/--no-vad", help="Skip silence with voice-activity detection.")] = True,
               prompt: Annotated[str | None, typer.Option(help="Names and jargon to expect, e.g. 'AICEP, Heimtextil, Oeko-Tex'.")] = None,
               queue_only: Annotated[bool, typer.Option("--queue-only", help="Only queue the jobs; a running worker does them.")] = False):
    """Transcribe recordings locally into sources of the project (one job per file)."""
    from . import jobs
    from .transcribe import Options
    st = _state(ctx)
    project_id, coder_id = st.project_and_coder()
    options = Options(model=model, engine=engine, language=language, beam_size=beam_size, batch_size=batch_size,
                      pipeline="sequential" if sequential else "batched", compute_type=compute_type, vad_filter=vad,
                      initial_prompt=prompt)
    queued = []
    for f in files:
        from .safety import read_limited
        source_id, job_id, created = jobs.enqueue_audio(st.store, project_id, coder_id, f.name,
                                                        read_limited(f, jobs.MAX_AUDIO_BYTES),
                                                        media_dir=st.settings.media_dir, options=options, case=case)
        out.print(Text(f"{'queued' if created else 'already in the project'}: {f} (source {source_id}, job {job_id})"))
        if created:
            queued.append(job_id)
    if queue_only or not queued:
        return
    _run_jobs(st, queued)


def _run_jobs(st: _State, job_ids: list[int]) -> None:
    from . import jobs
    from .models import Job, JobStatus
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[audio]}"),
               TextColumn("{task.fields[speed]}"), TimeElapsedColumn())
    with Progress(*columns, console=err) as bar:
        tasks = {jid: bar.add_task(f"job {jid}", total=1.0, audio="", speed="") for jid in job_ids}

        def tick(job_id: int) -> None:
            with st.store.read() as s:
                job = s.get(Job, job_id)
                r = job.result or {}
                done, total = r.get("done"), r.get("total")
                bar.update(tasks[job_id], completed=job.progress, description=f"job {job_id} {job.status.value}",
                           audio=f"{done:,.0f}/{total:,.0f} s audio" if total else "",
                           speed=f"{r['speed']:.1f}x real time" if r.get("speed") else "")
        jobs.work(st.store.url, once=True, job_ids=job_ids, on_tick=tick)
    failed = 0
    with st.store.read() as s:
        for jid in job_ids:
            job = s.get(Job, jid)
            if job.status == JobStatus.done:
                out.print(Text(f"job {jid}: done - {job.message}"))
            else:
                failed += 1
                err.print(Text(f"job {jid}: {job.status.value} - {job.error}", style="red"))
    if failed:
        raise typer.Exit(1)


@app.command()
def worker(ctx: typer.Context,
           once: Annotated[bool, typer.Option("--once", help="Stop when the queue is empty.")] = False,
           poll: Annotated[float, typer.Option(help="Seconds between looks at an empty queue.")] = 2.0):
    """Run queued jobs (transcriptions) against this database; several may run at once."""
    from . import jobs
    st = _state(ctx)
    st.store  # noqa: B018 - open (and migrate) before the loop
    out.print(Text(f"worker on {st.settings.database_url}: waiting for jobs (Ctrl+C stops)"))
    try:
        ran = jobs.work(st.store.url, once=once, poll=poll)
    except KeyboardInterrupt:
        return
    out.print(Text(f"ran {ran} job(s)"))


@app.command()
def models():
    """Whisper models available here: installed (offline) ones and names downloaded on first use."""
    from .whisper_models import default_model, list_models
    rows = list_models()
    default = default_model()
    for r in rows:
        r["default"] = "yes" if r["model"] == default and r["offline"] else ""
    _table(rows, "models", columns=["model", "default", "languages", "where", "size_mb", "path"])


@jobs_app.command("list")
def jobs_list(ctx: typer.Context, all_: Annotated[bool, typer.Option("--all", help="Also finished jobs.")] = False):
    """Jobs of the project, newest first."""
    from . import jobs
    st = _state(ctx)
    with st.store.read() as s:
        project = resolve_project(s, st.project_name)
        rows = jobs.list_jobs(s, project.id, open_only=not all_)
    for r in rows:
        r["progress"] = f"{r['progress']:.0%}"
    _table(rows, "jobs", columns=["id", "kind", "source", "status", "progress", "message", "error"],
           empty="No jobs." if all_ else "No open jobs (see `workbench jobs list --all`).")


@jobs_app.command("cancel")
def jobs_cancel(ctx: typer.Context, job_id: Annotated[int, typer.Argument(help="Job id.")]):
    """Cancel a queued or running job."""
    from . import jobs
    st = _state(ctx)
    project_id, _ = st.project_and_coder()
    jobs.cancel(st.store, project_id, job_id)
    out.print(Text(f"job {job_id} cancelled"))


@jobs_app.command("retry")
def jobs_retry(ctx: typer.Context, job_id: Annotated[int, typer.Argument(help="Job id.")],
               run: Annotated[bool, typer.Option("--run/--queue-only", help="Run it now in this terminal.")] = True):
    """Put a failed or cancelled job back in the queue (and run it)."""
    from . import jobs
    st = _state(ctx)
    project_id, _ = st.project_and_coder()
    jobs.retry(st.store, project_id, job_id)
    out.print(Text(f"job {job_id} queued again"))
    if run:
        _run_jobs(st, [job_id])


@app.command("export-transcript")
def export_transcript(ctx: typer.Context, source: Annotated[str, typer.Argument(help="Source name or id.")],
                      output: Annotated[Path, typer.Argument(help="Target file; its extension (.txt .srt .vtt .docx) picks the format.")]):
    """Write a transcript with speakers and timestamps as TXT, SRT, VTT or DOCX."""
    from .exports import transcript as transcript_export
    st = _state(ctx)
    fmt = output.suffix.lower().lstrip(".")
    with st.store.read() as s:
        project = resolve_project(s, st.project_name)
        src = corpus.get_source(s, project.id, source)
        transcript_export.write(src, fmt, output)
    out.print(Text(f"wrote {output}"))


# -- storage --------------------------------------------------------------------------------

@app.command()
def backup(ctx: typer.Context, dest: Annotated[Path | None, typer.Argument(
        help="Target file; default backups/<project file>-<date-time>.db beside the project file.")] = None):
    """Copy a SQLite project safely while it is in use, and verify the copy."""
    from .store import default_backup_path, sqlite_path
    st = _state(ctx)
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
    from . import project_file
    target = to or _state(ctx).settings.database_url
    result = project_file.restore(source, target, replace=replace)
    rows = result["rows"]
    out.print(Text(f"restored {source} into {target}: {rows.get('project', 0)} project(s), "
                   f"{rows.get('source', 0)} sources, {rows.get('coding', 0)} codings, {rows.get('memo', 0)} memos"))
    if result["replaced_backup"]:
        out.print(Text(f"the file it replaced was backed up to {result['replaced_backup']}"))


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
