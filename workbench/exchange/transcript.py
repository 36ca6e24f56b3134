"""A transcript as TXT, SRT, VTT or DOCX, with speakers and timestamps.

All four read back into the workbench (``sources.parse_bytes``) with the same turns.
"""
from __future__ import annotations

import io
from pathlib import Path

from workbench.corpus.timecodes import seconds_to_clock
from workbench.db.models import Source
from workbench.errors import WorkbenchError
from workbench.safety.atomic import write_atomic
from workbench.safety.sanitise import xml_text

FORMATS = ("txt", "srt", "vtt", "docx")


def _turns(source: Source):
    for seg in source.segments:
        yield (seg.speaker.label if seg.speaker else "", seg.t_start, seg.t_end, source.text[seg.start:seg.end])


def _cue_time(seconds: float | None, sep: str) -> str:
    ms = int(round((seconds or 0.0) * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _ends(source: Source) -> list[float]:
    turns = list(_turns(source))
    ends = []
    for i, (_, start, end, _text) in enumerate(turns):
        nxt = turns[i + 1][1] if i + 1 < len(turns) else None
        ends.append(end if end is not None else (nxt if nxt is not None else (start or 0) + 5))
    return ends


def render(source: Source, fmt: str) -> bytes:
    """The transcript in ``fmt`` (txt, srt, vtt, docx)."""
    turns = list(_turns(source))
    if fmt == "txt":
        lines = []
        for who, start, _end, text in turns:
            stamp = f"[{seconds_to_clock(start)}] " if start is not None else ""
            lines.append(f"{stamp}{who + ': ' if who else ''}{text}")
        return ("\n\n".join(lines) + "\n").encode("utf-8")
    if fmt in ("srt", "vtt"):
        sep = "," if fmt == "srt" else "."
        cues = []
        for i, ((who, start, _end, text), end) in enumerate(zip(turns, _ends(source)), start=1):
            timing = f"{_cue_time(start, sep)} --> {_cue_time(end, sep)}"
            body = (f"<v {who}>{text}" if who else text) if fmt == "vtt" else (f"{who}: {text}" if who else text)
            cues.append(f"{i}\n{timing}\n{body}" if fmt == "srt" else f"{timing}\n{body}")
        head = "WEBVTT\n\n" if fmt == "vtt" else ""
        return (head + "\n\n".join(cues) + "\n").encode("utf-8")
    if fmt == "docx":
        import docx
        document = docx.Document()
        document.add_heading(xml_text(source.name), level=1)
        facts = [f"Case: {source.case.name}" if source.case else "", f"Language: {source.language}" if source.language else "",
                 f"Duration: {seconds_to_clock(source.duration)}" if source.duration else ""]
        if any(facts):
            document.add_paragraph(xml_text(" · ".join(f for f in facts if f)), style="Subtitle")
        for who, start, _end, text in turns:
            p = document.add_paragraph()
            label = " ".join(x for x in (f"[{seconds_to_clock(start)}]" if start is not None else "", who) if x)
            if label:
                p.add_run(xml_text(label) + ": ").bold = True
            p.add_run(xml_text(text))
        buf = io.BytesIO()
        document.save(buf)
        return buf.getvalue()
    raise WorkbenchError(f"unknown transcript format {fmt!r}; use {', '.join(FORMATS)}")


def write(source: Source, fmt: str, path: str | Path) -> Path:
    """Write atomically (a temporary file renamed), so a failed export leaves no half file."""
    return write_atomic(path, render(source, fmt))
