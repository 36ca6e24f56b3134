"""Subtitle files: SubRip (.srt) and WebVTT (.vtt) cues, with speakers from ``Name:`` at a
cue's start or WebVTT ``<v Name>`` voices; consecutive cues of one speaker become one turn."""
from __future__ import annotations

import io
import re

from workbench.corpus.parsers.labels import PROSE_LEADS, accept_labels, match_label
from workbench.corpus.parsers.parsed import ParsedSegment, ParsedSource
from workbench.corpus.text import decode_text, normalise
from workbench.corpus.timecodes import parse_timestamp
from workbench.errors import InvalidSource

EXTENSIONS = (".srt", ".vtt")


def parse(data: bytes, file: str, encoding: str | None = None) -> ParsedSource:
    """Cues of an .srt or .vtt file (by its extension)."""
    text = decode_text(data, file, encoding)
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
    for number, line in enumerate(text.split("\n"), start=1):
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


def _cues_to_source(cues: list[tuple[float, float, str | None, str]], fmt: str) -> ParsedSource:
    """Consecutive cues of one speaker become one turn; cues without speakers stay apart."""
    labels = [match_label(text.split("\n", 1)[0]) for _, _, _, text in cues]
    accepted = accept_labels(labels)
    if sum(1 for lab in labels if lab) * 2 >= len(labels):
        # Most cues open with "Name:": in subtitles that is the speaker, even when said once.
        accepted |= {lab[0].casefold() for lab in labels if lab and lab[0].casefold() not in PROSE_LEADS}
    spelling = {}
    for lab in labels:
        if lab and lab[0].casefold() in accepted:
            spelling.setdefault(lab[0].casefold(), lab[0])
    segments: list[ParsedSegment] = []
    parts: list[list[str]] = []        # each turn's cue texts, joined once (a long turn stays linear)
    for (start, end, voice, text), lab in zip(cues, labels):
        speaker = voice
        if speaker is None and lab and lab[0].casefold() in accepted:
            speaker, text = spelling[lab[0].casefold()], lab[2] + text[len(text.split("\n", 1)[0]):]
        text = " ".join(normalise(text).split("\n")).strip()
        if not text:
            continue
        if segments and speaker and segments[-1].speaker == speaker:
            parts[-1].append(text)
            segments[-1].t_end = end
        else:
            segments.append(ParsedSegment(text, speaker=speaker, t_start=start, t_end=end))
            parts.append([text])
    for segment, texts in zip(segments, parts):
        segment.text = " ".join(texts)
    return ParsedSource.from_segments(fmt, segments)


def parse_srt(text: str, file: str) -> ParsedSource:
    """SubRip cues (times; a recurring ``Name:`` at the start of a cue is its speaker)."""
    import srt
    text = normalise(text) + "\n"
    check_timings(text, file)
    try:
        subs = list(srt.parse(text))
    except srt.SRTParseError as exc:
        line = text.count("\n", 0, exc.expected_start) + 1
        raise InvalidSource("is not a valid SRT file (cue expected here)", file=file, line=line) from exc
    cues = [(s.start.total_seconds(), s.end.total_seconds(), None, _strip_tags(s.content)) for s in subs]
    if not cues:
        raise InvalidSource("holds no subtitle cues", file=file)
    return _cues_to_source(cues, "srt")


def parse_vtt(text: str, file: str) -> ParsedSource:
    """WebVTT cues with ``<v Name>`` voice tags as speakers."""
    import webvtt
    from webvtt.errors import MalformedFileError
    text = normalise(text) + "\n"
    check_timings(text, file)
    try:
        captions = webvtt.from_buffer(io.StringIO(text))
    except MalformedFileError as exc:
        raise InvalidSource(f"is not a valid WebVTT file ({exc})", file=file) from exc
    cues = [(parse_timestamp(c.start), parse_timestamp(c.end), c.voice or None, c.text) for c in captions]
    if not cues:
        raise InvalidSource("holds no cues", file=file)
    return _cues_to_source(cues, "vtt")
