"""Benchmark: autocoding throughput with every shipped codebook's rules.

A corpus of at least one million words is made from the demo interviews' turns, shuffled and
recombined (English and Portuguese), and matched with the rules of all five codebooks: lemma
phrase matching, token patterns and regexes, sentence units, role restrictions. Each corpus
size runs in its own process so that its peak memory (RSS) is its own; time is the median of
several runs. Prints a table (words per second per core, peak MB, how time grows from 100k to
1M words) and writes bench/results/autocode.json. Target: 300,000 words/s per core, linear.

Then a whole run as a researcher starts it (``workbench.autocode.runs.run``): a project of one-hour interviews
(bench/load.py's builder, 2.3 million words at 200 sources) - reading the turns, loading the
pipelines, matching, storing the suggestions - timed once in a fresh process.

Run: .venv/bin/python bench/autocode.py [--sizes 100000,250000,500000,1000000] [--runs 3]
     [--project-sources 200] (0 leaves the whole run out)
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

CHILD = r"""
import json, random, resource, sys, time
sys.path.insert(0, {repo!r})
from pathlib import Path
from workbench.autocode.engine import Turn, compile_rules, match_turns
from workbench.autocode.runs import rules_of_files
from workbench.corpus.parsers import parse_file
from workbench.corpus.language import guess_language

size, runs = int(sys.argv[1]), int(sys.argv[2])
rules = rules_of_files(sorted(Path({repo!r}, "codebooks").glob("*.yaml")))
pool = []
for path in sorted(Path({repo!r}, "transcripts").glob("*.txt")):
    parsed, _ = parse_file(path)
    lang = guess_language(parsed.text) or "en"
    roles = {{"Interviewer": "interviewer", "Entrevistador": "interviewer", "Entrevistadora": "interviewer"}}
    pool += [(seg.text, roles.get(seg.speaker, "interviewee"), lang) for seg in parsed.segments]
rng = random.Random(7)
turns, words = [], 0
while words < size:                       # recombined turns: the same language, new order
    text, role, lang = pool[rng.randrange(len(pool))]
    turns.append(Turn(len(turns) // 40, 0, text, role, lang))
    words += len(text.split())
compiled = {{lang: compile_rules(rules, lang) for lang in {{t.language for t in turns}}}}
times, found = [], 0
for _ in range(runs):
    t0 = time.perf_counter()
    found = 0
    for lang, c in compiled.items():
        found += sum(1 for _ in match_turns([t for t in turns if t.language == lang], c))
    times.append(time.perf_counter() - t0)
print(json.dumps({{"words": words, "turns": len(turns), "rules": len(rules), "suggestions": found,
                  "seconds": times, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


WHOLE_RUN = r"""
import json, resource, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, {repo!r}); sys.path.insert(0, {bench!r})
from load import build
from workbench.autocode.runs import run
from workbench.project.coders import get_or_create_coder
from workbench.db.store import open_store
url = "sqlite:///" + str(Path(tempfile.mkdtemp()) / "run.db")
info = build(url, int(sys.argv[1]), 1000)
store = open_store(url)
with store.write() as s:
    coder = get_or_create_coder(s, "autocoder").id
t = time.perf_counter()
result = run(store, info["project_id"], coder)
seconds = time.perf_counter() - t
print(json.dumps({{"words": info["words_per_transcript"] * int(sys.argv[1]), "turns": result.turns,
                  "suggestions": result.suggestions, "seconds": seconds,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def whole_run(sources: int) -> dict:
    """``workbench.autocode.runs.run`` over a built project, in a process of its own."""
    done = subprocess.run([sys.executable, "-c", WHOLE_RUN.format(repo=str(REPO), bench=str(REPO / "bench")),
                           str(sources)], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    r = json.loads(done.stdout.strip().splitlines()[-1])
    r["words_per_second"] = r["words"] / r["seconds"]
    return r


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,250000,500000,1000000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--project-sources", type=int, default=200)
    args = parser.parse_args()
    rows = []
    for size in map(int, args.sizes.split(",")):
        done = subprocess.run([sys.executable, "-c", CHILD.format(repo=str(REPO)), str(size), str(args.runs)],
                              capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(done.stderr[-3000:])
        r = json.loads(done.stdout.strip().splitlines()[-1])
        r["median_seconds"] = statistics.median(r["seconds"])
        r["words_per_second"] = r["words"] / r["median_seconds"]
        rows.append(r)
    base = rows[0]
    print(f"{'words':>10} {'turns':>7} {'rules':>6} {'suggestions':>12} {'seconds':>8} {'words/s':>10} "
          f"{'peak MB':>8} {'time vs first':>14}")
    for r in rows:
        growth = (r["median_seconds"] / base["median_seconds"]) / (r["words"] / base["words"])
        r["time_growth_per_word_vs_first"] = round(growth, 2)
        print(f"{r['words']:>10,} {r['turns']:>7,} {r['rules']:>6} {r['suggestions']:>12,} {r['median_seconds']:>8.2f} "
              f"{r['words_per_second']:>10,.0f} {r['peak_mb']:>8.0f} {growth:>13.2f}x")
    result = {"matching": rows}
    if args.project_sources:
        w = whole_run(args.project_sources)
        print(f"\nwhole run (read turns, load pipelines, match, store): {w['words']:,} words, {w['turns']:,} turns, "
              f"{w['suggestions']:,} suggestions in {w['seconds']:.1f} s = {w['words_per_second']:,.0f} words/s, "
              f"peak {w['peak_mb']:.0f} MB")
        result["whole_run"] = w
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "autocode.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
