"""Benchmark: inter-coder agreement on bench/load.py's project (200 one-hour interviews, 2.3 million
words, 50,000 codings by three coders).

Measures, in one run, the agreement of two coders over every code, by character, turn and
source, as the CLI and the app compute it (reading the codings and turns included), against the
budget of 5 s for characters. With ``--baseline PATH`` (a checkout of an earlier version), the
earlier implementation runs side by side on the first ``--slice`` interviews - the whole project
would take it hours - and on the same slice the new one, so the ratio is measured, not guessed.

Prints a table and writes bench/results/agreement.json.
Run: .venv/bin/python bench/agreement.py [--sources 200] [--codings 50000] [--runs 3]
     [--baseline ../baseline --slice 5]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

BUDGET_S = 5.0

NEW = r"""
import json, sys, time
sys.path.insert(0, {repo!r})
from workbench.analysis.agreement_query import project_agreement
from workbench.db.store import open_store
url, unit, runs, limit = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
store = open_store(url, migrate=False)
times = []
for _ in range(runs):
    t = time.perf_counter()
    with store.read() as s:
        if limit:
            from workbench.analysis import agreement as mod
            from workbench.analysis.retrieval import coding_spans, segments_frame
            spans, segs = coding_spans(s, 1), segments_frame(s, 1)
            keep = sorted(segs["source_id"].unique())[:limit]
            result = mod.agreement(spans[spans["coder"].isin(["ana", "bea"])], segs, ["ana", "bea"], unit=unit,
                                   sources=keep, include_interviewer=True)
        else:
            result = project_agreement(s, 1, ["ana", "bea"], unit=unit).result
    times.append(time.perf_counter() - t)
pooled = result.pooled
print(json.dumps({{"times": times, "units": float(pooled["units"]), "alpha": float(pooled["krippendorff_alpha"]),
                  "percent": float(pooled["percent_agreement"])}}))
"""

OLD = r"""
import json, sys, time
sys.path.insert(0, {repo!r})
from workbench import agreement as mod
from workbench import retrieval
from workbench.store import open_store
url, unit, runs, limit = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
store = open_store(url, migrate=False)
times = []
for _ in range(runs):
    t = time.perf_counter()
    with store.read() as s:
        quotes = retrieval.coded_quotes(s, 1, include_subcodes=False)
        segs = retrieval.segments_frame(s, 1)
    keep = sorted(segs["source_id"].unique())[:limit]
    quotes, segs = quotes[quotes["source_id"].isin(keep)], segs[segs["source_id"].isin(keep)]
    table = mod.agreement_table(quotes, segs, ["ana", "bea"], unit=unit)
    times.append(time.perf_counter() - t)
pooled = table[table["code"] == "all codes (pooled)"].iloc[0]
print(json.dumps({{"times": times, "units": float(pooled["units"]), "alpha": float(pooled["krippendorff_alpha"]),
                  "percent": float(pooled["percent_agreement"])}}))
"""


def child(script: str, repo: Path, url: str, unit: str, runs: int, limit: int) -> dict:
    done = subprocess.run([sys.executable, "-c", script.format(repo=str(repo)), url, unit, str(runs), str(limit)],
                          capture_output=True, text=True, cwd=repo, env={**os.environ, "PYTHONPATH": str(repo)})
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=200)
    parser.add_argument("--codings", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="checkout of an earlier version to measure side by side")
    parser.add_argument("--slice", type=int, default=5, help="interviews the earlier version is given")
    args = parser.parse_args()
    from load import build
    tmp = Path(tempfile.mkdtemp(prefix="wb-agreement-"))
    url = f"sqlite:///{tmp / 'load.db'}"
    info = build(url, args.sources, args.codings)
    rows = []
    for unit in ("character", "turn", "source"):
        got = child(NEW, REPO, url, unit, args.runs, 0)
        rows.append(dict(what=f"whole project, {unit}", implementation="this version", units=got["units"],
                         median_s=statistics.median(got["times"]), alpha=got["alpha"]))
    if args.baseline:
        for unit in ("character", "turn"):
            old = child(OLD, args.baseline.resolve(), url, unit, 1, args.slice)
            new = child(NEW, REPO, url, unit, args.runs, args.slice)
            for name, got in (("earlier version", old), ("this version", new)):
                rows.append(dict(what=f"first {args.slice} interviews, {unit}", implementation=name,
                                 units=got["units"], median_s=statistics.median(got["times"]), alpha=got["alpha"]))
    print(f"{args.sources} one-hour interviews ({info['words_per_transcript']:,} words each), {args.codings:,} "
          "codings by three coders; agreement of two coders over every code")
    print(f"{'what':<34} {'implementation':<16} {'units':>14} {'median s':>9} {'alpha':>7}")
    for r in rows:
        print(f"{r['what']:<34} {r['implementation']:<16} {r['units']:>14,.0f} {r['median_s']:>9.3f} {r['alpha']:>7.3f}")
    character = next(r for r in rows if r["what"] == "whole project, character")
    print(f"budget for the whole project by character: {BUDGET_S} s -> "
          f"{'met' if character['median_s'] <= BUDGET_S else 'NOT met'} ({character['median_s']:.2f} s)")
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "agreement.json").write_text(json.dumps(dict(sources=args.sources, codings=args.codings, rows=rows,
                                                        budget_s=BUDGET_S), indent=2))
    print(f"wrote {out / 'agreement.json'}")


if __name__ == "__main__":
    main()
