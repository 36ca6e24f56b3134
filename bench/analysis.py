"""Benchmark: analysis and exports on a large synthetic project in SQLite.

1,000 interviews (the demo transcripts repeated), 1,000 cases in two sectors, the five
shipped codebooks, and 1,000,000 codings. Measures, each in the same run:
- the code x sector crosstab (counted in the database) against the alternative of loading
  every coding as a quote and counting in pandas;
- a DOCX report of 10,000 quotes;
- QDPX export and re-import of the whole project, with peak memory (RSS) of each step
  measured in a child process; the import also by a baseline commit's code (``--baseline``,
  checked out as a temporary git worktree) on the same file, side by side.

Targets from the issues: crosstab < 1 s, 10,000-quote DOCX < 10 s, QDPX import of a million
codings < 20 s and < 1 GB.
Prints a table and writes bench/results/analysis.json.
Run: .venv/bin/python bench/analysis.py [--codings 1000000] [--sources 1000]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def build(url: str, n_sources: int, n_codings: int) -> None:
    import pandas as pd
    from sqlalchemy import insert, select

    from workbench.codebook.format import read_codebook
    from workbench.codebook.storage import store_codebook
    from workbench.corpus.case_table import import_case_table
    from workbench.corpus.importing import add_parsed_source
    from workbench.corpus.parsers import parse_file
    from workbench.corpus.text import sha256
    from workbench.db.models import Code, Coding, CodingOrigin, Segment, Source, utcnow
    from workbench.db.store import open_store
    from workbench.project.coders import get_or_create_coder
    from workbench.project.projects import create_project
    store = open_store(url)
    parsed = [parse_file(p)[0] for p in sorted((REPO / "transcripts").glob("*.txt"))]
    with store.write() as s:
        coders = [get_or_create_coder(s, n).id for n in ("ana", "bea", "carlos")]
        pid = create_project(s, "Large").id
        frame = pd.DataFrame({"case": [f"Firm {i:04d}" for i in range(n_sources)],
                              "sector": ["Textile" if i % 2 else "IT/electronics" for i in range(n_sources)],
                              "employees": [str(10 + i % 240) for i in range(n_sources)]})
        import_case_table(s, pid, frame)
        for path in sorted((REPO / "codebooks").glob("*.yaml")):
            store_codebook(s, pid, read_codebook(path))
    with store.write() as s:
        from workbench.db.models import Case
        case_ids = dict(s.execute(select(Case.name, Case.id).where(Case.project_id == pid)).all())
        for i in range(n_sources):
            p = parsed[i % len(parsed)]
            add_parsed_source(s, pid, p, name=f"interview {i:04d}", file_hash=sha256(f"{i}".encode()),
                              case_id=case_ids[f"Firm {i:04d}"])
        code_ids = list(s.scalars(select(Code.id)))
        sources = list(s.execute(select(Source.id, Segment.start, Segment.end).join(Segment)))
    rng = random.Random(42)
    now = utcnow()
    with store.write() as s:
        seen = set()
        rows = []
        while len(seen) < n_codings:
            sid, a, b = sources[rng.randrange(len(sources))]
            code = code_ids[rng.randrange(len(code_ids))]
            coder = coders[rng.randrange(3)]
            start = a + rng.randrange(max(1, (b - a) // 2))
            end = min(b, start + 20 + rng.randrange(200))
            key = (sid, code, coder, start, end)
            if end <= start or key in seen:
                continue
            seen.add(key)
            rows.append({"source_id": sid, "code_id": code, "coder_id": coder, "start": start, "end": end,
                         "origin": CodingOrigin.manual, "guid": f"{rng.getrandbits(128):032x}"[:8] + "-0000-4000-8000-"
                         + f"{len(seen):012d}", "created_at": now, "updated_at": now})
            if len(rows) == 50_000:
                s.execute(insert(Coding), rows)
                rows = []
        if rows:
            s.execute(insert(Coding), rows)
    store.dispose()


STEP = r"""
import json, os, sys, time
sys.path.insert(0, {repo!r})
from workbench.analysis.crosstab import crosstab
from workbench.exchange.refi.reader import import_qdpx
from workbench.exchange.refi.writer import write_qdpx
from workbench.corpus.cases import case_table
from workbench.db.store import open_store
from workbench.analysis import retrieval          # imported before the clock starts
from workbench.exchange import docx_report, gather
from workbench.project.coders import get_or_create_coder
step, url, arg = sys.argv[1], sys.argv[2], sys.argv[3]
store = open_store(url, migrate=step == "qdpx-import")     # an import goes into a new, empty database
with store.read() as s:                                     # a warm connection, as in the app
    s.execute(__import__("sqlalchemy").text("select 1"))
# Peaks are each process's own (bench/peaks.py): ru_maxrss carries a parent's size over fork and exec.
sys.path.insert(0, {bench!r})
from peaks import ChildPeaks, own_peak_mb
children = ChildPeaks()
t0 = time.perf_counter()
out = {{}}
if step == "crosstab-db":
    with store.read() as s:
        counts = retrieval.coding_counts(s, 1, code_ids=retrieval.codebook_code_ids(s, 1, "Roles of an industrial enterprise association"))
        ct = crosstab(counts, case_table(s, 1), "sector")
    out["codes"] = len(ct.table)
elif step == "crosstab-quotes":
    with store.read() as s:
        quotes = retrieval.coded_quotes(s, 1, code_ids=retrieval.codebook_code_ids(s, 1, "Roles of an industrial enterprise association"))
        ct = crosstab(quotes, case_table(s, 1), "sector")
    out["codes"] = len(ct.table)
elif step == "docx":
    with store.read() as s:
        report = gather.report_input(s, 1, codebook="Information internalization modes")
    report.quotes = report.quotes.head(10_000)
    result = docx_report.write(report, arg)
    out["quotes"] = result.quotes
elif step == "qdpx-export":
    with store.read() as s, open(arg, "wb") as fh:
        write_qdpx(s, 1, fh)
elif step == "qdpx-import":
    with store.write() as s:
        report = import_qdpx(s, open(arg, "rb").read(), arg, coder=get_or_create_coder(s, "importer"))
    out["codings"] = report.codings
out["seconds"] = time.perf_counter() - t0
out["peak_mb"] = own_peak_mb()
out["child_peak_mb"] = children.stop()          # a reading process
print(json.dumps(out))
"""


def step(name: str, url: str, arg: str = "", repo: Path = REPO) -> dict:
    code = STEP.format(repo=str(repo), bench=str(REPO / "bench"))
    # The step's own processes (a QDPX import's reading process runs `python -m workbench...`)
    # must load the same commit's code: a baseline's parent with this checkout's child hung.
    env = {**os.environ, "PYTHONPATH": str(repo)}
    done = subprocess.run([sys.executable, "-c", code, name, url, arg], capture_output=True, text=True,
                          cwd=repo, env=env)
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--codings", type=int, default=1_000_000)
    parser.add_argument("--sources", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", nargs="*", default=["f0aae08", "9722958"],
                        help="Commits whose QDPX import runs side by side with this one (f0aae08: the "
                             "tree-building reader; 9722958: the streamed reader in a child process, "
                             "codings passed row by row); none to skip.")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    url = f"sqlite:///{tmp / 'large.db'}"
    t0 = time.perf_counter()
    build(url, args.sources, args.codings)
    build_s = time.perf_counter() - t0
    import statistics
    results = {"sources": args.sources, "codings": args.codings, "build_seconds": round(build_s, 1)}
    for name in ("crosstab-db", "crosstab-quotes", "docx"):
        runs = [step(name, url, str(tmp / "report.docx")) for _ in range(args.runs if name != "crosstab-quotes" else 1)]
        results[name] = {"seconds_median": round(statistics.median(r["seconds"] for r in runs), 2),
                         "peak_mb": round(max(r["peak_mb"] for r in runs))}
    exp = step("qdpx-export", url, str(tmp / "large.qdpx"))
    results["qdpx-export"] = {"seconds": round(exp["seconds"], 1), "peak_mb": round(exp["peak_mb"]),
                              "file_mb": round((tmp / "large.qdpx").stat().st_size / 1e6, 1)}
    imp = step("qdpx-import", f"sqlite:///{tmp / 'imported.db'}", str(tmp / "large.qdpx"))
    results["qdpx-import"] = {"seconds": round(imp["seconds"], 1), "peak_mb": round(imp["peak_mb"]),
                              "child_peak_mb": round(imp["child_peak_mb"]), "codings": imp["codings"]}
    for commit in args.baseline:
        # The same file imported by a baseline commit's code, checked out beside this one.
        where = tmp / f"baseline-{commit}"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(where), commit],
                       check=True, capture_output=True)
        try:
            old = step("qdpx-import", f"sqlite:///{tmp / f'imported-{commit}.db'}", str(tmp / "large.qdpx"),
                       repo=where)
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(where)], capture_output=True)
        results.setdefault("qdpx-import-baselines", []).append(
            {"commit": commit, "seconds": round(old["seconds"], 1), "peak_mb": round(old["peak_mb"]),
             "child_peak_mb": round(old["child_peak_mb"]), "codings": old["codings"]})
    ratio = results["crosstab-quotes"]["seconds_median"] / max(results["crosstab-db"]["seconds_median"], 1e-9)
    rows = [("project", f"{args.sources:,} interviews, {args.codings:,} codings (built in {build_s:.0f} s)"),
            ("sector crosstab, counted in SQL (app, CLI)", f"{results['crosstab-db']['seconds_median']} s, "
             f"{results['crosstab-db']['peak_mb']} MB peak"),
            ("sector crosstab, every coding loaded (alternative)", f"{results['crosstab-quotes']['seconds_median']} s, "
             f"{results['crosstab-quotes']['peak_mb']} MB peak ({ratio:.0f}x slower)"),
            ("DOCX report, 10,000 quotes", f"{results['docx']['seconds_median']} s, {results['docx']['peak_mb']} MB peak"),
            ("QDPX export", f"{results['qdpx-export']['seconds']} s, {results['qdpx-export']['peak_mb']} MB peak, "
             f"{results['qdpx-export']['file_mb']} MB file"),
            ("QDPX import (streamed, read in a child process)", f"{results['qdpx-import']['seconds']} s, "
             f"{results['qdpx-import']['peak_mb']} MB peak (its reading process: "
             f"{results['qdpx-import']['child_peak_mb']} MB), {results['qdpx-import']['codings']:,} codings")]
    for old in results.get("qdpx-import-baselines", []):
        rows.append((f"QDPX import at {old['commit']}",
                     f"{old['seconds']} s, {old['peak_mb']} MB peak"
                     + (f" (+{old['child_peak_mb']} MB its reading process)" if old["child_peak_mb"] else "") + " "
                     f"({old['seconds'] / max(results['qdpx-import']['seconds'], 1e-9):.1f}x the time, "
                     f"{old['peak_mb'] / max(results['qdpx-import']['peak_mb'], 1):.1f}x the memory)"))
    width = max(len(r[0]) for r in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "analysis.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
