"""Time and peak memory of the importers, each run in a fresh process (issue 17).

Inputs are generated (seeded): a typed transcript of short turns (4-12 words, one per line: the
shape that costs most per byte), one of long turns (20-80 words), a WebVTT file, a Word file whose
document.xml is large, a QDPX whose one source text is large, and a QDPX whose project.qde is a
flood of elements nobody reads (``qde-flood``: refused; the time and memory of the refusal). Each is imported into a fresh
SQLite project the way the CLI does it; the child reports seconds and its own peak resident memory
(VmHWM: ru_maxrss would include this parent's size at the fork);
the table shows medians over ``--repeat`` fresh processes.

  .venv/bin/python bench/importers.py [--sizes 5,20] [--repeat 3] [--against /path/to/other/checkout]

``--against`` runs the same inputs with another checkout of the workbench (e.g. the previous main
in a git worktree) side by side, in the same sitting. Prints a table; writes
bench/results/importers.json.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORDS = ("the and of to is that it in we you they was for with have not but this are market export company "
         "clients production quality Germany textile design price order customers people work really think "
         "because when what about so then after before year years new first could would there their our "
         "team sector factory supplier fair contract growth risk").split()

CHILD = r"""
import json, os, sys, tempfile, time
from pathlib import Path
kind, path = sys.argv[1], sys.argv[2]
from workbench.db.store import open_store
from workbench.project.coders import get_or_create_coder
from workbench.project.projects import create_project
folder = tempfile.mkdtemp()
store = open_store(f"sqlite:///{folder}/bench.db")
with store.write() as s:
    coder = get_or_create_coder(s, "bench")
    pid, cid = create_project(s, "Bench").id, coder.id
# Peaks are each process's own (bench/peaks.py): ru_maxrss carries this bench's size (it holds the
# generated inputs) over fork and exec. A QDPX import's reading process is watched too.
sys.path.insert(0, sys.argv[3])
from peaks import ChildPeaks, own_peak_mb
base = own_peak_mb()
children = ChildPeaks()
t = time.perf_counter()
from workbench.errors import WorkbenchError
refused = None
try:
    if kind == "qdpx":
        from workbench.exchange.refi.reader import import_qdpx
        with store.write() as s:
            import_qdpx(s, Path(path).read_bytes(), Path(path).name, coder=get_or_create_coder(s, "bench"))
    else:
        from workbench.corpus.importing import import_files
        import_files(store, pid, cid, [path])
except WorkbenchError as exc:      # a refusal is a result too: how long and how much it took
    refused = str(exc).split(": ", 1)[-1][:60]
seconds = time.perf_counter() - t
store.dispose()
print(json.dumps({"seconds": round(seconds, 2), "refused": refused, "peak_mb": round(own_peak_mb()), "child_peak_mb": round(children.stop()),
                  "base_mb": round(base)}))
"""


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def _turn(rng: random.Random) -> str:
    n, out = rng.randint(20, 80), []
    while n > 0:
        k = min(n, rng.randint(6, 18))
        out.append(_sentence(rng, k))
        n -= k
    return " ".join(out)


def make(kind: str, mb: float, folder: Path) -> Path:
    """A seeded input of about ``mb`` megabytes (MiB) of text."""
    rng, target = random.Random(7), int(mb * 2**20)
    parts, size, i = [], 0, 0
    while size < target:
        who = "Interviewer" if i % 2 == 0 else "Anna"
        if kind == "txt-short":
            piece = f"{who}: {_sentence(rng, rng.randint(4, 12))}\n"
        elif kind == "vtt":
            start = i * 3.0
            piece = (f"{_clock(start)} --> {_clock(start + 2.5)}\n<v {who if (i // 3) % 2 else 'Interviewer'}>"
                     f"{_sentence(rng, rng.randint(5, 9))}\n\n")
        else:
            piece = f"{who}: {_turn(rng)}\n\n"
        parts.append(piece)
        size += len(piece)
        i += 1
    text = "".join(parts)
    path = folder / f"{kind}-{mb:g}MB.{ {'txt-short': 'txt', 'txt-long': 'txt', 'qde-flood': 'qdpx'}.get(kind, kind) }"
    if kind.startswith("txt"):
        path.write_text(text, encoding="utf-8")
    elif kind == "vtt":
        path.write_text("WEBVTT\n\n" + text, encoding="utf-8")
    elif kind == "docx":
        # document.xml written directly (python-docx takes minutes to build 50 MB of paragraphs)
        from xml.sax.saxutils import escape
        body = "".join(f'<w:p><w:r><w:t xml:space="preserve">{escape(para)}</w:t></w:r></w:p>'
                       for para in text.split("\n\n"))
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("[Content_Types].xml", _DOCX_TYPES)
            z.writestr("_rels/.rels", _DOCX_RELS)
            z.writestr("word/document.xml", f'<?xml version="1.0" encoding="UTF-8"?>\n<w:document '
                       f'xmlns:w="{_W}"><w:body>{body}<w:sectPr/></w:body></w:document>')
    elif kind == "qde-flood":
        # elements nobody reads, between the sources and the end: the tree kept them all (each
        # with a random attribute, so that the zip's ratio check lets it through, as a real one would)
        flood = "".join(f'<a n="{rng.getrandbits(24):06x}"/>' for _ in range(target // 15))
        project = ('<?xml version="1.0" encoding="utf-8"?>\n<Project xmlns="urn:QDA-XML:project:1.0" '
                   'name="Flood" origin="bench"><Sources/>' + flood + "</Project>\n")
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("project.qde", project)
    elif kind == "qdpx":
        guid = "D0000001-0000-4000-8000-000000000001"
        project = (f'<?xml version="1.0" encoding="utf-8"?>\n<Project xmlns="urn:QDA-XML:project:1.0" name="Bench" '
                   f'origin="bench"><Sources><TextSource guid="{guid}" name="Long" '
                   f'plainTextPath="internal://{guid}.txt"/></Sources></Project>\n')
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(f"sources/{guid}.txt", text.replace("\n", "\r\n"))     # as NVivo writes it
            z.writestr("project.qde", project)
        path.write_bytes(buf.getvalue())
    return path


_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_DOCX_TYPES = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
               'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
               'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
               '"/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.'
               'document.main+xml"/></Types>')
_DOCX_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
              '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
              '2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')


def _clock(seconds: float) -> str:
    return f"{int(seconds // 3600):02d}:{int(seconds % 3600 // 60):02d}:{seconds % 60:06.3f}"


def measure(repo: Path, kind: str, path: Path, repeat: int = 1) -> dict:
    """Median seconds and median peak memory over ``repeat`` fresh processes."""
    env = {**os.environ, "PYTHONPATH": str(repo), "OPENBLAS_NUM_THREADS": "1"}
    runs = []
    for _ in range(repeat):
        done = subprocess.run([sys.executable, "-c", CHILD, "qdpx" if kind.startswith("q") else "file", str(path),
                               str(REPO / "bench")],
                              cwd=repo, env=env, capture_output=True, text=True, timeout=3600)
        if done.returncode != 0:
            return {"error": (done.stderr.strip().splitlines() or ["?"])[-1][:200]}
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return {"seconds": statistics.median(r["seconds"] for r in runs),
            "peak_mb": statistics.median(r["peak_mb"] for r in runs), "runs": len(runs),
            "child_peak_mb": max(r.get("child_peak_mb", 0) for r in runs),
            "refused": runs[-1].get("refused")}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="5,20", help="megabytes of text per input, comma-separated")
    ap.add_argument("--kinds", default="txt-short,txt-long,vtt,docx,qdpx")
    ap.add_argument("--against", type=Path, help="another checkout, measured side by side")
    ap.add_argument("--repeat", type=int, default=3, help="fresh processes per measurement (medians)")
    args = ap.parse_args()
    sizes = [float(x) for x in args.sizes.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind in args.kinds.split(","):
            for mb in sizes:
                path = make(kind, mb, Path(tmp))
                row = {"kind": kind, "text_mb": mb, "file_mb": round(path.stat().st_size / 2**20, 1),
                       "this": measure(REPO, kind, path, args.repeat)}
                if args.against:
                    row["against"] = measure(args.against, kind, path, args.repeat)
                rows.append(row)
                print(json.dumps(row), file=sys.stderr, flush=True)

    def cell(r: dict) -> str:
        if "error" in r:
            return r["error"][:24]
        child = f" +{r['child_peak_mb']}" if r.get("child_peak_mb") else ""     # its reading process
        return ("refused " if r.get("refused") else "") + f"{r['seconds']:>7.1f} s {r['peak_mb']:>6}{child} MB"
    print(f"\n{'input':<11} {'text MB':>7} {'file MB':>7} | {'this checkout':>20}" +
          (f" | {'--against':>20} | {'time':>6} {'memory':>6}" if args.against else ""))
    for r in rows:
        line = f"{r['kind']:<11} {r['text_mb']:>7g} {r['file_mb']:>7} | {cell(r['this']):>20}"
        if args.against:
            a, b = r["against"], r["this"]
            ratio = (f"{a['seconds'] / b['seconds']:>5.1f}x {a['peak_mb'] / b['peak_mb']:>5.1f}x"
                     if "error" not in a and "error" not in b else "")
            line += f" | {cell(a):>20} | {ratio}"
        print(line)
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "importers.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
