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
from workbench.corpus.text import decode_text, sha256
from workbench.errors import InvalidSource
from workbench.safety.untrusted import MAX_SOURCE_BYTES, read_limited

PARSERS: dict[str, ModuleType] = {ext: module for module in (plain_text, word, subtitles, noscribe, pdf)
                                  for ext in module.EXTENSIONS}
TRANSCRIPT_EXTENSIONS = set(PARSERS)


def _module(filename: str) -> ModuleType:
    ext = Path(filename).suffix.lower()
    module = PARSERS.get(ext)
    if module is None:
        raise InvalidSource(f"has an unsupported type {ext or '(no extension)'}; the workbench "
                            f"imports {', '.join(sorted(TRANSCRIPT_EXTENSIONS))}", file=filename)
    return module


def _checked(parsed: ParsedSource, filename: str) -> ParsedSource:
    if not parsed.text or parsed.text.isspace():
        raise InvalidSource("contains no text", file=filename)
    parsed.language = guess_language(parsed.text)
    return parsed


def parse_bytes(data: bytes, filename: str, *, encoding: str | None = None) -> ParsedSource:
    """Parse a file's bytes by its extension; the language is guessed from the text."""
    if not data or data.isspace():          # (no stripped copy of a 200 MB file)
        raise InvalidSource("is empty", file=filename)
    return _checked(_module(filename).parse(data, filename, encoding), filename)


def parse_file(path: str | Path, *, encoding: str | None = None) -> tuple[ParsedSource, str]:
    """Read and parse one file; returns the parsed source and the SHA-256 of the file's bytes.

    A text file's bytes are dropped as soon as they are decoded: at the largest accepted file
    they are 200 MB that parsing does not need."""
    path = Path(path)
    file = str(path)
    data = read_limited(path, MAX_SOURCE_BYTES)
    digest = sha256(data)
    if not data or data.isspace():
        raise InvalidSource("is empty", file=file)
    module = _module(file)
    if not hasattr(module, "parse_text"):
        return _checked(module.parse(data, file, encoding), file), digest
    text = decode_text(data, file, encoding)
    del data
    parsed = module.parse_text(text, file)
    del text                        # before the parsed text is joined (ParsedSource.text)
    return _checked(parsed, file), digest
