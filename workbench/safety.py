"""The hardened path for untrusted files: size caps, zip checks, safe YAML.

Every file a person hands the workbench (an upload, a DOCX, a QDPX, a codebook) is read
through these helpers, so a zip bomb, an alias bomb or a 5 GB "transcript" is refused
with a clear message before it can exhaust memory.
"""
from __future__ import annotations

import contextlib
import errno
import io
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from .errors import CannotWrite, InvalidSource, WorkbenchError

MAX_SOURCE_BYTES = 200 * 1024 * 1024          # one transcript/document file
MAX_ZIP_UNCOMPRESSED = 500 * 1024 * 1024      # all members of a DOCX/QDPX together
MAX_ZIP_RATIO = 200                           # uncompressed/compressed, per member
MAX_ZIP_MEMBERS = 10_000


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
        raise InvalidSource(f"is {size / 1e6:.0f} MB, above the {limit / 1e6:.0f} MB limit",
                            file=str(path))
    with path.open("rb") as fh:
        return fh.read(limit + 1)


@contextlib.contextmanager
def atomic_file(path: str | Path) -> Iterator[BinaryIO]:
    """A binary file to write ``path`` through: a temporary sibling, flushed to disk and renamed
    over ``path`` only when the block succeeds. On any failure (a full disk, a read-only folder,
    an error while rendering) the temporary file is removed and ``path`` is left as it was; an
    operating-system error becomes :class:`CannotWrite` naming the file and the reason."""
    path = Path(path)
    tmp = path.with_name(path.name + ".partial")
    try:
        with tmp.open("wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(path)
    except OSError as exc:
        _discard(tmp)
        raise CannotWrite(f"could not be written ({_reason(exc)}); nothing was written there",
                          file=str(path)) from exc
    except BaseException:
        _discard(tmp)
        raise


def _discard(tmp: Path) -> None:
    # On a read-only disk there is nothing to remove, and removing fails too: the error that
    # matters is the one being raised.
    with contextlib.suppress(OSError):
        tmp.unlink(missing_ok=True)


def _reason(exc: OSError) -> str:
    return {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
            errno.EFBIG: "the file would be larger than this system allows",
            errno.EROFS: "the disk is read-only", errno.EACCES: "permission denied",
            errno.EPERM: "permission denied", errno.ENOENT: "the folder does not exist"}.get(
        exc.errno, exc.strerror or str(exc))


def write_atomic(path: str | Path, data: bytes) -> Path:
    """Write bytes via :func:`atomic_file`: a failed write never leaves half a file."""
    with atomic_file(path) as fh:
        fh.write(data)
    return Path(path)


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
        raise error(f"would unpack to {total / 1e6:.0f} MB, above the {max_total / 1e6:.0f} MB limit", file=file)
    for m in members:
        if m.compress_size and m.file_size / m.compress_size > MAX_ZIP_RATIO and m.file_size > 1_000_000:
            raise error(f"member {m.filename!r} is compressed {m.file_size // m.compress_size}:1 "
                        "(a zip bomb?)", file=file)
    return archive
