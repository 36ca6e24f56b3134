"""Files the workbench writes are whole or absent: a temporary sibling, fsync, rename.

Every export goes through :func:`atomic_file`; an operating-system error (a full disk, a
read-only folder) becomes :class:`CannotWrite` naming the file and the reason, and an earlier
file of the same name is left as it was.
"""
from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from workbench.errors import CannotWrite


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
