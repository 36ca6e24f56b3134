"""Benchmark: a large project under everyday use - 200 one-hour transcripts, 50,000 codings.

Builds the project in SQLite (each transcript is the six demo interviews in one, about 11,500
words: a long one-hour interview), with 200 cases in two sectors, the five shipped codebooks
and 50,000 codings by three coders. Then measures, medians of several runs, against budgets:

- opening the project (a fresh process: engine, the damage check ``quick_check``, schema check);
- the coding page's first render of a one-hour transcript (AppTest, the real page);
- applying a code through that page (selection injected as the browser sends it, then "Apply");
- applying a code through the library alone;
- the code x sector crosstab, counted in the database;
- a DOCX report of one code (gather its quotes, write the file);
- the analysis and export pages' first render;
- text search (every hit of a word, of a prefix with a phrase) and word frequencies (the first
  count in a process, which loads spaCy's stop words and lemma tables, and the counts after it);
- every page rendered again after its first load (what a reader waits for on each click).

Prints a table and writes bench/results/load.json (``--demo``: the demo project as the app builds
it, page renders and search only, bench/results/load-demo.json).
Run: .venv/bin/python bench/load.py [--sources 200] [--codings 50000] [--runs 5] [--demo]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# Seconds: what a researcher should never have to wait longer than on a 2-core laptop.
BUDGETS = {
    "open the project (fresh process)": 3.0,
    "coding page, first render of a one-hour transcript": 3.0,
    "apply a code through the coding page": 1.5,
    "apply a code (library call)": 0.2,
    "code x sector crosstab": 1.0,
    "DOCX report of one code": 10.0,
    "analysis page, first render": 5.0,
    "export page, first render": 5.0,
    "text search: a word (fair)": 1.0,
    "text search: a prefix and a phrase (export* \"trade fair\")": 1.0,
    "word frequencies, first count in the process": 10.0,
    "word frequencies, after the first": 1.0,
}
PAGES = ["overview", "sources", "coding", "codebooks", "analysis", "retrieval", "search", "agreement",
         "autocode", "memos", "export"]
for _page in PAGES:
    BUDGETS[f"{_page} page, rendered again"] = 1.0


def build(url: str, n_sources: int, n_codings: int, *, vary: bool = False) -> dict:
    """The load project; ``vary`` makes every transcript's sentences its own (a number in each), so
    that nothing computed per distinct sentence (embeddings) is shared between transcripts."""
    import pandas as pd
    from sqlalchemy import insert, select, update

    from workbench.codebook.format import read_codebook
    from workbench.codebook.storage import store_codebook
    from workbench.corpus.case_table import import_case_table
    from workbench.corpus.importing import add_parsed_source
    from workbench.corpus.parsers import parse_bytes
    from workbench.corpus.text import sha256
    from workbench.db.models import Case, Code, Coding, CodingOrigin, Segment, Source, Speaker, SpeakerRole, utcnow
    from workbench.db.store import open_store
    from workbench.project.coders import get_or_create_coder
    from workbench.project.projects import create_project
    hour = "\n\n".join(p.read_text(encoding="utf-8") for p in sorted((REPO / "transcripts").glob("*.txt")))
    parsed = parse_bytes(hour.encode("utf-8"), "hour.txt")
    store = open_store(url)
    with store.write() as s:
        coders = [get_or_create_coder(s, n).id for n in ("ana", "bea", "carlos")]
        pid = create_project(s, "Load").id
        frame = pd.DataFrame({"case": [f"Firm {i:03d}" for i in range(n_sources)],
                              "sector": ["Textile" if i % 2 else "IT/electronics" for i in range(n_sources)]})
        import_case_table(s, pid, frame)
        for path in sorted((REPO / "codebooks").glob("*.yaml")):
            store_codebook(s, pid, read_codebook(path))
    with store.write() as s:
        case_ids = dict(s.execute(select(Case.name, Case.id).where(Case.project_id == pid)).all())
        for i in range(n_sources):
            own = parse_bytes(re.sub(r"([.!?])(\s)", rf" ({i})\1\2", hour).encode("utf-8"), "hour.txt") if vary else parsed
            add_parsed_source(s, pid, own, name=f"interview {i:03d}", file_hash=sha256(f"{i}".encode()),
                              case_id=case_ids[f"Firm {i:03d}"])
        # The hour is six interviews in one: six respondents by name, whom the import leaves without
        # a role (only a two-party interview's respondent is placed); set once, as in the Speakers tab.
        s.execute(update(Speaker).where(Speaker.role.is_(None)).values(role=SpeakerRole.interviewee))
        code_ids = list(s.scalars(select(Code.id)))
        turns = list(s.execute(select(Source.id, Segment.start, Segment.end).join(Segment)))
    rng = random.Random(7)
    now = utcnow()
    seen, rows = set(), []
    while len(seen) < n_codings:
        sid, a, b = turns[rng.randrange(len(turns))]
        code, coder = code_ids[rng.randrange(len(code_ids))], coders[rng.randrange(3)]
        start = a + rng.randrange(max(1, (b - a) // 2))
        end = min(b, start + 20 + rng.randrange(300))
        if end <= start or (sid, code, coder, start, end) in seen:
            continue
        seen.add((sid, code, coder, start, end))
        rows.append({"source_id": sid, "code_id": code, "coder_id": coder, "start": start, "end": end,
                     "origin": CodingOrigin.manual, "guid": f"00000000-0000-4000-8000-{len(seen):012d}",
                     "created_at": now, "updated_at": now})
    with store.write() as s:
        s.execute(insert(Coding), rows)
    store.dispose()
    words = len(parsed.text.split())
    return dict(words_per_transcript=words, turns_per_transcript=len(parsed.segments), project_id=pid)


OPEN = "import sys, time; t=time.perf_counter(); from workbench.db.store import open_store; " \
       "s=open_store(sys.argv[1]); s.dispose(); print(time.perf_counter()-t)"


def coding_page(source_id: int):
    from workbench.ui.pages import coding as page
    from workbench.ui.state import workspace
    page.render(workspace())


def other_page(name: str):
    import importlib

    from workbench.ui.state import workspace
    importlib.import_module(f"workbench.ui.pages.{name}").render(workspace())


def search_and_pages(results: dict, store, project_id: int, runs: int) -> None:
    """The text search, word frequency and page re-render cells (both on the load project and
    on the demo)."""
    from streamlit.testing.v1 import AppTest

    from workbench.analysis.text_search import text_search
    from workbench.analysis.word_frequencies import word_frequencies
    for name, query in (("text search: a word (fair)", "fair"),
                        ("text search: a prefix and a phrase (export* \"trade fair\")", 'export* "trade fair"')):
        def find(_i, query=query):
            with store.read() as s:
                assert text_search(s, project_id, query).hits
        results[name] = timed(find, runs)

    def words(_i):
        with store.read() as s:
            assert not word_frequencies(s, project_id, roles=["interviewee"]).table.empty
    results["word frequencies, first count in the process"] = timed(words, 1)
    results["word frequencies, after the first"] = timed(words, runs)
    for page in PAGES:
        at = AppTest.from_function(other_page, args=(page,), default_timeout=300)
        at.run()                                               # the first load: caches, imports
        assert not at.exception, (page, at.exception)

        def again(_i, at=at):
            at.run()
            assert not at.exception
        results[f"{page} page, rendered again"] = timed(again, runs)


def report(results: dict, extra: dict, path: Path, title: str) -> None:
    rows = []
    for name, times in results.items():
        med = statistics.median(times)
        rows.append(dict(step=name, median_s=round(med, 3), best_s=round(min(times), 3), budget_s=BUDGETS[name],
                         within_budget=med <= BUDGETS[name], runs=[round(t, 3) for t in times]))
    width = max(len(r["step"]) for r in rows)
    print(title)
    print(f"{'step':<{width}}  median s  best s  budget s  ok")
    for r in rows:
        print(f"{r['step']:<{width}}  {r['median_s']:>8.3f}  {r['best_s']:>6.3f}  {r['budget_s']:>8.1f}  "
              f"{'yes' if r['within_budget'] else 'NO'}")
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps({**extra, "steps": rows}, indent=2))
    print(f"wrote {path}")


def demo_only(runs: int) -> None:
    """The demo project as the app builds it: search, words and every page rendered again."""
    import logging

    from workbench.config import load_settings
    from workbench.db.store import open_store
    from workbench.demo import build_demo
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    tmp = Path(tempfile.mkdtemp(prefix="wb-demo-"))
    url = f"sqlite:///{tmp / 'demo.db'}"
    os.environ.update(WORKBENCH_DATABASE_URL=url, WORKBENCH_CODER="ana", WORKBENCH_LOCAL_WORKER="0",
                      WORKBENCH_EXPORTS_DIR=str(tmp / "exports"))
    store = open_store(url)
    project_id = build_demo(store, load_settings())["project_id"]
    results: dict[str, list[float]] = {}
    search_and_pages(results, store, project_id, runs)
    store.dispose()
    report(results, {"project": "demo"}, REPO / "bench" / "results" / "load-demo.json",
           "the demo project (six interviews, 746 codings by two coders)")


def timed(fn, runs: int) -> list[float]:
    out = []
    for i in range(runs):
        t = time.perf_counter()
        fn(i)
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=200)
    parser.add_argument("--codings", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--demo", action="store_true", help="The demo project only (search, words, pages).")
    args = parser.parse_args()
    if args.demo:
        demo_only(args.runs)
        return

    import logging

    from sqlalchemy import select
    from streamlit.testing.v1 import AppTest

    from workbench.analysis import retrieval
    from workbench.analysis.crosstab import crosstab as tabulate
    from workbench.coding.codings import apply_code
    from workbench.corpus.cases import case_table
    from workbench.corpus.offsets import cp_to_u16
    from workbench.db.models import Code, Coder, Source
    from workbench.db.store import open_store
    from workbench.exchange import docx_report, gather
    logging.getLogger("streamlit").setLevel(logging.ERROR)     # "missing ScriptRunContext" in bare mode
    tmp = Path(tempfile.mkdtemp(prefix="wb-load-"))
    db = tmp / "load.db"
    url = f"sqlite:///{db}"
    os.environ.update(WORKBENCH_DATABASE_URL=url, WORKBENCH_CODER="ana", WORKBENCH_LOCAL_WORKER="0",
                      WORKBENCH_EXPORTS_DIR=str(tmp / "exports"))
    t0 = time.perf_counter()
    info = build(url, args.sources, args.codings)
    build_s = time.perf_counter() - t0
    store = open_store(url)
    with store.read() as s:
        source = s.scalar(select(Source).where(Source.name == "interview 100"))
        source_id = source.id
        seg = source.segments[40]
        seg_idx, seg_start = seg.idx, seg.start
        turn = source.text[seg.start:seg.end]
        code_ids = list(s.scalars(select(Code.id).order_by(Code.id)))
        # A theme with subcodes, so that the one-code report gathers a subtree.
        parents = select(Code.parent_id).where(Code.parent_id.isnot(None))
        theme = s.scalar(select(Code).where(Code.id.in_(parents)).order_by(Code.id)) or s.get(Code, code_ids[0])
        theme_id, theme_name = theme.id, theme.name
    results: dict[str, list[float]] = {}

    results["open the project (fresh process)"] = [
        float(subprocess.run([sys.executable, "-c", OPEN, url], capture_output=True, text=True, check=True,
                             cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}).stdout) for _ in range(args.runs)]

    def first_render(_i):
        at = AppTest.from_function(coding_page, args=(source_id,), default_timeout=300)
        at.session_state["coding_source"] = source_id
        at.run()
        assert not at.exception, at.exception
    results["coding page, first render of a one-hour transcript"] = timed(first_render, args.runs)

    page_clicks = []
    for i in range(args.runs):
        at = AppTest.from_function(coding_page, args=(source_id,), default_timeout=300)
        at.session_state["coding_source"] = source_id
        at.session_state[f"coder-{source_id}"] = {"selection": {
            "turn_start": seg_idx, "off_start": i, "turn_end": seg_idx,
            "off_end": cp_to_u16(turn, min(50 + i, len(turn))), "text": turn[i:50 + i], "n": i + 1}}
        at.run()
        at.multiselect(key=f"coder-{source_id}:pick").set_value([code_ids[(i * 7) % len(code_ids)]])
        button = at.button[[b.label for b in at.button].index("Apply codes")]
        t = time.perf_counter()
        button.click().run()
        page_clicks.append(time.perf_counter() - t)
        assert not at.exception, at.exception
    results["apply a code through the coding page"] = page_clicks

    def library_apply(i):
        with store.write("bench", project_id=1, coder_id=1) as s:
            apply_code(s, s.get(Source, source_id), code_ids[(i * 11) % len(code_ids)], s.get(Coder, 1),
                       seg_start + 100 + i, seg_start + 140 + i)
    results["apply a code (library call)"] = timed(library_apply, args.runs)

    def crosstab(_i):
        with store.read() as s:
            counts = retrieval.coding_counts(s, 1)
            tabulate(counts, case_table(s, 1), "sector", sources=retrieval.source_cases(s, 1))
    results["code x sector crosstab"] = timed(crosstab, args.runs)

    quotes_in_report = []

    def docx(i):
        with store.read() as s:
            data = gather.report_input(s, 1, code=theme_id, by="sector")
        quotes_in_report.append(docx_report.write(data, tmp / f"theme-{i}.docx").quotes)
    results["DOCX report of one code"] = timed(docx, args.runs)

    for name, module in (("analysis page, first render", "analysis"), ("export page, first render", "export")):
        def render(_i, module=module):
            at = AppTest.from_function(other_page, args=(module,), default_timeout=300).run()
            assert not at.exception, at.exception
        results[name] = timed(render, args.runs)
    search_and_pages(results, store, 1, args.runs)
    store.dispose()
    extra = dict(sources=args.sources, codings=args.codings, build_s=round(build_s, 1),
                 database_mb=round(db.stat().st_size / 2**20, 1), quotes_in_one_code_report=quotes_in_report[0],
                 theme=theme_name, **info)
    report(results, extra, REPO / "bench" / "results" / "load.json",
           f"{args.sources} one-hour transcripts ({info['words_per_transcript']:,} words each), {args.codings:,} "
           f"codings; database {extra['database_mb']} MB, built in {build_s:.0f} s "
           f"(the one-code report held {quotes_in_report[0]} quotes of {theme_name!r} and its subcodes)")


if __name__ == "__main__":
    main()
