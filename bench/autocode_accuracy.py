"""Accuracy of the shipped rules on the demo interviews, against a hand-coded gold set.

The gold set (transcripts/demo-gold.yaml) codes the six demo interviews with all five
codebooks at sentence level. The interviews are split in two halves, each with both sectors
and both languages: "tune" (it-01, it-03, tx-01) and "report" (it-02, tx-02, tx-03). Prints
precision, recall and F1 per codebook and overall, at turn and character level, for both halves,
and writes bench/results/autocode_accuracy.json.

Run: .venv/bin/python bench/autocode_accuracy.py
"""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from workbench.autocode import runs as run_store  # noqa: E402
from workbench.autocode.evaluation import evaluate, evaluation_inputs  # noqa: E402
from workbench.coding.quotes_import import codings_from_quotes  # noqa: E402
from workbench.config import Settings  # noqa: E402
from workbench.db.models import Source  # noqa: E402
from workbench.db.store import open_store  # noqa: E402
from workbench.demo import build_demo  # noqa: E402
from workbench.project.coders import get_or_create_coder  # noqa: E402

HALVES = {"tune": ["it-01-voltaria-sistemas", "it-03-lusocircuito", "tx-01-tecelagem-pinheiro"],
          "report": ["it-02-nuvemar-software", "tx-02-malhas-sa-araujo", "tx-03-casal-do-selho"]}


def main() -> None:
    url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'accuracy.db'}"
    store = open_store(url)
    project_id = build_demo(store, Settings(database_url=url, coder="autocoder"))["project_id"]
    gold = yaml.safe_load((REPO / "transcripts" / "demo-gold.yaml").read_text(encoding="utf-8"))
    with store.write() as s:
        coder = get_or_create_coder(s, "gold")
        gold_id = coder.id
        codings_from_quotes(s, project_id, gold["codings"], coder, file="demo-gold.yaml")
        auto_id = get_or_create_coder(s, "autocoder").id
        ids = {src.name: src.id for src in s.query(Source).where(Source.project_id == project_id)}
    results = {}
    for half, names in HALVES.items():
        run = run_store.run(store, project_id, auto_id, source_ids=[ids[n] for n in names])
        with store.read() as s:
            pred, truth, segments, texts = evaluation_inputs(s, project_id, run.run_id, [gold_id])
        scores, fps, misses = evaluate(pred, truth, segments, texts)
        total = scores[scores["code"] == "all codes"].iloc[0].to_dict()
        by_book = {}
        for book in sorted({c["codebook"] for c in gold["codings"]}):
            codes = {c["code"] for c in gold["codings"] if c["codebook"] == book}
            p = pred[pred["code"].str.split(" › ").str[-1].isin(codes)]
            t = truth[truth["code"].str.split(" › ").str[-1].isin(codes)]
            s_, _, _ = evaluate(p, t, segments, texts)
            by_book[book] = s_[s_["code"] == "all codes"].iloc[0].to_dict()
        results[half] = {"overall": total, "by_codebook": by_book, "suggestions": run.suggestions,
                         "false_positives": len(fps), "misses": len(misses)}
        print(f"\n{half} half ({', '.join(names)}): {run.suggestions + run.skipped_known} proposals "
              f"({run.skipped_known} of them coded so by hand already, not stored twice)")
        print(f"{'codebook':<55} {'turn P':>7} {'turn R':>7} {'turn F1':>8} {'char P':>7} {'char R':>7} {'char F1':>8}")
        for name, r in [*by_book.items(), ("all codebooks", total)]:
            print(f"{name[:55]:<55} {r['turn_precision']:>7.2f} {r['turn_recall']:>7.2f} {r['turn_f1']:>8.2f} "
                  f"{r['char_precision']:>7.2f} {r['char_recall']:>7.2f} {r['char_f1']:>8.2f}")
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "autocode_accuracy.json").write_text(json.dumps(results, indent=2, default=float))


if __name__ == "__main__":
    main()
