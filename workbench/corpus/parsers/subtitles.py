"""Subtitle files: SubRip (.srt) and WebVTT (.vtt) cues, with speakers from ``Name:`` at a
cue's start or WebVTT ``<v Name>`` voices; consecutive cues of one speaker become one turn."""
from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator

from workbench.corpus.parsers.labels import PROSE_LEADS, LabelColumns, accept_numbers, label_parts
from workbench.corpus.parsers.parsed import ParsedSource, SourceBuilder
from workbench.corpus.text import decode_text, lines_of, normalise, reading_part, reporter
from workbench.corpus.timecodes import parse_timestamp
from workbench.errors import InvalidSource

EXTENSIONS = (".srt", ".vtt")


def parse(data: bytes, file: str, encoding: str | None = None) -> ParsedSource:
    """Cues of an .srt or .vtt file (by its extension)."""
    return parse_text(decode_text(data, file, encoding), file)


def parse_text(text: str, file: str) -> ParsedSource:
    """Cues of a decoded .srt or .vtt file (by its extension)."""
    return parse_vtt(text, file) if file.lower().endswith(".vtt") else parse_srt(text, file)


def _strip_tags(text: str) -> str:
    # [^<>]: an unclosed "<a" scans only to the next "<", so "<a<a<a..." stays linear
    return re.sub(r"</?[a-zA-Z][^<>]*>", "", text)


_TIMING = re.compile(r"^\s*(\S+)\s+-->\s+(\S+)")
_TIME = re.compile(r"(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3}")


def check_timings(text: str, file: str) -> None:
    """Refuse a cue whose timing line is not two valid times, start before end.

    The subtitle libraries read a bad timing line as text of the cue before (SRT) or drop the
    cue (WebVTT): either way words would be lost or misplaced without a word.
    """
    for number, line in enumerate(lines_of(text), start=1):
        if "-->" not in line:
            continue
        m = _TIMING.match(line)
        if m and (m.group(1).startswith("-") or m.group(2).startswith("-")):
            raise InvalidSource(f"has a cue with a negative time ({line.strip()[:60]!r})", file=file, line=number)
        if not m or not _TIME.fullmatch(m.group(1)) or not _TIME.fullmatch(m.group(2)):
            raise InvalidSource(f"has a cue timing that is not two times 'start --> end' "
                                f"({line.strip()[:60]!r})", file=file, line=number)
        start, end = parse_timestamp(m.group(1)), parse_timestamp(m.group(2))
        if end < start:
            raise InvalidSource(f"has a cue that ends before it starts ({m.group(1)} --> {m.group(2)})",
                                file=file, line=number)


Cue = tuple[float, float, str | None, str]          # start, end, voice, text


def _cues_to_source(cues: Callable[[], Iterator[Cue]], fmt: str, file: str, none: str) -> ParsedSource:
    """Consecutive cues of one speaker become one turn; cues without speakers stay apart.

    ``cues`` is read twice, one cue at a time (a list of a million cues cost gigabytes): first
    for the ``Name:`` labels at cue starts, then for the turns. ``none``: the refusal when
    there is no cue at all."""
    cols = LabelColumns()
    with reading_part(0.1, 0.55):          # after the timing check's tenth
        for _start, _end, _voice, text in cues():
            cols.add(label_parts(text.split("\n", 1)[0] if "\n" in text else text))
    if not len(cols.ids):
        raise InvalidSource(none, file=file)
    accepted = accept_numbers(cols, use_paragraphs=False)
    if sum(1 for k in cols.ids if k >= 0) * 2 >= len(cols.ids):
        # Most cues open with "Name:": in subtitles that is the speaker, even when said once.
        accepted |= {k for k, name in enumerate(cols.names) if name.casefold() not in PROSE_LEADS}
    out = SourceBuilder()
    turn: list[str] = []                # the open turn's cue texts, joined once (a long turn stays linear)
    speaker, t_start, t_end = None, 0.0, 0.0

    def close():
        if turn:
            out.add(" ".join(turn), speaker, t_start, t_end)
            turn.clear()
    with reading_part(0.55, 1.0):
        second = cues()                     # keeps the reporter of this part
    for i, (start, end, voice, text) in enumerate(second):
        label = cols.ids[i]
        if voice is None and label >= 0 and label in accepted:
            voice, text = cols.names[label], text[cols.rest[i]:]
        text = " ".join(normalise(text).split("\n")).strip()
        if not text:
            continue
        if turn and voice and voice == speaker:
            turn.append(text)
            t_end = end
            continue
        close()
        turn.append(text)
        speaker, t_start, t_end = voice, start, end
    close()
    return out.build(fmt)


def parse_srt(text: str, file: str) -> ParsedSource:
    """SubRip cues (times; a recurring ``Name:`` at the start of a cue is its speaker)."""
    import srt
    text = normalise(text) + "\n"
    with reading_part(0.0, 0.1):
        check_timings(text, file)

    def cues() -> Iterator[Cue]:
        try:
            for s in srt.parse(text):
                yield s.start.total_seconds(), s.end.total_seconds(), None, _strip_tags(s.content)
        except srt.SRTParseError as exc:
            line = text.count("\n", 0, exc.expected_start) + 1
            raise InvalidSource("is not a valid SRT file (cue expected here)", file=file, line=line) from exc
    return _cues_to_source(cues, "srt", file, "holds no subtitle cues")


_CHUNK_CHARS = 1 << 21      # WebVTT is read 2 MB of cues at a time: the library keeps ~15 objects a cue


def parse_vtt(text: str, file: str) -> ParsedSource:
    """WebVTT cues with ``<v Name>`` voice tags as speakers."""
    text = normalise(text) + "\n"
    with reading_part(0.0, 0.1):
        check_timings(text, file)
    return _cues_to_source(lambda: _vtt_cues(text, file), "vtt", file, "holds no cues")


def _vtt_cues(text: str, file: str) -> Iterator[Cue]:
    """The cues of a WebVTT text, read by the ``webvtt`` library a block-aligned chunk at a time
    (cue blocks never hold a blank line, so a chunk ends at one; each later chunk gets the
    ``WEBVTT`` header again). The share read is reported after each chunk."""
    return _vtt_chunks(text, file, reporter())


def _vtt_chunks(text: str, file: str, report) -> Iterator[Cue]:
    import webvtt
    from webvtt.errors import MalformedFileError
    pos, header = 0, ""
    while pos < len(text):
        end = text.find("\n\n", pos + _CHUNK_CHARS) if len(text) - pos > _CHUNK_CHARS else -1
        end = len(text) if end < 0 else end + 2
        try:
            captions = webvtt.from_buffer(io.StringIO(header + text[pos:end]))
        except MalformedFileError as exc:
            raise InvalidSource(f"is not a valid WebVTT file ({exc})", file=file) from exc
        for c in captions:
            yield parse_timestamp(c.start), parse_timestamp(c.end), c.voice or None, c.text
        pos, header = end, "WEBVTT\n\n"
        report(pos / len(text))
