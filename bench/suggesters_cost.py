"""Benchmark: what assisted coding costs on a large project - bench/load.py's 200 one-hour
interviews (2.3 million words, 50,000 codings by three coders), each transcript's sentences made
its own so that no embedding is shared between transcripts.

In fresh processes (peak memory is each one's own), two cores:
- the first run of every offline suggester (rules, learned, semantic) over every source, which
  embeds each sentence once and stores it;
- the same run again, the embeddings read from the store;
- search by meaning: the first search of a process (the index read from the store) and then
  searches answered from it (median of five queries).
Budgets (issue #12): first run < 5 min, rerun < 1 min, peak memory < 2 GB, a search < 1 s.
Prints a table and writes bench/results/suggesters_cost.json.

Run: .venv/bin/python bench/suggesters_cost.py [--sources 200] [--codings 50000]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

BUDGETS = {"first run of every offline suggester": 300.0, "rerun, embeddings stored": 60.0,
           "first search in a process": None, "search (warm)": 1.0}
PEAK_MB = 2048

# VmHWM, each child's own peak: ru_maxrss carries this parent's size (it builds the project) over
# fork and exec.
PEAK = r"""
def own_peak_mb():
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")) / 1024
"""

RUN = PEAK + r"""
import json, sys, time
sys.path.insert(0, sys.argv[2])
from workbench.autocode import suggest
from workbench.config import LLMSettings
from workbench.db.store import open_store
store = open_store(sys.argv[1])
stages = {}
last = [time.perf_counter(), None]
def progress(stage, share):
    if stage != last[1]:
        now = time.perf_counter()
        if last[1] is not None:
            stages[last[1]] = stages.get(last[1], 0) + now - last[0]
        last[0], last[1] = now, stage
t = time.perf_counter()
r = suggest.run(store, 1, 1, methods=["rules", "learned", "semantic"], llm_settings=LLMSettings(), progress=progress)
seconds = time.perf_counter() - t
stages[last[1]] = stages.get(last[1], 0) + time.perf_counter() - last[0]
print(json.dumps({"seconds": seconds, "peak_mb": own_peak_mb(),
                  "suggestions": r.suggestions, "by": r.by_suggester, "turns": r.turns,
                  "stages": {k: round(v, 1) for k, v in stages.items()}}))
"""

SEARCH = PEAK + r"""
import json, statistics, sys, time
sys.path.insert(0, sys.argv[2])
from workbench.autocode.search import search
from workbench.db.store import open_store
store = open_store(sys.argv[1])
t = time.perf_counter()
search(store, 1, "sharing the cost of a stand at a trade fair")
first = time.perf_counter() - t
warm = []
for q in ["learning from a partner abroad", "the bank would not lend", "an agent on commission in Denmark",
          "what the association did for exporters", "finding staff who speak English"]:
    t = time.perf_counter()
    hits = search(store, 1, q, limit=20).hits
    warm.append(time.perf_counter() - t)
print(json.dumps({"first": first, "warm_median": statistics.median(warm), "warm_max": max(warm),
                  "peak_mb": own_peak_mb()}))
"""


def child(code: str, url: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, url, str(REPO)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sources", type=int, default=200)
    ap.add_argument("--codings", type=int, default=50_000)
    args = ap.parse_args()
    from bench.load import build
    url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='wb-cost-')) / 'cost.db'}"
    t = time.perf_counter()
    info = build(url, args.sources, args.codings, vary=True)
    print(f"built {args.sources} transcripts of {info['words_per_transcript']} words in {time.perf_counter() - t:.0f} s",
          file=sys.stderr)
    first = child(RUN, url)
    print("first run:", first, file=sys.stderr)
    again = child(RUN, url)
    print("rerun:", again, file=sys.stderr)
    searched = child(SEARCH, url)
    rows = [("first run of every offline suggester", first["seconds"], first["peak_mb"]),
            ("rerun, embeddings stored", again["seconds"], again["peak_mb"]),
            ("first search in a process", searched["first"], searched["peak_mb"]),
            ("search (warm)", searched["warm_median"], searched["peak_mb"])]
    print(f"\n{args.sources} transcripts, {args.sources * info['words_per_transcript']:,} words, {args.codings:,} codings")
    print(f"{'measure':<40} {'seconds':>9} {'budget':>8} {'peak MB':>8}")
    for name, seconds, peak in rows:
        budget = BUDGETS[name]
        print(f"{name:<40} {seconds:>9.1f} {('< ' + format(budget, 'g')) if budget else '-':>8} {peak:>8.0f}"
              + ("" if budget is None or seconds < budget else "  OVER"))
    print("stages of the first run (s):", first["stages"])
    print("stages of the rerun (s):", again["stages"])
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "suggesters_cost.json").write_text(json.dumps(
        {"sources": args.sources, "words": args.sources * info["words_per_transcript"], "codings": args.codings,
         "first_run": first, "rerun": again, "search": searched, "budgets_s": BUDGETS, "peak_budget_mb": PEAK_MB},
        indent=2))


if __name__ == "__main__":
    main()
