"""Benchmark: autocoding throughput with every shipped codebook's rules.

A corpus of at least one million words is made from the demo interviews' turns, shuffled and
recombined (English and Portuguese), and matched with the rules of all five codebooks: lemma
phrase matching, token patterns and regexes, sentence units, role restrictions. Each corpus
size runs in its own process so that its peak memory (RSS) is its own; time is the median of
several runs. Prints a table (words per second per core, peak MB, how time grows from 100k to
1M words) and writes bench/results/autocode.json. Target: 300,000 words/s per core, linear.

Run: .venv/bin/python bench/autocode.py [--sizes 100000,250000,500000,1000000] [--runs 3]
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
from workbench.autocode import Turn, compile_rules, match_turns
from workbench.autocode_rules import rules_of_files
from workbench.sources import parse_file, guess_language

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,250000,500000,1000000")
    parser.add_argument("--runs", type=int, default=3)
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
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "autocode.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
