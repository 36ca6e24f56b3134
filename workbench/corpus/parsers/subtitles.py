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
    return re.sub(r"</?[a-zA-Z][^>]*>", "", text)


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
    for (start, end, voice, text), lab in zip(cues, labels):
        speaker = voice
        if speaker is None and lab and lab[0].casefold() in accepted:
            speaker, text = spelling[lab[0].casefold()], lab[2] + text[len(text.split("\n", 1)[0]):]
        text = " ".join(normalise(text).split("\n")).strip()
        if not text:
            continue
        if segments and speaker and segments[-1].speaker == speaker:
            segments[-1].text += " " + text
            segments[-1].t_end = end
        else:
            segments.append(ParsedSegment(text, speaker=speaker, t_start=start, t_end=end))
    return ParsedSource(fmt, segments)


def parse_srt(text: str, file: str) -> ParsedSource:
    """SubRip cues (times; a recurring ``Name:`` at the start of a cue is its speaker)."""
    import srt
    text = normalise(text) + "\n"
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
    try:
        captions = webvtt.from_buffer(io.StringIO(normalise(text) + "\n"))
    except MalformedFileError as exc:
        raise InvalidSource(f"is not a valid WebVTT file ({exc})", file=file) from exc
    cues = [(parse_timestamp(c.start), parse_timestamp(c.end), c.voice or None, c.text) for c in captions]
    if not cues:
        raise InvalidSource("holds no cues", file=file)
    return _cues_to_source(cues, "vtt")
