"""Plain-text and Markdown transcripts: lines split into speaker turns by their labels, or
paragraphs when the text has no speakers."""
from __future__ import annotations

import re

from workbench.corpus.parsers.labels import TS_ONLY, accept_labels, label_parts
from workbench.corpus.parsers.parsed import ParsedSegment, ParsedSource
from workbench.corpus.text import decode_text, normalise
from workbench.corpus.timecodes import parse_timestamp

EXTENSIONS = (".txt", ".md")


# Teams' transcripts (and pasted subtitles): "0:0:5.330 --> 0:0:9.100" on its own line, the
# speaker's name alone on the next, then the words.
_CUE = re.compile(r"[ \t]*(?P<ts>\d{1,2}:\d{1,2}:\d{1,2}(?:[.,]\d{1,3})?)[ \t]*-->[ \t]*"
                  r"\d{1,2}:\d{1,2}:\d{1,2}(?:[.,]\d{1,3})?[ \t]*")
_NAME_LINE = re.compile(r"[ \t]{0,4}(?P<name>[^\W\d_][\w .'’()-]{0,60}?)[ \t]*")


def _cue_labels(lines: list[str], candidates: list) -> set[int]:
    """Make the name under each cue line a label with the cue's start time (in ``candidates``);
    returns the cue lines, which are not text."""
    cues = set()
    for i in range(len(lines) - 1):
        cue = _CUE.fullmatch(lines[i]) if "-->" in lines[i] else None
        name = _NAME_LINE.fullmatch(lines[i + 1]) if cue else None
        if name and len(name.group("name").split()) <= 5:
            candidates[i + 1] = (name.group("name"), cue.group("ts"), len(lines[i + 1]))
            cues.add(i)
    return cues


def parse(data: bytes, file: str, encoding: str | None = None) -> ParsedSource:
    """A text file's turns (UTF-8, UTF-16 with BOM, or ``encoding``)."""
    return parse_turns(decode_text(data, file, encoding), "txt")


def parse_turns(text: str, fmt: str) -> ParsedSource:
    """Split lines into speaker turns: ``Name:``, ``[Name]``, ``Q:``/``A:``, with timestamps.

    A label counts as a speaker when it recurs, is a short Q/A-style label, names an
    interviewer, or has a timestamp; a one-off ``Note:`` in prose stays text.
    """
    lines = normalise(text).split("\n")
    candidates = [label_parts(line) for line in lines]
    cues = _cue_labels(lines, candidates)
    starts = [i == 0 or not lines[i - 1].strip() for i in range(len(lines))]
    accepted = accept_labels(candidates, starts)
    spelling: dict[str, str] = {}     # the first spelling of a label names the speaker
    for c in candidates:
        if c and c[0].casefold() in accepted:
            spelling.setdefault(c[0].casefold(), c[0])

    def is_speaker(c) -> bool:
        return c[0].casefold() in accepted

    segments: list[ParsedSegment] = []
    current: ParsedSegment | None = None
    body: list[str] = []

    def close():
        nonlocal current, body
        if current is not None:
            current.text = "\n".join(body).strip("\n")
            current.text = re.sub(r"\n{2,}", "\n", current.text)
            if current.text or current.speaker is not None:     # "Interviewee:" with no words is a turn
                segments.append(current)
        current, body = None, []

    any_speaker = any(c and is_speaker(c) for c in candidates)
    for i, (line, cand) in enumerate(zip(lines, candidates)):
        if i in cues:
            continue                        # a Teams cue's time line: its time went to the label below
        if cand and is_speaker(cand):
            close()
            label, ts, rest_at = cand
            current = ParsedSegment("", speaker=spelling[label.casefold()], t_start=parse_timestamp(ts))
            body = [line[rest_at:].strip()]
            continue
        ts_only = TS_ONLY.match(line) if any_speaker else None
        if not any_speaker:
            # No speakers: paragraphs (blank-line separated) are the segments.
            if not line.strip():
                close()
                continue
            if current is None:
                current = ParsedSegment("")
            body.append(line.strip())
            continue
        if current is None:
            current = ParsedSegment("", t_start=parse_timestamp(ts_only.group("ts1")) if ts_only else None)
        body.append((ts_only.group("rest") if ts_only else line).strip())
    close()
    for seg, nxt in zip(segments, segments[1:]):
        if seg.t_start is not None and nxt.t_start is not None and nxt.t_start >= seg.t_start:
            seg.t_end = nxt.t_start
    return ParsedSource(fmt, segments)
