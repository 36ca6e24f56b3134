"""Assisted coding: run the suggesters, review the queue, score a run, undo it."""
from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn
from rich.text import Text

from workbench.autocode import relevance, suggest
from workbench.autocode import runs as run_store
from workbench.autocode.evaluation import evaluate, evaluation_inputs, judged_sources, run_source_ids
from workbench.autocode.review import pending, review
from workbench.autocode.semantic import THRESHOLD as semantic_default
from workbench.cli.base import app, clip, err, out, state, sub_app, table
from workbench.codebook.lookup import get_codebook
from workbench.corpus.sources import get_source, list_sources
from workbench.db.models import Coder
from workbench.project.coders import coder_names

autocode_app = sub_app("Assisted coding: rules, a model learned from your coding, meaning and an optional LLM "
                       "propose codings; you accept or reject them.")
app.add_typer(autocode_app, name="autocode")


def _stage_bar():
    """A progress bar that names the stage a run is in."""
    return Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                    console=err, transient=True)


@autocode_app.command("run")
def autocode_run(ctx: typer.Context,
                 method: Annotated[list[str] | None, typer.Option(
                     help="Suggester(s): auto (default: what measured best - learned where the coding allows, "
                          "rules elsewhere, the LLM if configured), rules, learned, semantic, llm.")] = None,
                 codebook: Annotated[list[str] | None, typer.Option(help="Codebook(s) to suggest from (default: all).")] = None,
                 source: Annotated[list[str] | None, typer.Option(help="Only these sources (default: all).")] = None,
                 learned_threshold: Annotated[float | None, typer.Option(
                     min=0.0, max=1.0, help="Confidence the learned suggester needs (default: the cross-validated choice).")] = None,
                 semantic_threshold: Annotated[float, typer.Option(
                     min=-1.0, max=1.0, help="Similarity the semantic suggester needs.")] = semantic_default,
                 keep_off_topic: Annotated[bool, typer.Option(
                     "--keep-off-topic", help="Suggest in sources the learned model finds off topic too.")] = False):
    """Run the suggesters over the sources; store suggestions with who proposed them and why."""
    st = state(ctx)
    project_id, coder_id = st.project_and_coder()
    with st.store.read() as s:
        books = [get_codebook(s, project_id, c).id for c in codebook] if codebook else None
        sources = [get_source(s, project_id, x).id for x in source] if source else None
    with _stage_bar() as bar:
        task = bar.add_task("starting", total=1.0)
        result = suggest.run(st.store, project_id, coder_id, methods=method or None, codebook_ids=books,
                             source_ids=sources, learned_threshold=learned_threshold,
                             semantic_threshold=semantic_threshold, keep_off_topic=keep_off_topic,
                             progress=lambda stage, share: bar.update(task, description=stage, completed=share))
    for note in result.notes:
        err.print(Text(f"note: {note}", style="yellow"))
    by = ", ".join(f"{n} {k}" for k, n in sorted(result.by_suggester.items())) or "none"
    out.print(Text(f"run {result.run_id}: {result.suggestions} suggestions ({by}) over {result.turns} turns "
                   f"({result.skipped_known} already decided or coded, not proposed again)"))


@autocode_app.command("learned")
def autocode_learned(ctx: typer.Context,
                     codebook: Annotated[list[str] | None, typer.Option(help="Codebook(s) (default: all).")] = None):
    """What the learned suggester can learn from the project's coding now: each code's
    cross-validated precision and recall, and what codes with too little coding still need."""
    st = state(ctx)
    with st.reading() as (s, project):
        project_id = project.id
        books = [get_codebook(s, project_id, c).id for c in codebook] if codebook else None
    with _stage_bar() as bar:
        task = bar.add_task("starting", total=1.0)
        trained = suggest.learning_report(st.store, project_id, codebook_ids=books,
                                          progress=lambda stage, share: bar.update(task, description=stage,
                                                                                   completed=share))
    fmt = lambda v: "undefined" if v is None else f"{v:.2f}"  # noqa: E731
    table([{"code": r.path, "coded turns": r.coded_turns, "sources": r.sources,
            "precision": fmt(r.precision) if r.learned else "", "recall": fmt(r.recall) if r.learned else "",
            "note": r.needs or f"{r.proposed} proposed in cross-validation"}
           for r in trained.reports], "what the learned suggester learns (precision and recall cross-validated by source)")
    out.print(Text(f"overall at the chosen threshold {trained.threshold:.2f}: precision {fmt(trained.precision)}, "
                   f"recall {fmt(trained.recall)}, F1 {fmt(trained.f1)} over {trained.training_pairs} turn-code pairs "
                   f"from {trained.sources} coded sources"))
    out.print(Text(relevance.explain(trained.coded_relevance)))
    for note in trained.notes:
        err.print(Text(f"note: {note}", style="yellow"))


@autocode_app.command("review")
def autocode_review(ctx: typer.Context,
                    run: Annotated[int | None, typer.Option(help="Only this run.")] = None,
                    rule: Annotated[str | None, typer.Option(help="Only suggestions of this rule.")] = None,
                    suggester: Annotated[str | None, typer.Option(help="Only this suggester's (rules, learned, semantic, llm).")] = None,
                    by_confidence: Annotated[bool, typer.Option("--by-confidence", help="Most confident first.")] = False,
                    accept: Annotated[list[int] | None, typer.Option(help="Accept these suggestion ids.")] = None,
                    reject: Annotated[list[int] | None, typer.Option(help="Reject these suggestion ids.")] = None,
                    accept_all: Annotated[bool, typer.Option("--accept-all", help="Accept every listed suggestion.")] = False,
                    reject_all: Annotated[bool, typer.Option("--reject-all", help="Reject every listed suggestion.")] = False):
    """The review queue: list pending suggestions, accept or reject them (one by one, by rule, all)."""
    st = state(ctx)
    project_id, coder_id = st.project_and_coder()
    with st.store.read() as s:
        queue = pending(s, project_id, run_id=run, rule=rule, suggester=suggester, by_confidence=by_confidence)
    decisions = [(True, accept or []), (False, reject or [])]
    if accept_all or reject_all:
        decisions.append((accept_all, [r["id"] for r in queue]))
    changed, skipped = 0, []
    with st.store.write("review suggestions", project_id=project_id, coder_id=coder_id) as s:
        for yes, ids in decisions:
            if ids:
                result = review(s, project_id, ids, accept=yes, coder=s.get(Coder, coder_id))
                changed += result.changed
                skipped += result.skipped
    for line in skipped:
        out.print(Text(f"not accepted, still pending: {line}", style="yellow"))
    if changed or skipped:
        out.print(Text(f"{changed} suggestion(s) decided"))
        return
    table([{"id": r["id"], "source": r["source"], "code": r["code"], "by": r["suggester"],
            "score": "" if r["score"] is None else f"{r['score']:.2f}", "why": clip(r["reasons"], 90),
            "text": clip(r["text"], 70)} for r in queue], "pending suggestions",
           empty="No pending suggestions: run `workbench autocode run`.")


@autocode_app.command("evaluate")
def autocode_evaluate(ctx: typer.Context, run: Annotated[int, typer.Argument(help="Run id.")],
                      gold: Annotated[list[str] | None, typer.Option(help="Coder(s) whose manual codings are the truth (default: all manual codings).")] = None,
                      show: Annotated[int, typer.Option(help="How many false positives and misses to list.")] = 10):
    """Precision, recall and F1 of a run against human codings, per code and overall."""
    st = state(ctx)
    with st.reading() as (s, project):
        names = coder_names(s)
        gold_ids = [i for i, n in names.items() if n in gold] if gold else None
        pred, truth, segments, texts = evaluation_inputs(s, project.id, run, gold_ids)
        source_names = dict((r["id"], r["name"]) for r in list_sources(s, project.id))
        went_over = run_source_ids(s, project.id, run)
        judged = judged_sources(s, went_over, gold_ids)
    left_out = [source_names.get(i, str(i)) for i in went_over if i not in judged]
    err.print(Text(f"note: scored on the {len(judged)} source(s) the truth's coders coded or marked finished"
                   + (f"; left out (nobody judged them): {', '.join(left_out)}" if left_out else ""), style="yellow"))
    scores, fps, misses = evaluate(pred, truth, segments, texts)
    fmt = lambda v: "" if v != v else f"{v:.2f}"  # noqa: E731
    table([{k: (fmt(v) if isinstance(v, float) else v) for k, v in r.items()} for r in scores.to_dict("records")],
           f"run {run} against {', '.join(gold) if gold else 'manual codings'}")
    for title, frame in (("false positives", fps), ("misses", misses)):
        table([{"source": source_names.get(r["source_id"], r["source_id"]), "turn": r["turn"] + 1, "code": r["code"],
                 "text": clip(r["text"], 90)} for r in frame.head(show).to_dict("records")],
               f"{title} ({len(frame)})", empty=f"No {title}.")


@autocode_app.command("undo")
def autocode_undo(ctx: typer.Context, run: Annotated[int, typer.Argument(help="Run id.")]):
    """Remove a run in one step: its suggestions and the codings accepted from it."""
    st = state(ctx)
    project_id, _ = st.project_and_coder()
    with st.store.write() as s:
        result = run_store.undo_run(s, project_id, run)
    out.print(Text(f"run {run} undone: {result['suggestions']} suggestions and {result['codings']} codings removed"
                   + (f"; {result['actions_discarded']} review action(s) on them left the undo history"
                      if result['actions_discarded'] else "")))


@autocode_app.command("runs")
def autocode_runs(ctx: typer.Context):
    """Autocoding runs of the project."""
    st = state(ctx)
    with st.reading() as (s, project):
        table(run_store.runs(s, project.id), "autocoding runs", empty="No runs yet: `workbench autocode run`.")
