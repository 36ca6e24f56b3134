"""Plain-text and Markdown transcripts: lines split into speaker turns by their labels, or
paragraphs when the text has no speakers."""
from __future__ import annotations

import re

from workbench.corpus.parsers.labels import TS_ONLY, LabelColumns, accept_numbers, label_parts
from workbench.corpus.parsers.parsed import ParsedSource, SourceBuilder
from workbench.corpus.text import decode_text, lines_of, normalise, reading_part
from workbench.corpus.timecodes import parse_timestamp

EXTENSIONS = (".txt", ".md")


# Teams' transcripts (and pasted subtitles): "0:0:5.330 --> 0:0:9.100" on its own line, the
# speaker's name alone on the next, then the words.
_CUE = re.compile(r"[ \t]*(?P<ts>\d{1,2}:\d{1,2}:\d{1,2}(?:[.,]\d{1,3})?)[ \t]*-->[ \t]*"
                  r"\d{1,2}:\d{1,2}:\d{1,2}(?:[.,]\d{1,3})?[ \t]*")
_NAME_LINE = re.compile(r"[ \t]{0,4}(?P<name>[^\W\d_][\w .'’()-]{0,60}?)[ \t]*")


def _label_columns(text: str) -> tuple[LabelColumns, set[int]]:
    """Every line's label candidate, and the Teams cue lines: a cue line ("0:0:5.330 -->
    0:0:9.100") makes the name on the line below it a label with the cue's start time, and is
    itself no text."""
    cols, cues, before, cue = LabelColumns(), set(), "", None
    for i, line in enumerate(lines_of(text)):
        name = _NAME_LINE.fullmatch(line) if cue else None
        if name and len(name.group("name").split()) <= 5:
            cols.add((name.group("name"), cue.group("ts"), len(line)), i == 0 or not before.strip())
            cues.add(i - 1)
        else:
            cols.add(label_parts(line), i == 0 or not before.strip())
        cue = _CUE.fullmatch(line) if "-->" in line else None
        before = line
    return cols, cues


def parse(data: bytes, file: str, encoding: str | None = None) -> ParsedSource:
    """A text file's turns (UTF-8, UTF-16 with BOM, or ``encoding``)."""
    return parse_text(decode_text(data, file, encoding), file)


def parse_text(text: str, file: str) -> ParsedSource:
    """A decoded text file's turns."""
    return parse_turns(text, "txt")


def parse_turns(text: str, fmt: str) -> ParsedSource:
    """Split lines into speaker turns: ``Name:``, ``[Name]``, ``Q:``/``A:``, with timestamps.

    A label counts as a speaker when it recurs, is a short Q/A-style label, names an
    interviewer, or has a timestamp; a one-off ``Note:`` in prose stays text. Two passes over
    the lines, neither holding them: the first finds the label candidates, the second the turns.
    """
    text = normalise(text)
    with reading_part(0.0, 0.5):
        cols, cues = _label_columns(text)
    accepted = accept_numbers(cols)
    out = SourceBuilder()
    body: list[str] = []
    opened = False                      # a turn is open (its speaker, or None for a paragraph)
    speaker: str | None = None
    t_start: float | None = None

    def close():
        nonlocal opened
        if opened:
            words = _BLANK_RUNS.sub("\n", "\n".join(body).strip("\n"))
            if words or speaker is not None:        # "Interviewee:" with no words is a turn
                out.add(words, speaker, t_start)
        opened = False
        body.clear()

    any_speaker = bool(accepted)
    ids, rest = cols.ids, cols.rest
    with reading_part(0.5, 1.0):
        lines = lines_of(text)              # reports its share as the second half
    for i, line in enumerate(lines):
        if i in cues:
            continue                        # a Teams cue's time line: its time went to the label below
        k = ids[i]
        if k >= 0 and k in accepted:
            close()
            opened, speaker, t_start = True, cols.names[k], parse_timestamp(cols.times.get(i))
            body.append(line[rest[i]:].strip())
            continue
        if not any_speaker:
            # No speakers: paragraphs (blank-line separated) are the segments.
            if not line.strip():
                close()
                continue
            if not opened:
                opened, speaker, t_start = True, None, None
            body.append(line.strip())
            continue
        ts_only = TS_ONLY.match(line)
        if not opened:
            opened, speaker = True, None
            t_start = parse_timestamp(ts_only.group("ts1")) if ts_only else None
        body.append((ts_only.group("rest") if ts_only else line).strip())
    close()
    t_starts = out.t_start or ()       # a timed turn ends where the next one begins
    for i in range(len(t_starts) - 1):
        if t_starts[i] == t_starts[i] and t_starts[i + 1] >= t_starts[i]:     # both timed, in order
            out.set_t_end(i, t_starts[i + 1])
    return out.build(fmt)


_BLANK_RUNS = re.compile(r"\n{2,}")
