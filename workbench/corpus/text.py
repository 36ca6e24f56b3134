"""Text as the workbench stores it: decoded strictly, NFC, ``\n`` line endings; and file hashes."""
from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from workbench.errors import InvalidSource


def normalise(text: str) -> str:
    """NFC, ``\\n`` line endings, no trailing spaces at line ends, no BOM."""
    text = text.replace("\ufeff", "").replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", text)
    # Spaces at line ends go in one pass over the text (no list of its lines). The run is matched
    # only from its start and possessively: no backtracking over long runs of spaces.
    return _TRAILING.sub("", text).strip("\n")


# Who hears how far a long read has come (the Sources page's bar, whose update is also where a
# click on Cancel stops the run): set around a parse by ``reading_progress``, called by the
# parsers' loops through ``report_reading``, so no parser signature carries it.
_READING: ContextVar[Callable[[float], None] | None] = ContextVar("reading_progress", default=None)


@contextmanager
def reading_progress(report: Callable[[float], None] | None) -> Iterator[None]:
    """Within the block, parsers report the share of their input read to ``report``."""
    token = _READING.set(report)
    try:
        yield
    finally:
        _READING.reset(token)


@contextmanager
def reading_part(start: float, end: float) -> Iterator[None]:
    """Within the block, a read's 0-1 is the share ``start``-``end`` of the whole (a parser that
    reads its input twice reports 0-0.5, then 0.5-1: the bar never runs backwards)."""
    outer = _READING.get()
    with reading_progress(None if outer is None else (lambda share: outer(start + (end - start) * share))):
        yield


def reporter() -> Callable[[float], None]:
    """The current reporter (or one that does nothing), for a generator to keep: a generator
    runs when it is iterated, perhaps outside the ``reading_part`` it was made in."""
    return _READING.get() or (lambda _share: None)


def report_reading(share: float) -> None:
    """Tell whoever :func:`reading_progress` named how far the read has come (0-1)."""
    report = _READING.get()
    if report is not None:
        report(min(max(share, 0.0), 1.0))


def lines_of(text: str) -> Iterator[str]:
    """The lines of ``text`` one at a time: a list of four million lines cost more than the text.
    Every 65,536 lines the share read is reported to the reporter current when this is called."""
    return _lines(text, _READING.get())


def _lines(text: str, report: Callable[[float], None] | None) -> Iterator[str]:
    start, count = 0, 0
    while True:
        end = text.find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start:end]
        start = end + 1
        count += 1
        if report is not None and not count & 0xFFFF:
            report(start / len(text))


_TRAILING = re.compile(r"(?<![^\S\n])[^\S\n]++(?=\n|\Z)")


_BINARY = re.compile(rb"[\x00-\x08\x0e-\x1a]")     # NUL and control bytes no text file holds (ESC may)


def looks_binary(data: bytes) -> int | None:
    """The offset of the first NUL or other binary control byte (in the first 64 KB), or None
    for text."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None        # UTF-16 with BOM: NUL bytes are expected
    found = _BINARY.search(data, 0, 65536)
    return found.start() if found else None


def decode_text(data: bytes, file: str, encoding: str | None = None, *, suggest: bool = True) -> str:
    """Decode, then refuse NUL characters (binary content; PostgreSQL cannot store them).
    ``suggest``: name the likely encoding and the ``--encoding`` option in the refusal (not
    where there is no such option, as inside a REFI-QDA archive)."""
    text = _decode(data, file, encoding, suggest)
    nul = text.find("\x00")
    if nul >= 0:
        raise InvalidSource("holds NUL characters: binary content, not a transcript", file=file, offset=nul)
    return text


def _decode(data: bytes, file: str, encoding: str | None = None, suggest: bool = True) -> str:
    """Decode a text file: UTF-8 (with or without BOM), UTF-16 with BOM, or ``encoding``.

    Anything else is refused with the offset of the first bad byte and a suggested
    encoding: guessing silently would store mangled accents that nobody notices until the
    quotes are in a paper.
    """
    if encoding:
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError) as exc:
            raise InvalidSource(f"cannot be read as {encoding}: {exc}", file=file) from exc
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InvalidSource(f"is not valid UTF-16: {exc.reason}", file=file, offset=exc.start) from exc
    bad = looks_binary(data)
    if bad is not None:
        raise InvalidSource("is a binary file, not text", file=file, offset=bad)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        from charset_normalizer import from_bytes
        best = from_bytes(data).best() if suggest else None
        hint = f"; it looks like {best.encoding} - import it with --encoding {best.encoding}" if best else ""
        raise InvalidSource(f"is not UTF-8 (byte 0x{data[exc.start]:02x}){hint}",
                            file=file, offset=exc.start) from exc


def sha256(data: bytes) -> str:
    """The hex SHA-256 of ``data`` (how files and texts are recognised)."""
    return hashlib.sha256(data).hexdigest()


def text_sha256(text: str, chunk: int = 1 << 20, prefix: bytes = b"") -> str:
    """``sha256(prefix + text.encode("utf-8"))``, encoded a megabyte at a time (no copy of a
    200 MB text)."""
    digest = hashlib.sha256(prefix)
    for i in range(0, len(text), chunk):
        digest.update(text[i:i + chunk].encode("utf-8"))
    return digest.hexdigest()
