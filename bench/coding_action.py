"""Benchmark: how long a coding action takes on the server, and what it sends, on a one-hour
interview (about 10,000 words).

Measures, side by side in one run:
- the payload the coding page sends per change: one page of turns (what the app does)
  against the whole transcript in one payload (the alternative it avoids);
- the server time of one coding action through the real page (AppTest: selection injected as
  the browser sends it, "Apply codes" clicked; includes the database write and the redraw),
  and of the library call alone.

Prints a table and writes bench/results/coding_action.json. Run: .venv/bin/python bench/coding_action.py
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import select  # noqa: E402

from workbench.codebook.format import read_codebook  # noqa: E402
from workbench.codebook.storage import store_codebook  # noqa: E402
from workbench.coding.codings import apply_code  # noqa: E402
from workbench.coding.transcript_view import build_view  # noqa: E402
from workbench.corpus.importing import import_uploads  # noqa: E402
from workbench.corpus.offsets import cp_to_u16  # noqa: E402
from workbench.db.models import Code, Coder, Source  # noqa: E402
from workbench.db.store import open_store  # noqa: E402
from workbench.project.coders import get_or_create_coder  # noqa: E402
from workbench.project.projects import create_project  # noqa: E402

RUNS = 9


def one_hour_interview() -> str:
    """The six demo interviews concatenated: over 10,000 words of real turn structure."""
    parts = [p.read_text(encoding="utf-8") for p in sorted((REPO / "transcripts").glob("*.txt"))]
    return "\n\n".join(parts)


def page_script(source_id: int):
    from workbench.ui.pages import coding as coding_page
    from workbench.ui.state import workspace
    ws = workspace()
    coding_page.render(ws)


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    url = f"sqlite:///{tmp / 'bench.db'}"
    os.environ["WORKBENCH_DATABASE_URL"] = url
    os.environ["WORKBENCH_CODER"] = "bench"
    store = open_store(url)
    with store.write() as s:
        coder_id = get_or_create_coder(s, "bench").id
        project_id = create_project(s, "Bench").id
    text = one_hour_interview()
    import_uploads(store, project_id, coder_id, [("hour.txt", text.encode())])
    with store.write("codebook", project_id=project_id, coder_id=coder_id) as s:
        store_codebook(s, project_id, read_codebook(REPO / "codebooks" / "association-roles.yaml"))
    with store.write("seed codings", project_id=project_id, coder_id=coder_id) as s:
        src = s.scalar(select(Source))
        codes = list(s.scalars(select(Code.id)))
        coder = s.get(Coder, coder_id)
        for i, seg in enumerate(src.segments):      # one coding on every turn, overlapping codes every 3rd
            apply_code(s, src, codes[i % len(codes)], coder, seg.start, seg.end)
            if i % 3 == 0:
                apply_code(s, src, codes[(i + 1) % len(codes)], coder, seg.start, (seg.start + seg.end) // 2)
    with store.read() as s:
        src = s.scalar(select(Source))
        words, turns, source_id = len(src.text.split()), len(src.segments), src.id
        page_payload = json.dumps(build_view(s, src, page=0)).encode()
        whole = json.dumps(build_view(s, src, page=0, page_size=10_000)).encode()
        seg = src.segments[5]
        seg_start = seg.start
        turn_text = src.text[seg.start:seg.end]
        selection = {"turn_start": seg.idx, "off_start": 0, "turn_end": seg.idx,
                     "off_end": cp_to_u16(turn_text, min(60, len(turn_text))), "text": turn_text[:60]}
        t0 = time.perf_counter()
        for _ in range(RUNS):
            build_view(s, src, page=0)
        build_ms = (time.perf_counter() - t0) / RUNS * 1000

    # library call alone
    lib_times = []
    for i in range(RUNS):
        t0 = time.perf_counter()
        with store.write("bench", project_id=project_id, coder_id=coder_id) as s:
            apply_code(s, s.get(Source, source_id), codes[i % len(codes)], s.get(Coder, coder_id),
                       seg_start + i, seg_start + 40 + i)
        lib_times.append((time.perf_counter() - t0) * 1000)

    # the whole page action (AppTest: script run with the click)
    from streamlit.testing.v1 import AppTest
    page_times = []
    for i in range(RUNS):
        at = AppTest.from_function(page_script, args=(source_id,), default_timeout=120)
        at.session_state["coding_source"] = source_id
        at.session_state[f"coder-{source_id}"] = {"selection": {**selection, "off_start": i, "n": i}}
        at.run()
        at.multiselect(key=f"coder-{source_id}:pick").set_value([codes[(i + 3) % len(codes)]])
        button = at.button[[b.label for b in at.button].index("Apply codes")]
        t0 = time.perf_counter()
        button.click().run()
        page_times.append((time.perf_counter() - t0) * 1000)
        assert not at.exception, at.exception
    store.dispose()

    result = {
        "transcript_words": words, "turns": turns, "runs": RUNS,
        "payload_page_bytes": len(page_payload), "payload_whole_bytes": len(whole),
        "payload_ratio_whole_over_page": round(len(whole) / len(page_payload), 2),
        "build_view_page_ms": round(build_ms, 2),
        "coding_action_page_ms_median": round(statistics.median(page_times), 1),
        "coding_action_library_ms_median": round(statistics.median(lib_times), 2),
    }
    rows = [("transcript", f"{words:,} words, {turns} turns"),
            ("payload per change: one page (app)", f"{len(page_payload) / 1024:,.1f} KiB"),
            ("payload per change: whole transcript (alternative)", f"{len(whole) / 1024:,.1f} KiB"),
            ("ratio whole / page", f"{result['payload_ratio_whole_over_page']}x"),
            ("build one page view", f"{build_ms:.1f} ms"),
            ("coding action, whole page run (median)", f"{result['coding_action_page_ms_median']} ms"),
            ("coding action, library call (median)", f"{result['coding_action_library_ms_median']} ms")]
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "coding_action.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
