"""Selections from other tools onto our offsets.

Our offsets are code points into text with ``\\n`` line endings (NFC). The standard says code
points too, but NVivo counts UTF-16 units over CRLF text and ATLAS.ti counts CRLF as one
character: :func:`selection_mapper` converts each convention (see shared/data/refi-qda/README)."""
from __future__ import annotations

import unicodedata


def normalise_exact(raw: str) -> tuple[str, list[int]]:
    """``(text, index)``: newlines to ``\\n`` and NFC, with ``index[i]`` = position in the new
    text of raw code point ``i`` (and ``index[len(raw)]`` = its length)."""
    out: list[str] = []
    index: list[int] = []
    pos = 0
    i = 0
    n = len(raw)
    while i < n:
        ch = raw[i]
        if ch == "\r":
            index.append(pos)
            if i + 1 < n and raw[i + 1] == "\n":
                index.append(pos)
                i += 1
            out.append("\n")
            pos += 1
            i += 1
            continue
        j = i + 1                                  # a starter and its combining marks compose together
        while j < n and unicodedata.combining(raw[j]):
            j += 1
        composed = unicodedata.normalize("NFC", raw[i:j])
        for k in range(i, j):          # a position inside a cluster that composed shorter clamps into it
            index.append(pos + min(k - i, len(composed)))
        out.append(composed)
        pos += len(composed)
        i = j
    index.append(pos)
    return "".join(out), index


def selection_mapper(raw: str, origin: str):
    """A function from the file's (start, end) to code points of the normalised text."""
    text, index = normalise_exact(raw)
    origin = (origin or "").lower()
    if "nvivo" in origin:
        # UTF-16 code units over the raw (CRLF) text
        u16_to_raw = []
        for k, ch in enumerate(raw):
            u16_to_raw.append(k)
            if ord(ch) > 0xFFFF:
                u16_to_raw.append(k)
        u16_to_raw.append(len(raw))

        def raw_pos(p: int) -> int:
            return u16_to_raw[p] if 0 <= p < len(u16_to_raw) else -1
    elif "atlas" in origin:
        # CRLF counts as one character
        crlf_to_raw = []
        k = 0
        while k < len(raw):
            crlf_to_raw.append(k)
            k += 2 if raw.startswith("\r\n", k) else 1
        crlf_to_raw.append(len(raw))

        def raw_pos(p: int) -> int:
            return crlf_to_raw[p] if 0 <= p < len(crlf_to_raw) else -1
    else:
        def raw_pos(p: int) -> int:
            return p if 0 <= p <= len(raw) else -1

    def convert(start: int, end: int) -> tuple[int, int] | None:
        a, b = raw_pos(start), raw_pos(end)
        if a < 0 or b < 0:
            return None
        return index[a], index[b]
    return text, convert
