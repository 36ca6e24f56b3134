"""What every parser returns: a source's text and its segments (speaker turns with optional
times, or pages), held column by column.

A 200 MB transcript of short turns has four million of them: an object per turn, with its own
copy of the turn's text, cost more than the text itself several times over. Here the text is
stored once, each segment is a span into it, and speakers, times and pages are machine arrays;
:class:`ParsedSegment` objects are made only when asked for (:attr:`ParsedSource.segments`).
"""
from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat

SEPARATOR = "\n\n"
_JOIN_EVERY = 4096          # pieces of text joined into one string at a time (no list of millions)


class Spans(Sequence):
    """``(start, end)`` of each segment, kept as two machine arrays: a tuple of two ints per
    segment cost ~120 bytes, more than the text of a short turn."""

    def __init__(self):
        self.starts, self.ends = array("q"), array("q")

    def append(self, span: tuple[int, int]) -> None:
        self.starts.append(span[0])
        self.ends.append(span[1])

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        return self.starts[i], self.ends[i]

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return zip(self.starts, self.ends)

    def __eq__(self, other) -> bool:
        return isinstance(other, Sequence) and list(self) == [tuple(x) for x in other]


@dataclass(slots=True)
class ParsedSegment:
    """One segment as an object: what parsers of small inputs build, and what
    :attr:`ParsedSource.segments` gives back."""
    text: str
    speaker: str | None = None
    t_start: float | None = None
    t_end: float | None = None
    page: int | None = None
    language: str | None = None         # a turn of a recording whose language changes


class SourceBuilder:
    """Segments appended one at a time into columns; :meth:`build` makes the
    :class:`ParsedSource`. The text is joined a few thousand pieces at a time."""

    def __init__(self):
        self._chunks: list[str] = []
        self._pieces: list[str] = []
        self._pos = 0
        self.spans = Spans()
        self.labels: dict[str, int] = {}            # speaker label -> its number, in order of appearance
        self.speaker = array("i")                   # -1: no speaker
        # NaN: no time; made at the first time given (a typed transcript often has none)
        self.t_start: array | None = None
        self.t_end: array | None = None
        self.pages: dict[int, int] = {}             # segment -> page (PDF only)
        self.languages: dict[int, str] = {}         # segment -> language (recordings whose language changes)

    def __len__(self) -> int:
        return len(self.spans)

    def add(self, text: str, speaker: str | None = None, t_start: float | None = None,
            t_end: float | None = None, page: int | None = None, language: str | None = None) -> None:
        """Append one segment."""
        i = len(self.spans)
        if i:
            self._pieces.append(SEPARATOR)
            self._pos += len(SEPARATOR)
        self._pieces.append(text)
        self.spans.append((self._pos, self._pos + len(text)))
        self._pos += len(text)
        if len(self._pieces) >= _JOIN_EVERY:
            self._chunks.append("".join(self._pieces))
            self._pieces.clear()
        self.speaker.append(-1 if speaker is None else self.labels.setdefault(speaker, len(self.labels)))
        if self.t_start is None and (t_start is not None or t_end is not None):
            self.t_start, self.t_end = array("d", [math.nan]) * i, array("d", [math.nan]) * i
        if self.t_start is not None:
            self.t_start.append(math.nan if t_start is None else t_start)
            self.t_end.append(math.nan if t_end is None else t_end)
        if page is not None:
            self.pages[i] = page
        if language is not None:
            self.languages[i] = language

    def set_t_end(self, i: int, t_end: float | None) -> None:
        """Change the end time of segment ``i`` (a turn's end is often the next turn's start)."""
        if self.t_end is None:
            self.t_start, self.t_end = array("d", [math.nan]) * len(self), array("d", [math.nan]) * len(self)
        self.t_end[i] = math.nan if t_end is None else t_end

    def build(self, fmt: str, kind: str | None = None) -> ParsedSource:
        """The parsed source; the builder is empty afterwards. ``kind``: transcript or document;
        by default a text with neither speakers nor times is a document, and so is a PDF."""
        self._chunks.append("".join(self._pieces))
        text, self._chunks, self._pieces = self._chunks, [], []
        if kind is None:
            timed = self.t_start is not None and any(not math.isnan(t) for t in self.t_start)
            kind = "document" if fmt == "pdf" or (not self.labels and not timed) else "transcript"
        return ParsedSource(fmt, text, self.spans, list(self.labels), self.speaker, self.t_start, self.t_end,
                            kind=kind, pages=self.pages, languages=self.languages)


class ParsedSource:
    """A file read into a text and segments over it, column by column (see the module)."""

    def __init__(self, format: str, text: str | list[str], spans: Spans, speakers: list[str], speaker: array,
                 t_start: array | None, t_end: array | None, *, kind: str = "transcript", language: str | None = None,
                 pages: dict[int, int] | None = None, languages: dict[int, str] | None = None):
        self.format, self.spans, self.kind, self.language = format, spans, kind, language
        # The text may come in pieces, joined when first read: by then the parser's input text is
        # gone, so the pieces and the joined text are never in memory beside it.
        self._text = text
        self.speakers = speakers            # labels in order of first appearance
        # per segment: the number of its speaker in ``speakers`` (-1: none), its times (NaN: none;
        # None when no segment has a time)
        self.speaker_numbers, self.t_starts, self.t_ends = speaker, t_start, t_end
        self.pages, self.languages = pages or {}, languages or {}      # segment -> page, language (sparse)

    @property
    def text(self) -> str:
        """The stored text: every segment's text, separated by :data:`SEPARATOR`."""
        if not isinstance(self._text, str):
            self._text = "".join(self._text)
        return self._text

    @classmethod
    def from_segments(cls, fmt: str, segments: Iterable[ParsedSegment], kind: str | None = None) -> ParsedSource:
        """A parsed source from segment objects (parsers of small inputs build those)."""
        builder = SourceBuilder()
        for seg in segments:
            builder.add(seg.text, seg.speaker, seg.t_start, seg.t_end, seg.page, seg.language)
        return builder.build(fmt, kind)

    def __len__(self) -> int:
        """How many segments."""
        return len(self.spans)

    def rows(self) -> Iterator[tuple[int, int, int, str | None, float | None, float | None, int | None, str | None]]:
        """``(index, start, end, speaker, t_start, t_end, page, language)`` of each segment, made
        one at a time."""
        labels = [*self.speakers, None]         # index -1 is None
        pages, languages = self.pages, self.languages
        untimed = repeat(math.nan)
        for i, (start, end, sp, t0, t1) in enumerate(zip(self.spans.starts, self.spans.ends, self.speaker_numbers,
                                                         self.t_starts or untimed, self.t_ends or untimed)):
            yield (i, start, end, labels[sp], None if t0 != t0 else t0, None if t1 != t1 else t1,
                   pages.get(i), languages.get(i))

    def turns(self) -> Iterator[tuple[str | None, str]]:
        """``(speaker, text)`` of each segment, the text sliced when its turn comes."""
        text = self.text
        for _i, start, end, speaker, *_ in self.rows():
            yield speaker, text[start:end]

    @property
    def segments(self) -> list[ParsedSegment]:
        """Every segment as an object (for small sources and tests: a copy of each turn's text)."""
        return [ParsedSegment(self.text[a:b], sp, t0, t1, page, lang)
                for _i, a, b, sp, t0, t1, page, lang in self.rows()]
