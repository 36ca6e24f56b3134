"""What every parser returns: segments (speaker turns with optional times, or pages), from
which the stored text and each segment's span are derived."""
from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

SEPARATOR = "\n\n"


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
    text: str
    speaker: str | None = None
    t_start: float | None = None
    t_end: float | None = None
    page: int | None = None
    language: str | None = None         # a turn of a recording whose language changes


@dataclass
class ParsedSource:
    """A file read into segments; ``text`` and spans are derived from them."""
    format: str
    segments: list[ParsedSegment]
    kind: str = "transcript"            # or "document"
    language: str | None = None
    spans: Spans = field(default_factory=Spans)
    text: str = ""

    def __post_init__(self):
        parts, spans, pos = [], Spans(), 0
        for i, seg in enumerate(self.segments):
            if i:
                parts.append(SEPARATOR)
                pos += len(SEPARATOR)
            parts.append(seg.text)
            spans.append((pos, pos + len(seg.text)))
            pos += len(seg.text)
        self.text = "".join(parts)
        self.spans = spans
        if not any(s.speaker for s in self.segments) and self.format != "pdf":
            self.kind = "document" if not any(s.t_start is not None for s in self.segments) else self.kind
        if self.format == "pdf":
            self.kind = "document"

    @property
    def speakers(self) -> list[str]:
        """Speaker labels in order of first appearance."""
        return list(dict.fromkeys(s.speaker for s in self.segments if s.speaker))
