"""Comparing and agreeing: crosstabs by a case attribute, code frequencies, inter-coder agreement,
which coder finished which source, and the methods paragraph for a paper."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from workbench.analysis.agreement_query import project_agreement
from workbench.analysis.counts import frequencies as code_frequencies
from workbench.analysis.crosstab_query import cell_quotes, project_crosstab
from workbench.analysis.methods import methods
from workbench.analysis.presentation import agreement_rows, crosstab_rows, pooled_words
from workbench.analysis.retrieval import codebook_code_ids, coded_quotes
from workbench.cli.base import EMPTY, app, clip, err, out, state, sub_app, table
from workbench.codebook.lookup import get_codebook
from workbench.coding.status import set_done, status_rows
from workbench.errors import NotFound
from workbench.project.coders import coder_ids_named
from workbench.safety.atomic import write_atomic

status_app = sub_app("Which coder has finished coding which source (what agreement compares).")
app.add_typer(status_app, name="status")

Adjust = Annotated[str, typer.Option("--adjust", help="Multiple-comparison adjustment: holm (default), bh "
                                                      "(Benjamini-Hochberg) or none.")]
OwnOnly = Annotated[bool, typer.Option("--own-codings-only", help="A parent code counts only its own codings, "
                                                                  "not its sub-codes'.")]


@app.command("crosstab")
def crosstab_(ctx: typer.Context,
              by: Annotated[str, typer.Option("--by", help="Case attribute to compare, e.g. sector.")],
              codebook: Annotated[str | None, typer.Option(help="Only the codes of this codebook.")] = None,
              code: Annotated[str | None, typer.Option(help="Only this code and its sub-codes.")] = None,
              count: Annotated[str, typer.Option(help="cases (default: each case once), sources or codings.")] = "cases",
              role: Annotated[list[str] | None, typer.Option(help="Only turns of this speaker role (repeatable).")] = None,
              coder: Annotated[list[str] | None, typer.Option(help="Only this coder's codings and the sources they "
                                                                   "judged (repeatable).")] = None,
              adjust: Adjust = "holm", own_only: OwnOnly = False,
              alpha: Annotated[float, typer.Option(help="Significance level.")] = 0.05,
              quotes: Annotated[str | None, typer.Option("--quotes", help="Print the quotes behind one cell: this "
                                                          "code (as the table names it) ...")] = None,
              group: Annotated[str | None, typer.Option("--group", help="... in the cases of this group.")] = None):
    """Code x case attribute table with percentages and a valid test per code (Fisher, exact, chi-square);
    --quotes CODE --group VALUE prints the quotes one cell counted."""
    st = state(ctx)
    if (quotes is None) != (group is None):
        raise NotFound("give both --quotes CODE and --group VALUE to read a cell's quotes")
    with st.reading() as (s, project):
        coder_ids = coder_ids_named(s, coder) if coder else None
        result = project_crosstab(s, project.id, by, codebook=codebook, code=code, count=count, roles=role,
                                  coder_ids=coder_ids, subcodes=not own_only, adjustment=adjust, alpha=alpha)
        if quotes is not None:
            groups = {str(g): g for g in result.table.columns}
            if group not in groups:
                raise NotFound(f"no group {group!r} of {by!r}; the groups are {', '.join(map(repr, groups))}")
            found = cell_quotes(s, project.id, by, quotes, groups[group], codebook=codebook, roles=role,
                                coder_ids=coder_ids, subcodes=not own_only)
            table([{"source": q.source, "case": q.case, "speaker": q.speaker, "quote": q.quote}
                   for q in found.itertuples(index=False)], f"{quotes} in {by} = {group}: {len(found)} quote(s)",
                  empty=f"No case with {by} = {group} has {quotes}.")
            return
    table(crosstab_rows(result), f"{count} by {by}", empty="No codings match.")
    if result.tests:
        out.print(Text(result.summary()))
    for w in result.warnings:
        err.print(Text("note: " + w, style="yellow"))


@app.command()
def frequencies(ctx: typer.Context,
                codebook: Annotated[str | None, typer.Option(help="Only the codes of this codebook.")] = None):
    """Per code: codings, sources, cases and coded words."""
    st = state(ctx)
    with st.reading() as (s, project):
        quotes = coded_quotes(s, project.id, code_ids=codebook_code_ids(s, project.id, codebook),
                              include_subcodes=False)
    table(code_frequencies(quotes).to_dict("records"), "frequencies", empty=EMPTY["codings"])


@app.command()
def agreement(ctx: typer.Context,
              coders: Annotated[list[str], typer.Option("--coder", help="A coder to compare (give two or more).")],
              unit: Annotated[str, typer.Option(help="character, turn (default) or source.")] = "turn",
              codebook: Annotated[str | None, typer.Option(help="Only the codes of this codebook.")] = None,
              include_interviewer: Annotated[bool, typer.Option("--include-interviewer", help="Count the "
                                                                "interviewer's turns as units too.")] = False,
              show_disagreements: Annotated[bool, typer.Option("--disagreements", help="List the turns where the coders differ.")] = False):
    """Inter-coder agreement per code and pooled, over the sources every coder finished: percent,
    Cohen's kappa, Krippendorff's alpha."""
    st = state(ctx)
    with st.reading() as (s, project):
        found = project_agreement(s, project.id, coders, unit=unit, codebook=codebook,
                                  include_interviewer=include_interviewer, with_disagreements=show_disagreements)
    result = found.result
    table(agreement_rows(result), f"agreement by {result.unit_words()}")
    out.print(Text(f"compared: {len(result.compared)} source(s) "
                   + ("every coder marked done" if result.basis == "marked done" else "every coder coded in")
                   + f"; {pooled_words(result)}"))
    table(found.excluded_rows(), "not compared", empty="Every source was compared.")
    for w in result.warnings:
        err.print(Text("note: " + w, style="yellow"))
    if show_disagreements:
        d = found.disagreements
        table([{**r, "text": clip(r.get("text", ""), 100)} for r in d.to_dict("records")], "disagreements",
              empty="No disagreements.")


@status_app.command("list")
def status_list(ctx: typer.Context):
    """Each source with each coder who coded it or marked it: codings, and done or not."""
    st = state(ctx)
    with st.reading() as (s, project):
        table(status_rows(s, project.id), "coding status",
              empty="Nobody has coded or marked a source yet: `workbench status done SOURCE`.")


def _mark(ctx: typer.Context, sources: list[str], done: bool) -> None:
    st = state(ctx)
    project_id, coder_id = st.project_and_coder()
    word = "done" if done else "not done"
    with st.store.write(f"mark {len(sources)} source(s) {word}", project_id=project_id, coder_id=coder_id) as s:
        changed = [src for src in sources if set_done(s, project_id, src, coder_id, done)]
    out.print(Text(f"{st.settings.coder}: {len(changed)} source(s) marked {word}"
                   + (f" ({len(sources) - len(changed)} already were)" if len(changed) < len(sources) else "")))


@status_app.command("done")
def status_done(ctx: typer.Context, sources: Annotated[list[str], typer.Argument(help="Source names or ids.")]):
    """Mark sources as finished by you (--coder): an empty one then counts as coded nothing."""
    _mark(ctx, sources, True)


@status_app.command("reopen")
def status_reopen(ctx: typer.Context, sources: Annotated[list[str], typer.Argument(help="Source names or ids.")]):
    """Take back your "done" on sources."""
    _mark(ctx, sources, False)


@app.command("methods")
def methods_(ctx: typer.Context,
             by: Annotated[str | None, typer.Option("--by", help="Describe the crosstab by this case attribute.")] = None,
             codebook: Annotated[str | None, typer.Option(help="The codebook compared.")] = None,
             count: Annotated[str, typer.Option(help="cases, sources or codings (as in crosstab).")] = "cases",
             agree: Annotated[list[str] | None, typer.Option("--agreement", help="A coder whose agreement to "
                                                             "describe (give two or more).")] = None,
             unit: Annotated[str, typer.Option(help="Agreement unit: character, turn or source.")] = "turn",
             adjust: Adjust = "holm", own_only: OwnOnly = False,
             output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.")] = None):
    """A methods paragraph for a paper, written from the crosstab and agreement actually computed."""
    st = state(ctx)
    crosstabs, agreements = [], []
    with st.reading() as (s, project):
        name = get_codebook(s, project.id, codebook).name if codebook else None
        if by:
            ct = project_crosstab(s, project.id, by, codebook=codebook, count=count, subcodes=not own_only,
                                  adjustment=adjust)
            crosstabs.append((ct, {"codebook": name}))
        if agree:
            found = project_agreement(s, project.id, agree, unit=unit, codebook=codebook)
            agreements.append((found.result, {"codebook": name, "excluded_names": [
                found.source_names.get(x, str(x)) for x, _ in found.result.excluded]}))
    if not crosstabs and not agreements:
        raise typer.BadParameter("say what to describe: --by ATTRIBUTE (a crosstab) and/or --agreement CODER "
                                 "--agreement CODER")
    text = "\n\n".join(methods(crosstabs, agreements)) + "\n"
    if output:
        write_atomic(output, text.encode("utf-8"))
        out.print(Text(f"wrote {output}"))
    else:
        out.print(Text(text))
