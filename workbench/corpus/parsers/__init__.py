"""Reading transcripts and documents into text with segments (pure; no database).

Each format is a module with ``EXTENSIONS`` and ``parse(data, file, encoding)``; the
:data:`PARSERS` registry maps a file extension to its module. Every parser returns a
:class:`~workbench.corpus.parsers.parsed.ParsedSource`: the text (NFC, ``\n`` line endings)
and its segments. Speaker labels and timestamps are *not* part of the stored text: they live on
the segments, so renaming a speaker never moves a coding (see ARCHITECTURE.md).
"""
from __future__ import annotations

from pathlib import Path
from types import ModuleType

from workbench.corpus.language import guess_language
from workbench.corpus.parsers import noscribe, pdf, plain_text, subtitles, word
from workbench.corpus.parsers.parsed import ParsedSource
from workbench.errors import InvalidSource
from workbench.safety.untrusted import MAX_SOURCE_BYTES, read_limited

PARSERS: dict[str, ModuleType] = {ext: module for module in (plain_text, word, subtitles, noscribe, pdf)
                                  for ext in module.EXTENSIONS}
TRANSCRIPT_EXTENSIONS = set(PARSERS)


def parse_bytes(data: bytes, filename: str, *, encoding: str | None = None) -> ParsedSource:
    """Parse a file's bytes by its extension; the language is guessed from the text."""
    ext = Path(filename).suffix.lower()
    if not data or data.isspace():          # (no stripped copy of a 200 MB file)
        raise InvalidSource("is empty", file=filename)
    module = PARSERS.get(ext)
    if module is None:
        raise InvalidSource(f"has an unsupported type {ext or '(no extension)'}; the workbench "
                            f"imports {', '.join(sorted(TRANSCRIPT_EXTENSIONS))}", file=filename)
    parsed = module.parse(data, filename, encoding)
    if not parsed.text or parsed.text.isspace():
        raise InvalidSource("contains no text", file=filename)
    parsed.language = guess_language(parsed.text)
    return parsed


def parse_file(path: str | Path, *, encoding: str | None = None) -> tuple[ParsedSource, bytes]:
    """Read and parse one file; returns the parsed source and the raw bytes (for hashing)."""
    path = Path(path)
    data = read_limited(path, MAX_SOURCE_BYTES)
    return parse_bytes(data, str(path), encoding=encoding), data
