"""Search by meaning (``workbench search --meaning``), and the LLM endpoint the LLM suggester uses."""
from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from workbench.autocode.llm import Client, check_answer, codebook_prompt
from workbench.autocode.search import search
from workbench.autocode.signals import CodeTexts
from workbench.cli.base import app, clip, err, out, state, sub_app, table
from workbench.codebook.lookup import code_path, find_code
from workbench.coding.codings import apply_code
from workbench.config import LLMSettings, load_llm_settings, save_llm_settings
from workbench.corpus.sources import get_source
from workbench.db.models import Coder
from workbench.errors import NotFound


def meaning_search(ctx: typer.Context, query: str, *, limit: int, source: list[str] | None, respondents: bool,
                   code: str | None, hit: list[int] | None, sentence: bool) -> None:
    """``workbench search --meaning``: turns ranked by closeness in meaning to QUERY (English
    sources); code hits with --code/--hit (the whole turn, or its closest sentence)."""
    st = state(ctx)
    project_id, coder_id = st.project_and_coder()
    with st.store.read() as s:
        sources = [get_source(s, project_id, x).id for x in source] if source else None
    result = search(st.store, project_id, query, limit=limit, source_ids=sources,
                    roles=["interviewee"] if respondents else None)
    if result.left_out:
        err.print(Text(f"note: not searched by meaning (language not covered by the model): "
                       f"{', '.join(result.left_out)}", style="yellow"))
    rows = [{"hit": i, "score": f"{h.score:.2f}", "source": h.source, "turn": f"{h.start}-{h.end}",
             "closest sentence": clip(h.text[h.sentence_start - h.start:h.sentence_end - h.start], 100)}
            for i, h in enumerate(result.hits, 1)]
    table(rows, f"closest in meaning to {query!r} ({result.searched_turns} turns searched)", empty="Nothing to search.")
    if not code:
        if result.hits:
            out.print(Text("code a hit: workbench search ... --code CODE --hit N  (or workbench code SOURCE START END CODE)"))
        return
    chosen = hit or []
    if not chosen:
        raise NotFound("say which hits to code with --hit N")
    with st.store.write(f"code search hits for {query!r}", project_id=project_id, coder_id=coder_id) as s:
        c = find_code(s, project_id, code)
        coder = s.get(Coder, coder_id)
        for n in chosen:
            if not 1 <= n <= len(result.hits):
                raise NotFound(f"there is no hit {n} (1-{len(result.hits)})")
            h = result.hits[n - 1]
            a, b = (h.sentence_start, h.sentence_end) if sentence else (h.start, h.end)
            coding, created = apply_code(s, get_source(s, project_id, str(h.source_id)), c.id, coder, a, b)
            out.print(Text(f"{'coded' if created else 'already coded'} hit {n} [{a}, {b}) of {h.source!r} with "
                           f"{'/'.join(code_path(c))!r} (coding {coding.id})"))


llm_app = sub_app("The LLM endpoint of the LLM suggester (any OpenAI-compatible server; none unless set).")
app.add_typer(llm_app, name="llm")


@llm_app.command("show")
def llm_show(ctx: typer.Context):
    """The endpoint in use (the key is never printed)."""
    cfg = load_llm_settings()
    if not cfg.configured:
        out.print(Text("no LLM endpoint configured: nothing leaves this machine. Set one with `workbench llm set`."))
        return
    out.print(Text(f"url {cfg.url}, model {cfg.model}, key {'set' if cfg.api_key else 'none'}, timeout {cfg.timeout:g} s"))


@llm_app.command("set")
def llm_set(ctx: typer.Context, url: Annotated[str, typer.Option(help="Base URL, e.g. http://127.0.0.1:11434/v1")],
            model: Annotated[str, typer.Option(help="Model name as the server knows it.")],
            api_key: Annotated[str, typer.Option(help="API key (stored readable by you alone).")] = "",
            timeout: Annotated[float, typer.Option(min=1.0, help="Seconds to wait for an answer.")] = 120.0):
    """Keep an endpoint for the LLM suggester (environment variables WORKBENCH_LLM_* win over it)."""
    path = save_llm_settings(LLMSettings(url=url.strip(), model=model.strip(), api_key=api_key, timeout=timeout))
    out.print(Text(f"saved to {path}"))


@llm_app.command("test")
def llm_test(ctx: typer.Context):
    """Ask the endpoint one tiny question and check the answer's form."""
    cfg = load_llm_settings()
    if not cfg.configured:
        raise NotFound("no LLM endpoint configured (workbench llm set)")
    client = Client(cfg)
    try:
        probe = CodeTexts(0, 0, "Weather", "Weather", ["Talk about the weather."], [], ["definition"])
        turn = "It rained all week, so we stayed in."
        answer = client.chat(codebook_prompt([probe], turn, None))
    finally:
        client.close()
    checked = check_answer(answer, [probe], turn)
    out.print(Text(f"{cfg.model} at {cfg.url} answered: {clip(answer, 200)!r}"))
    out.print(Text(f"{len(checked.items)} item(s) accepted, {len(checked.refused)} refused"
                   + "".join(f"\n  refused: {r}" for r in checked.refused)))
