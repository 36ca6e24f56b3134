"""Comparing and agreeing: crosstabs by a case attribute, code frequencies, inter-coder agreement."""
from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from workbench.analysis.agreement import agreement_table, disagreements
from workbench.analysis.counts import frequencies as code_frequencies
from workbench.analysis.crosstab_query import project_crosstab
from workbench.analysis.retrieval import codebook_code_ids, coded_quotes, segments_frame, source_texts
from workbench.cli.base import EMPTY, app, clip, err, state, table
from workbench.project.coders import coder_ids_named


@app.command("crosstab")
def crosstab_(ctx: typer.Context,
              by: Annotated[str, typer.Option("--by", help="Case attribute to compare, e.g. sector.")],
              codebook: Annotated[str | None, typer.Option(help="Only the codes of this codebook.")] = None,
              code: Annotated[str | None, typer.Option(help="Only this code and its sub-codes.")] = None,
              count: Annotated[str, typer.Option(help="cases (default: each case once), sources or codings.")] = "cases",
              role: Annotated[list[str] | None, typer.Option(help="Only turns of this speaker role (repeatable).")] = None,
              coder: Annotated[list[str] | None, typer.Option(help="Only this coder's codings (repeatable).")] = None):
    """Code x case attribute table with percentages and a test per code (chi-square / Fisher)."""
    st = state(ctx)
    with st.reading() as (s, project):
        coder_ids = coder_ids_named(s, coder) if coder else None
        result = project_crosstab(s, project.id, by, codebook=codebook, code=code, count=count, roles=role,
                                  coder_ids=coder_ids)
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
    table(rows, f"{count} by {by}", empty="No codings match.")
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
              show_disagreements: Annotated[bool, typer.Option("--disagreements", help="List the turns where the coders differ.")] = False):
    """Inter-coder agreement per code and pooled: percent, Cohen's kappa, Krippendorff's alpha."""
    st = state(ctx)
    with st.reading() as (s, project):
        coder_ids_named(s, coders)           # unknown names are an error, naming the known ones
        quotes = coded_quotes(s, project.id, code_ids=codebook_code_ids(s, project.id, codebook),
                              include_subcodes=False)
        segments = segments_frame(s, project.id)
        texts = source_texts(s, project.id) if show_disagreements else None
    scores = agreement_table(quotes, segments, coders, unit=unit)
    fmt = lambda v: "" if v != v else f"{v:.3f}"  # noqa: E731 - NaN prints empty
    table([{**r, "percent_agreement": fmt(r["percent_agreement"]), "cohen_kappa": fmt(r["cohen_kappa"]),
            "krippendorff_alpha": fmt(r["krippendorff_alpha"])} for r in scores.to_dict("records")],
          f"agreement by {unit}")
    if show_disagreements:
        d = disagreements(quotes, segments, coders, texts=texts)
        table([{**r, "text": clip(r.get("text", ""), 100)} for r in d.to_dict("records")], "disagreements",
              empty="No disagreements.")
