"""noScribe's HTML transcripts (``ts_<start>_<end>_<speaker>`` anchors)."""
from __future__ import annotations

import re

from workbench.corpus.parsers.parsed import ParsedSegment, ParsedSource
from workbench.corpus.text import normalise
from workbench.errors import InvalidSource

EXTENSIONS = (".html", ".htm")


def parse(data: bytes, file: str, encoding: str | None = None) -> ParsedSource:
    """noScribe's turns (its HTML says its own encoding; UTF-8 without one)."""
    return parse_noscribe(data, file)


_NOSCRIBE_TS = re.compile(r"^ts_(\d+)_(\d+)_(.*)$")


def parse_noscribe(data: bytes, file: str) -> ParsedSource:
    """noScribe's HTML: each paragraph is a turn; ``ts_<start ms>_<end ms>_<speaker>`` anchors
    give its times and speaker. Paragraphs without anchors (title, header) are skipped."""
    import lxml.html
    parser = lxml.html.HTMLParser(no_network=True, remove_comments=True, remove_pis=True)
    try:
        # noScribe writes UTF-8; without a <meta charset> lxml would guess Latin-1.
        try:
            markup: str | bytes = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            markup = data
        root = lxml.html.fromstring(markup, parser=parser)
    except Exception as exc:
        raise InvalidSource(f"is not readable HTML ({exc})", file=file) from exc
    segments = []
    for p in root.iter("p"):
        anchors = [(a, _NOSCRIBE_TS.match(a.get("name") or "")) for a in p.iter("a")]
        anchors = [(a, m) for a, m in anchors if m]
        if not anchors:
            continue
        speaker = anchors[0][1].group(3).strip() or None
        text = normalise(p.text_content())
        text = re.sub(r"\s*\[\d{1,2}:\d{2}(?::\d{2})?\]\s*", " ", text)
        if speaker and text.startswith(speaker + ":"):
            text = text[len(speaker) + 1:]
        text = re.sub(r"[ \t]+", " ", text).strip()
        if text:
            segments.append(ParsedSegment(text, speaker=speaker,
                                          t_start=int(anchors[0][1].group(1)) / 1000,
                                          t_end=int(anchors[-1][1].group(2)) / 1000))
    if not segments:
        raise InvalidSource("is HTML without noScribe timestamps (ts_<start>_<end>_<speaker> "
                            "anchors); export the transcript from noScribe as HTML", file=file)
    return ParsedSource.from_segments("noscribe", segments)
