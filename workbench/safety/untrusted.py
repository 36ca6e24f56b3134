"""The hardened path for untrusted files: size caps and zip checks.

Every file a person hands the workbench (an upload, a DOCX, a QDPX, a codebook) is read
through these helpers, so a zip bomb or a 5 GB "transcript" is refused with a clear message
before it can exhaust memory. YAML has its own hardened parser (``safety.yaml_safe``).
"""
from __future__ import annotations

import io
import lzma
import zipfile
import zlib
from pathlib import Path

from workbench.errors import InvalidSource, WorkbenchError


def megabytes(n: int, digits: int | None = None) -> str:
    """``n`` bytes as the limits are written (MB of 1024 x 1024 bytes): 200 MB is the limit, not 210.
    One decimal below 10 MB unless ``digits`` says otherwise."""
    if digits is None:
        digits = 1 if n < 10 * 2**20 else 0
    return f"{n / 2**20:.{digits}f} MB"


MAX_SOURCE_BYTES = 200 * 1024 * 1024          # one transcript/document file
MAX_ZIP_UNCOMPRESSED = 500 * 1024 * 1024      # all members of a DOCX/QDPX together
MAX_ZIP_RATIO = 200                           # uncompressed/compressed, per member
MAX_ZIP_MEMBERS = 10_000
# XML elements a streamed project.qde may hold in memory at once: one source's subtree (about
# 250,000 codings) and the parts read at the end. Read elements are dropped; a flood of elements
# the reader never looks at (50 MB of "<a/>" took 1.9 GB) is refused at this count (measured: an
# element with an attribute costs the reading process ~300 bytes).
MAX_KEPT_ELEMENTS = 1_000_000

# The other limits on what comes from outside, all here so that each is stated once (the
# refusals quote these names' values):
MAX_PAGE_CONTENT_BYTES = 32 * 2**20         # a PDF's drawing instructions over all its pages (a stream
                                            # shared by 150 pages made a 27 KB file take three minutes)
MAX_CODEBOOK_BYTES = 5 * 1024 * 1024        # a codebook file
MAX_DEPTH = 64                              # nesting of a YAML codebook
MAX_CELL_BYTES = 32 * 1024 * 1024           # one value of a restored project file (a one-hour transcript: ~60 KB)
MAX_AUDIO_BYTES = 2 * 1024 ** 3             # one recording
MAX_QDPX_BYTES = 1024 ** 3                  # a REFI-QDA archive
MAX_MEMBER_BYTES = 200 * 1024 * 1024        # one source text inside it
MAX_PROJECT_XML_BYTES = 3 * 1024 ** 3       # its project.qde (a million codings is ~0.5 GB of XML)
MAX_UNPACKED_BYTES = 6 * 1024 ** 3          # all its members together


def read_limited(path: Path, limit: int) -> bytes:
    """Read a file, refusing it when it is larger than ``limit`` bytes (or missing)."""
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise InvalidSource("does not exist", file=str(path)) from exc
    except OSError as exc:
        raise InvalidSource(f"cannot be read ({exc.strerror})", file=str(path)) from exc
    if path.is_dir():
        raise InvalidSource("is a folder, not a file", file=str(path))
    if size > limit:
        shown = megabytes(size, 1)
        if shown == megabytes(limit, 1):          # "200.0 MB, above the 200 MB limit" says nothing
            shown = f"{size:,} bytes ({size - limit:,} more than {limit:,})"
        raise InvalidSource(f"is {shown}, above the {megabytes(limit)} limit", file=str(path))
    with path.open("rb") as fh:
        return fh.read(limit + 1)


READABLE_COMPRESSION = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)


# What reading a damaged member raises: a bad header or CRC, a broken compressed stream (zlib,
# LZMA, bzip2's OSError), an encrypted or unknown member.
MEMBER_DAMAGE = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, OSError, RuntimeError,
                 NotImplementedError, ValueError)


def damaged_member(member: str, exc: Exception, file: str, error: type[WorkbenchError] = InvalidSource):
    """The error that names a damaged member of ``file``."""
    return error(f"member {member!r} is damaged ({exc}); the archive is corrupt, save or export it again", file=file)


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, file: str,
                error: type[WorkbenchError] = InvalidSource) -> bytes:
    """One member's bytes, or ``error`` naming it when the archive turns out damaged as it is
    read (a bad CRC, a broken compressed stream: found only by reading)."""
    try:
        return archive.read(info)
    except MEMBER_DAMAGE as exc:
        raise damaged_member(info.filename, exc, file, error) from exc


def check_zip(data: bytes, file: str, error: type[WorkbenchError] = InvalidSource,
              max_total: int = MAX_ZIP_UNCOMPRESSED) -> zipfile.ZipFile:
    """Open zip bytes after checking member count, total size and compression ratio."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise error(f"is not a valid zip-based file ({exc})", file=file) from exc
    members = archive.infolist()
    if len(members) > MAX_ZIP_MEMBERS:
        raise error(f"holds {len(members)} files, more than {MAX_ZIP_MEMBERS}", file=file)
    total = sum(m.file_size for m in members)
    if total > max_total:
        raise error(f"would unpack to {megabytes(total)}, above the {megabytes(max_total)} limit", file=file)
    for m in members:
        if m.flag_bits & 0x1:
            raise error(f"member {m.filename!r} is password-protected (encrypted); save the file again without "
                        "a password", file=file)
        if m.compress_type not in READABLE_COMPRESSION:
            raise error(f"member {m.filename!r} uses compression method {m.compress_type}, which cannot be read "
                        "(stored, deflate, bzip2 and LZMA can)", file=file)
        if m.compress_size and m.file_size / m.compress_size > MAX_ZIP_RATIO and m.file_size > 1_000_000:
            raise error(f"member {m.filename!r} is compressed {m.file_size // m.compress_size}:1 "
                        "(a zip bomb?)", file=file)
    return archive
