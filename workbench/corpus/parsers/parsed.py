"""What every parser returns: segments (speaker turns with optional times, or pages), from
which the stored text and each segment's span are derived."""
from __future__ import annotations

from dataclasses import dataclass, field

SEPARATOR = "\n\n"


@dataclass
class ParsedSegment:
    text: str
    speaker: str | None = None
    t_start: float | None = None
    t_end: float | None = None
    page: int | None = None


@dataclass
class ParsedSource:
    """A file read into segments; ``text`` and spans are derived from them."""
    format: str
    segments: list[ParsedSegment]
    kind: str = "transcript"            # or "document"
    language: str | None = None
    spans: list[tuple[int, int]] = field(default_factory=list)
    text: str = ""

    def __post_init__(self):
        parts, spans, pos = [], [], 0
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
