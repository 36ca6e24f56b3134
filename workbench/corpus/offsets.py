"""Offsets at the edges: stored offsets are code points; browsers count UTF-16 code units.

The only place that converts. A character outside the Basic Multilingual Plane (an emoji,
many CJK extension characters) is one code point but two UTF-16 units.
"""
from __future__ import annotations


def cp_to_u16(text: str, cp: int) -> int:
    """The UTF-16 offset of code-point offset ``cp`` in ``text``."""
    return len(text[:cp].encode("utf-16-le")) // 2


def u16_to_cp(text: str, u16: int) -> int:
    """The code-point offset of UTF-16 offset ``u16``; an offset inside a surrogate pair
    rounds down to the start of that character."""
    return len(text.encode("utf-16-le")[: 2 * u16].decode("utf-16-le", errors="ignore"))


def u16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
