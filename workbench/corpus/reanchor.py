"""Keeping codings on their words when a text is corrected.

``reanchor`` maps spans of an old text onto a new text through a character diff
(difflib's opcodes): text that survived keeps its codings, a span whose every character
was deleted is reported as lost - never silently dropped or moved onto other words.
"""
from __future__ import annotations

import difflib
import re

_TOKEN = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)


def _positions(tokens: list[str]) -> list[int]:
    out, pos = [0], 0
    for t in tokens:
        pos += len(t)
        out.append(pos)
    return out


class _Mapper:
    def __init__(self, old: str, new: str):
        # Diff words, not characters: a character diff keeps stray letters and dots of a
        # deleted sentence "alive" and would leave a coding on a lone full stop.
        old_tokens, new_tokens = _TOKEN.findall(old), _TOKEN.findall(new)
        old_pos, new_pos = _positions(old_tokens), _positions(new_tokens)
        matcher = difflib.SequenceMatcher(None, old_tokens, new_tokens, autojunk=False)
        self.ops = [(tag, old_pos[i1], old_pos[i2], new_pos[j1], new_pos[j2])
                    for tag, i1, i2, j1, j2 in matcher.get_opcodes()]
        self.new_len = len(new)

    def start(self, pos: int) -> int:
        """Where a span that started at old ``pos`` starts now: its first surviving character."""
        for tag, i1, i2, j1, _j2 in self.ops:
            if i2 <= pos:
                continue                     # wholly before the span (inserts at pos included)
            if tag == "equal":
                return j1 + max(0, pos - i1)
            if tag == "replace":
                return j1                    # corrected words stand where the old ones stood
            # delete: the span now starts at the next surviving character
        return self.new_len

    def end(self, pos: int) -> int:
        """Where a span that ended (exclusive) at old ``pos`` ends now."""
        best = 0
        for tag, i1, i2, j1, j2 in self.ops:
            if i1 >= pos:
                break
            if tag == "equal":
                best = j1 + (min(i2, pos) - i1)
            elif tag in ("replace", "insert"):
                best = j2                    # text typed inside the span belongs to it
            else:
                best = max(best, j1)
        return best


def reanchor(old: str, new: str, spans: list[tuple[int, int]]) -> list[tuple[int, int] | None]:
    """New ``(start, end)`` for each old span, or None when its text was deleted."""
    if old == new:
        return list(spans)
    mapper = _Mapper(old, new)
    out: list[tuple[int, int] | None] = []
    for start, end in spans:
        s, e = mapper.start(start), mapper.end(end)
        # Whitespace the old span did not have at its edges is not part of it now.
        while s < e and new[s].isspace() and not old[start:start + 1].isspace():
            s += 1
        while e > s and new[e - 1].isspace() and not old[end - 1:end].isspace():
            e -= 1
        had_words = any(ch.isalnum() for ch in old[start:end])
        kept_words = e > s and any(ch.isalnum() for ch in new[s:e])
        out.append((s, e) if e > s and (kept_words or not had_words) else None)
    return out
