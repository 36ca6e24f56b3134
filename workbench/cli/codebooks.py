"""Codebooks as YAML files: validate, load, export, show; REFI-QDA codebooks in."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from workbench.cli.base import app, clip, err, out, state, sub_app
from workbench.codebook.format import check_file, read_codebook, to_yaml
from workbench.codebook.lookup import get_codebook
from workbench.codebook.storage import spec_from_db, store_codebook
from workbench.codebook.terms import codebook_terms
from workbench.exchange.refi.reader import import_qdc
from workbench.safety.atomic import write_atomic
from workbench.safety.untrusted import read_limited

codebook_app = sub_app("Codebooks as YAML files: validate, load, export, show.")
app.add_typer(codebook_app, name="codebook")


@codebook_app.command("validate")
def codebook_validate(files: Annotated[list[Path], typer.Argument(help="Codebook YAML files.")]):
    """Check codebook files and report every problem with its file and line."""
    bad = 0
    for f in files:
        spec, problems = check_file(f)
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
    st = state(ctx)
    spec = read_codebook(file)
    project_id, coder_id = st.project_and_coder()
    with st.store.write(f"load codebook {spec.name}", project_id=project_id, coder_id=coder_id) as s:
        r = store_codebook(s, project_id, spec, update=update)
    out.print(Text(f"codebook {r['name']!r}: {r['added']} codes added, {r['updated']} updated"))
    for path in r["kept_codes"]:
        out.print(Text(f"  kept {path!r}: no longer in the file (delete it in the app if it should go)"))


@codebook_app.command("export")
def codebook_export(ctx: typer.Context, name: Annotated[str, typer.Argument(help="Codebook name or id.")],
                    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of printing.")] = None):
    """Write a codebook of the project as YAML."""
    st = state(ctx)
    with st.reading() as (s, project):
        text = to_yaml(spec_from_db(get_codebook(s, project.id, name)))
    if output:
        write_atomic(output, text.encode("utf-8"))
        out.print(Text(f"wrote {output}"))
    else:
        sys.stdout.write(text)


@codebook_app.command("show")
def codebook_show(ctx: typer.Context, name: Annotated[str, typer.Argument(help="Codebook name or id.")]):
    """Print the code tree of a codebook with definitions."""
    from rich.tree import Tree
    st = state(ctx)
    with st.reading() as (s, project):
        cb = get_codebook(s, project.id, name)
        tree = Tree(Text(cb.name, style="bold"))

        def add(node, code):
            branch = node.add(Text(f"{code.name} (id {code.id})", style=code.color)
                              + Text(f"\n{clip(code.definition, 160)}", style="dim"))
            for child in code.children:
                add(branch, child)
        for code in (c for c in cb.codes if c.parent_id is None):
            add(tree, code)
        out.print(tree)


@codebook_app.command("terms")
def codebook_terms_command(ctx: typer.Context):
    """Names and acronyms in the codebooks (AICEP, Première Vision): give the ones the interviews
    use to `workbench transcribe --prompt` so the model spells them."""
    st = state(ctx)
    with st.reading() as (s, project):
        terms = codebook_terms(s, project.id)
    if not terms:
        out.print(Text("No names or acronyms in the codebooks."))
        return
    out.print(Text(", ".join(terms)))
    err.print(Text(f'use: workbench transcribe FILE --prompt "{", ".join(terms[:5])}"', style="yellow"))


@codebook_app.command("import-qdc")
def codebook_import_qdc(ctx: typer.Context, file: Annotated[Path, typer.Argument(help="A REFI-QDA codebook (.qdc).")]):
    """Import a REFI-QDA codebook into the project."""
    st = state(ctx)
    project_id, coder_id = st.project_and_coder()
    data = read_limited(file, 50 * 1024 * 1024)
    with st.store.write(f"import codebook {file.name}", project_id=project_id, coder_id=coder_id) as s:
        notes: list[str] = []
        book = import_qdc(s, project_id, data, str(file), notes)
        out.print(Text(f"codebook {book.name!r}: {len(book.codes)} codes"))
    for note in notes:
        err.print(Text(f"note: {note}", style="yellow"))
