"""Selections from other tools onto our offsets.

Our offsets are code points into text with ``\\n`` line endings (NFC). The standard says code
points too, but NVivo counts UTF-16 units over CRLF text and ATLAS.ti counts CRLF as one
character: :func:`selection_mapper` converts each convention (see shared/data/refi-qda/README)."""
from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left


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


_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")


def _counts_before(points: list[int]):
    """``f(p)`` = how many of the sorted ``points`` are below ``p`` (a bisection, no table per character)."""
    return lambda p: bisect_left(points, p)


def selection_mapper(raw: str, origin: str):
    """A function from the file's (start, end) to code points of the normalised text.

    Text that is NFC already (nearly all) is mapped by arithmetic over where its line breaks and
    astral characters are: memory a small multiple of the text, time linear. A table per code
    point (36 bytes each in Python: 3.3 GB and three minutes for a 20 MB source) is built only for
    text with decomposed characters.
    """
    origin = (origin or "").lower()
    n = len(raw)
    crlf = [m.start() for m in re.finditer("\r\n", raw)]
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    if text == raw and unicodedata.is_normalized("NFC", raw) and not ("nvivo" in origin and _ASTRAL.search(raw)):
        # Nothing to convert (our own exports, most tools): positions are code points as they stand.
        def same(start: int, end: int) -> tuple[int, int] | None:
            return (start, end) if 0 <= start <= n and 0 <= end <= n else None
        return text, same
    if unicodedata.is_normalized("NFC", text):
        crlf_before = _counts_before(crlf)

        def index(i: int) -> int:           # raw code point -> code point of text (a CRLF is one "\n")
            return i - crlf_before(i)
    else:
        text, table = normalise_exact(raw)
        index = table.__getitem__
    if "nvivo" in origin:
        # UTF-16 code units over the raw (CRLF) text: an astral character counts twice
        astral_u16 = [m.start() + j for j, m in enumerate(_ASTRAL.finditer(raw))]
        astral_before = _counts_before(astral_u16)
        units = n + len(astral_u16)

        def raw_pos(p: int) -> int:
            return p - astral_before(p) if 0 <= p <= units else -1
    elif "atlas" in origin:
        # CRLF counts as one character
        collapsed = [k - j for j, k in enumerate(crlf)]
        crlf_upto = _counts_before(collapsed)
        length = n - len(crlf)

        def raw_pos(p: int) -> int:
            return p + crlf_upto(p) if 0 <= p <= length else -1
    else:
        def raw_pos(p: int) -> int:
            return p if 0 <= p <= n else -1

    def convert(start: int, end: int) -> tuple[int, int] | None:
        a, b = raw_pos(start), raw_pos(end)
        if a < 0 or b < 0:
            return None
        return index(a), index(b)
    return text, convert
