"""The words of the sources: text search with keyword in context (code every hit at once), search
by meaning (``--meaning``), and word frequencies."""
from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from workbench.analysis.text_search import code_hits, text_search
from workbench.analysis.word_frequencies import word_frequencies
from workbench.cli.assist import meaning_search
from workbench.cli.base import app, err, out, state, table
from workbench.codebook.lookup import code_path, find_code
from workbench.corpus.sources import get_source
from workbench.db.models import Coder
from workbench.errors import NotFound

Sources = Annotated[list[str] | None, typer.Option("--source", help="Only this source (repeatable).")]
Respondents = Annotated[bool, typer.Option("--respondents", help="Only interviewees' turns.")]


@app.command("search")
def search_command(ctx: typer.Context,
                   query: Annotated[str, typer.Argument(help='Words, "quoted phrases", prefix* (any of them).')],
                   meaning: Annotated[bool, typer.Option("--meaning", help="Rank turns by closeness in meaning "
                                                                            "instead (English sources).")] = False,
                   limit: Annotated[int, typer.Option(min=1, max=100_000, help="Hits to show.")] = 50,
                   source: Sources = None, respondents: Respondents = False,
                   code: Annotated[str | None, typer.Option(help="Code hits with this code (--all or --hit).")] = None,
                   all_hits: Annotated[bool, typer.Option("--all", help="Code every hit (with --code).")] = False,
                   hit: Annotated[list[int] | None, typer.Option(help="Hit number(s) to code (with --code).")] = None,
                   turn: Annotated[bool, typer.Option("--turn", help="Code the whole turn of each hit, not "
                                                                     "only the words found.")] = False,
                   sentence: Annotated[bool, typer.Option("--sentence", help="With --meaning: code the closest "
                                                                             "sentence, not the turn.")] = False):
    """Every occurrence of words or phrases in the sources, keyword in context (case and accents
    ignored, whole words; prefix* for any ending); code the hits with --code and --all or --hit N."""
    if meaning:
        meaning_search(ctx, query, limit=min(limit, 500), source=source, respondents=respondents, code=code,
                       hit=hit, sentence=sentence)
        return
    st = state(ctx)
    project_id, coder_id = st.project_and_coder()
    with st.store.read() as s:
        ids = [get_source(s, project_id, x).id for x in source] if source else None
        result = text_search(s, project_id, query, source_ids=ids, roles=["interviewee"] if respondents else None)
    rows = []
    for i, h in enumerate(result.hits[:limit], 1):
        left, match, right = result.kwic(h, width=45)
        rows.append({"hit": i, "source": h.source, "turn": h.turn + 1, "speaker": h.speaker,
                     "left": left, "found": match, "right": right})
    table(rows, result.summary(), empty=f"No hits for {query!r} ({result.turns_searched:,} turns searched).")
    if len(result.hits) > limit:
        err.print(Text(f"note: showing {limit} of {len(result.hits)} hits (--limit N shows more)", style="yellow"))
    if not code:
        if result.hits:
            out.print(Text("code them: workbench search ... --code CODE --all (or --hit N; --turn for whole turns)"))
        return
    if all_hits == bool(hit):
        raise NotFound("say which hits to code: --all, or --hit N (repeatable)")
    for n in hit or []:
        if not 1 <= n <= len(result.hits):
            raise NotFound(f"there is no hit {n} (1-{len(result.hits)})")
    chosen = result.hits if all_hits else [result.hits[n - 1] for n in hit]
    unit = "turn" if turn else "hit"
    with st.store.write(f"code {len(chosen)} search hit(s) for {query!r}", project_id=project_id,
                        coder_id=coder_id) as s:
        c = find_code(s, project_id, code)
        created, existing = code_hits(s, project_id, chosen, c.id, s.get(Coder, coder_id), unit=unit)
        name = "/".join(code_path(c))
    out.print(Text(f"coded {created} {'turn' if turn else 'hit'}(s) with {name!r}"
                   + (f"; {existing} already had it" if existing else "") + " (workbench undo takes it back)"))


@app.command("words")
def words_command(ctx: typer.Context,
                  top: Annotated[int, typer.Option(min=1, max=10_000, help="How many words.")] = 30,
                  source: Sources = None, respondents: Respondents = False,
                  exclude: Annotated[list[str] | None, typer.Option(help="Leave this word out (repeatable).")] = None,
                  keep_stop_words: Annotated[bool, typer.Option("--keep-stop-words", help="Count 'the', 'que'... "
                                                                                          "too.")] = False,
                  as_written: Annotated[bool, typer.Option("--as-written", help="Count forms apart (no lemmas: "
                                                                                "'companies' is not 'company').")] = False,
                  min_length: Annotated[int, typer.Option(min=1, help="Shortest word counted (letters).")] = 2):
    """The most frequent words of the sources, without stop words, forms merged by lemma."""
    st = state(ctx)
    with st.reading() as (s, project):
        ids = [get_source(s, project.id, x).id for x in source] if source else None
        result = word_frequencies(s, project.id, source_ids=ids, roles=["interviewee"] if respondents else None,
                                  lemmas=not as_written, drop_stop_words=not keep_stop_words,
                                  exclude=exclude or (), min_length=min_length, limit=top)
    table(result.table.to_dict("records"),
          f"words of {result.sources} source(s), {result.total_words:,} words in all ({', '.join(result.languages)})",
          empty="No words: nothing imported yet, or every word was left out.")
    for note in result.notes:
        err.print(Text("note: " + note, style="yellow"))
