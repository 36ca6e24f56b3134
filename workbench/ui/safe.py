"""Showing people's text literally.

Streamlit's markdown would turn ``:red[x]`` into colour, ``$x$`` into maths and ``**`` into
bold; transcript text, code names and memos must appear exactly as typed. Every user
string that goes through markdown passes :func:`md` first; raw HTML is never enabled.
"""
from __future__ import annotations

import re

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>:$~=^&])")


def md(text: str) -> str:
    """``text`` with every markdown-significant character backslash-escaped."""
    return _SPECIAL.sub(r"\\\1", str(text))


def quote_md(text: str) -> str:
    """A block quote of ``text``, escaped, keeping its line breaks."""
    return "\n".join("> " + md(line) if line.strip() else ">" for line in str(text).split("\n"))


def plain(message) -> str:
    """An error or warning (``str(message)``) for ``st.error``/``st.warning``, which render
    markdown: file, code and speaker names in a message must appear as they are."""
    return md(str(message))


def lead(text: str, limit: int = 400) -> str:
    """The start of a long text for a caption, cut after the last whole sentence within ``limit``
    characters (else at a word, with "…"), never in the middle of a word."""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    head = text[:limit]
    stop = max(head.rfind(". "), head.rfind("? "), head.rfind("! "))
    if stop >= limit // 3:
        return head[:stop + 1]
    return head[:head.rfind(" ")].rstrip(",;:") + "…" if " " in head else head + "…"
