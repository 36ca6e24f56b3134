"""Benchmark: the two Whisper engines on the same weights, same audio, same CPU threads.

The packaged multilingual base model (CTranslate2, for faster-whisper) is converted once into an
openai-whisper checkpoint (workbench.ct2_to_openai), so both engines run the very same weights.
Audio: tests/fixtures/jfk.flac, a ~2-minute English interview synthesised with espeak-ng (two
voices, alternating turns) and a short Portuguese one (given its language: the base model
mistakes espeak-ng's Portuguese for Spanish or Latin), each with its reference text.

Each configuration runs in a fresh subprocess per run (so peak RSS, ru_maxrss in the child, is
that configuration's own), runs are interleaved across configurations, and the medians are
reported: transcription wall time (model already loaded; loading is shown apart), real-time
factor (audio seconds / wall seconds), peak RSS, and WER (jiwer, case and punctuation
normalised). Ratios are against openai-whisper; the speed-up of the best runs is shown too,
since other work on a shared machine slows single runs (the CPU time it took is reported).

Prints a table and writes bench/results/transcription.json.
Run: .venv/bin/python bench/transcription.py [--runs N] [--quick]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

THREADS = 2
RESULTS = REPO / "bench" / "results"

JFK = "And so, my fellow Americans, ask not what your country can do for you, ask what you can do for your country."

# (voice, text): interviewer (en-us) and participant (en-gb+f3) alternate. Words only, no
# numbers or British spellings, so that WER counts mishearings, not Whisper's way of writing
# (it writes "40" and "neighborhood").
INTERVIEW = [
    ("en-us", "Thank you for joining me today. Could you start by telling me how you first got "
              "involved with the community garden?"),
    ("en-gb+f3", "Of course. I moved to the neighborhood a few years ago and I did not know "
                 "anyone. A friend from work told me that the garden needed volunteers on Saturday "
                 "mornings, so I went along, mostly to meet people."),
    ("en-us", "What did you find when you arrived?"),
    ("en-gb+f3", "Honestly, it was a mess. The beds were full of weeds, the water tank was broken, "
                 "and only three people came regularly. But they were very welcoming, and they "
                 "asked me what I wanted to grow."),
    ("en-us", "How has the garden changed since then?"),
    ("en-gb+f3", "We now have dozens of members. We repaired the tank, built a small shed, "
                 "and started a compost scheme with the school next door. The children come every "
                 "Wednesday afternoon and plant vegetables with their teachers."),
    ("en-us", "That sounds like a lot of work. Who makes the decisions about what happens there?"),
    ("en-gb+f3", "We meet once a month in the library. Anyone can come and speak. Sometimes the "
                 "meetings are long and people disagree, especially about money, but in the end we "
                 "usually find a compromise that everybody can live with."),
    ("en-us", "Can you remember a moment when that process did not work?"),
    ("en-gb+f3", "Yes, last summer we argued about building a fence. Some members felt it would keep "
                 "out thieves, others thought it would make the garden feel closed and unfriendly. "
                 "Two families left the group over it, which still makes me sad."),
    ("en-us", "What would you say to someone who is thinking about joining?"),
    ("en-gb+f3", "I would tell them to come on a Saturday, bring gloves, and not worry about knowing "
                 "nothing about plants. Most of us learned by making mistakes, and the garden is "
                 "really about the people as much as the tomatoes."),
    ("en-us", "Thank you. Is there anything else you would like to add?"),
    ("en-gb+f3", "Only that the garden has given me friends and a sense of belonging that I did not "
                 "expect when I moved here."),
]

# espeak-ng's Brazilian voice: its European "pt" voice is too robotic for the base model, which
# hears it as English or Latin; even pt-br is told as Spanish, so this clip is given its language.
PORTUGUESE = [
    ("pt-br", "Obrigada por aceitar esta entrevista. Pode contar como começou a trabalhar na cooperativa?"),
    ("pt-br", "Comecei há muitos anos, quando a fábrica da minha cidade fechou. Um grupo de vizinhos "
           "decidiu produzir pão e bolos para vender na feira, e eu fiquei responsável pelas contas."),
]

# name -> Options fields (everything else: the workbench defaults, two CPU threads).
CONFIGS: dict[str, dict] = {
    "openai-whisper f32 beam5 (reference)": dict(engine="openai-whisper", beam_size=5, word_timestamps=False),
    # The workbench's default, exactly as Options() sets it (word timestamps on: the batched
    # pipeline's 30-second chunks are cut into sentences at word times): the batched pipeline one
    # VAD chunk at a time (the memory of sequential decoding), greedy for English, beam 5 otherwise.
    "fw default: int8 batched-pipeline batch1 greedy(en)/beam5 +words": dict(),
    "fw int8 batched-pipeline batch1 greedy +words": dict(beam_size=1),
    "fw int8 batched-pipeline batch1 beam5 +words": dict(beam_size=5),
    "fw int8 batched8 beam5 +words": dict(batch_size=8, beam_size=5),
    "fw int8 sequential beam5 VAD": dict(pipeline="sequential", beam_size=5, word_timestamps=False),
    "fw low-memory int8 sequential beam1": dict(pipeline="sequential", beam_size=1, word_timestamps=False),
}


def wer(references: list[str], hypotheses: list[str]) -> float:
    """Corpus WER: case and punctuation do not count."""
    import jiwer
    norm = jiwer.Compose([jiwer.ToLowerCase(), jiwer.RemovePunctuation(), jiwer.RemoveMultipleSpaces(),
                          jiwer.Strip(), jiwer.ReduceToListOfListOfWords()])
    return jiwer.wer(references, hypotheses, reference_transform=norm, hypothesis_transform=norm)


# -- audio ----------------------------------------------------------------------------------

def synthesise(turns: list[tuple[str, str]], dst: Path, pause: float = 0.5) -> None:
    """espeak-ng speaks each turn; the turns are joined at 16 kHz with a pause between them."""
    import numpy as np

    from workbench.transcription.audio import SAMPLE_RATE, decode, write_wav
    pieces = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, (voice, text) in enumerate(turns):
            part = Path(tmp) / f"{i}.wav"
            subprocess.run(["espeak-ng", "-v", voice, "-s", "155", "-w", str(part), text], check=True)
            pieces += [decode(part), np.zeros(int(pause * SAMPLE_RATE), dtype=np.float32)]
    write_wav(np.concatenate(pieces), dst)


def prepare_audio(folder: Path, quick: bool) -> list[dict]:
    """The clips with their reference text, language and duration."""
    from workbench.transcription.audio import probe
    # "hint": the language passed to the engine (None = detected, as in the app's default).
    clips = [dict(name="jfk", path=str(REPO / "tests" / "fixtures" / "jfk.flac"), reference=JFK, language="en",
                  hint=None)]
    synthesise(INTERVIEW, folder / "interview_en.wav")
    clips.append(dict(name="interview-en", path=str(folder / "interview_en.wav"),
                      reference=" ".join(t for _, t in INTERVIEW), language="en", hint=None))
    if not quick:
        synthesise(PORTUGUESE, folder / "interview_pt.wav")
        clips.append(dict(name="interview-pt", path=str(folder / "interview_pt.wav"),
                          reference=" ".join(t for _, t in PORTUGUESE), language="pt", hint="pt"))
    for clip in clips:
        clip["seconds"] = round(probe(clip["path"])[0], 2)
        clip["words"] = len(clip["reference"].split())
    return clips


# -- one configuration in a fresh process ---------------------------------------------------

def child(spec: dict) -> dict:
    """Load the model, transcribe every clip, report times, texts and peak RSS."""
    import dataclasses

    from workbench.transcription.audio import decode
    from workbench.transcription.engines import get_engine
    from workbench.transcription.options import Options
    options = Options(cpu_threads=THREADS, **spec["options"])
    engine = get_engine(options.engine)
    audio = {c["name"]: decode(c["path"]) for c in spec["clips"]}
    start = time.perf_counter()
    engine._model(options)              # loading is timed apart from transcription
    load_s = time.perf_counter() - start
    rss_loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = {}
    for clip in spec["clips"]:
        start = time.perf_counter()
        segments, language, probability = engine.transcribe(
            audio[clip["name"]], dataclasses.replace(options, language=clip["hint"]))
        out[clip["name"]] = dict(wall_s=time.perf_counter() - start, language=language,
                                 language_probability=probability,
                                 text=" ".join(s.text for s in segments),
                                 words_timed=sum(len(s.words) for s in segments))
    return dict(load_s=load_s, rss_after_load_mb=rss_loaded,
                peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # KiB on Linux
                vm_hwm_mb=_vm_hwm_mb(), clips=out)


def _vm_hwm_mb() -> float | None:
    """This process's own peak RSS from /proc, a cross-check of ru_maxrss: Linux carries
    ru_maxrss over from the parent at fork/exec, so the parent must stay small (it does)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def prepare(folder: Path, quick: bool) -> dict:
    """In its own process, so that the parent stays small: join the packaged model, convert it
    for openai-whisper once, and make the audio."""
    from workbench.transcription.ct2_to_openai import checkpoint_for
    from workbench.transcription.models import default_model, resolve
    model = default_model()
    folder_ = resolve(model)
    checkpoint_for(model)
    return dict(model=model, folder=folder_, clips=prepare_audio(folder, quick))


def run_child(*args: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=False,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child failed ({args[0]}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# -- the whole benchmark --------------------------------------------------------------------

def summarise(name: str, runs: list[dict], clips: list[dict]) -> dict:
    med = statistics.median
    english = [c for c in clips if c["language"] == "en"]
    per_clip = {}
    for clip in clips:
        walls = [r["clips"][clip["name"]]["wall_s"] for r in runs]
        texts = [r["clips"][clip["name"]]["text"] for r in runs]
        first = runs[0]["clips"][clip["name"]]
        per_clip[clip["name"]] = dict(
            wall_s=round(med(walls), 3), best_wall_s=round(min(walls), 3), rtf=round(clip["seconds"] / med(walls), 2),
            wer=round(wer([clip["reference"]], [texts[0]]), 4), language=first["language"],
            language_probability=round(first["language_probability"], 3), words_timed=first["words_timed"],
            same_text_every_run=len(set(texts)) == 1, text=texts[0])
    totals = [sum(r["clips"][c["name"]]["wall_s"] for c in clips) for r in runs]
    total = med(totals)
    seconds = sum(c["seconds"] for c in clips)
    return dict(
        config=name, options=CONFIGS[name], runs=len(runs),
        load_s=round(med([r["load_s"] for r in runs]), 2),
        total_wall_s=round(total, 2), best_total_wall_s=round(min(totals), 2), total_rtf=round(seconds / total, 2),
        peak_rss_mb=round(med([r["peak_rss_mb"] for r in runs]), 1),
        rss_after_load_mb=round(med([r["rss_after_load_mb"] for r in runs]), 1),
        vm_hwm_mb=round(med([r["vm_hwm_mb"] or 0 for r in runs]), 1),
        english_wer=round(wer([c["reference"] for c in english],
                              [per_clip[c["name"]]["text"] for c in english]), 4),
        clips=per_clip, raw=[{k: v for k, v in r.items() if k != "clips"} |
                             {"wall_s": {c: round(x["wall_s"], 3) for c, x in r["clips"].items()}} for r in runs])


def table(rows: list[dict], clips: list[dict]) -> str:
    ref = rows[0]
    clip_cols = [c["name"] for c in clips]
    head = (["configuration", "total wall s", "RTF (x real time)", "speed-up vs openai", "speed-up (best runs)",
             "peak RSS MB", "memory vs openai", "English WER"] + [f"{c} wall s / WER" for c in clip_cols] + ["load s"])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r["config"], f"{r['total_wall_s']:.2f}", f"{r['total_rtf']:.1f}",
                 f"{ref['total_wall_s'] / r['total_wall_s']:.2f}x",
                 f"{ref['best_total_wall_s'] / r['best_total_wall_s']:.2f}x", f"{r['peak_rss_mb']:.0f}",
                 f"{r['peak_rss_mb'] / ref['peak_rss_mb']:.2f}", f"{r['english_wer']:.3f}"]
        cells += [f"{r['clips'][c]['wall_s']:.2f} / {r['clips'][c]['wer']:.3f}" for c in clip_cols]
        cells.append(f"{r['load_s']:.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _cpu_busy_s() -> float:
    """Busy CPU seconds of the whole machine so far (/proc/stat), to tell how much other work
    competed with the benchmark."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def versions() -> dict:
    from importlib import metadata
    out = {}
    for dist in ("faster-whisper", "ctranslate2", "openai-whisper", "torch", "numpy"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per configuration (median)")
    parser.add_argument("--quick", action="store_true", help="one run, no Portuguese clip")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--prepare", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return
    if args.prepare:
        print(json.dumps(prepare(Path(args.prepare), args.quick)))
        return
    runs = 1 if args.quick else max(1, args.runs)

    # This process only starts children and reads their JSON: it imports no model code, so the
    # peak RSS each child inherits from it (see _vm_hwm_mb) stays far below theirs.
    started, busy_before = time.perf_counter(), _cpu_busy_s()
    with tempfile.TemporaryDirectory() as tmp:
        prepared = run_child("--prepare", tmp, *(["--quick"] if args.quick else []))
        model, clips = prepared["model"], prepared["clips"]
        print(f"model {model} ({prepared['folder']}); {THREADS} CPU threads; {runs} run(s) per configuration")
        for c in clips:
            print(f"  {c['name']}: {c['seconds']:.1f} s, {c['words']} words, {c['language']}")
        results: dict[str, list[dict]] = {name: [] for name in CONFIGS}
        for i in range(runs):            # interleaved, so drift in the machine's speed hits all alike
            for name, options in CONFIGS.items():
                t = time.perf_counter()
                results[name].append(run_child("--child", json.dumps(dict(options=options, clips=clips))))
                print(f"  run {i + 1}/{runs} {name}: {time.perf_counter() - t:.1f} s", flush=True)
    rows = [summarise(name, results[name], clips) for name in CONFIGS]

    ref = rows[0]
    for r in rows:
        r["speedup_vs_openai"] = round(ref["total_wall_s"] / r["total_wall_s"], 2)
        r["memory_ratio_vs_openai"] = round(r["peak_rss_mb"] / ref["peak_rss_mb"], 3)
        r["speedup_best_runs"] = round(ref["best_total_wall_s"] / r["best_total_wall_s"], 2)
        r["meets_target"] = (r is not ref and r["speedup_vs_openai"] >= 5
                             and r["memory_ratio_vs_openai"] <= 0.5 and r["english_wer"] <= ref["english_wer"])
        # Other work on the machine slows single runs; best-of-runs is the quieter estimate.
        r["meets_target_on_best_runs"] = r["meets_target"] and r["speedup_best_runs"] >= 5
    meeting = [r["config"] for r in rows if r["meets_target"]]
    busy_after = _cpu_busy_s()
    ours = resource.getrusage(resource.RUSAGE_CHILDREN)
    others = max(0.0, busy_after - busy_before - (ours.ru_utime + ours.ru_stime))
    result = dict(
        model=model, threads=THREADS, runs=runs, quick=args.quick, machine=dict(
            cpu=platform.processor() or platform.machine(), cores=os.cpu_count(), python=platform.python_version()),
        versions=versions(), clips=[{k: v for k, v in c.items() if k != "path"} for c in clips],
        target="speed-up >= 5x openai-whisper, peak RSS <= 0.5x, English WER <= openai-whisper's",
        meets_target=meeting, configs=rows, benchmark_seconds=round(time.perf_counter() - started, 1),
        other_cpu_seconds=round(others, 1))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "transcription.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))

    print()
    print(table(rows, clips))
    print()
    print("Medians; wall = transcription with the model loaded; RTF = audio seconds / wall seconds; "
          "English WER over jfk + interview.")
    print("Meets the target (>= 5x speed, <= half memory, WER <= openai-whisper's): "
          + (", ".join(f"{r['config']} (on best runs too: {'yes' if r['meets_target_on_best_runs'] else 'no'}, "
                       f"{r['speedup_best_runs']:.2f}x)" for r in rows if r["meets_target"]) or "none"))
    print(f"CPU time used by other processes during the benchmark: {others:.0f} s "
          f"(of {THREADS * result['benchmark_seconds']:.0f} s available on {THREADS} cores)")
    worst = max(abs(r["peak_rss_mb"] - r["vm_hwm_mb"]) / r["peak_rss_mb"] for r in rows)
    print(f"peak RSS (ru_maxrss) agrees with /proc VmHWM within {worst:.1%} for every configuration")
    for r in rows:
        for c, v in r["clips"].items():
            if v["language"] != next(x["language"] for x in clips if x["name"] == c):
                print(f"  note: {r['config']} detected {v['language']} for {c}")
    print(f"wrote {RESULTS / 'transcription.json'} in {result['benchmark_seconds']:.0f} s")


if __name__ == "__main__":
    main()
