"""A QDPX archive read on the hardened path: in memory (nothing is extracted), size caps per
member and in total, unsafe member paths refused, ``absolute://`` and ``relative://`` sources
never followed."""
from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import PurePosixPath

from workbench.corpus.text import decode_text
from workbench.errors import InvalidExchangeFile, InvalidSource
from workbench.safety.untrusted import (
    MAX_MEMBER_BYTES,
    MAX_PROJECT_XML_BYTES,
    MAX_UNPACKED_BYTES,
    MEMBER_DAMAGE,
    check_zip,
    damaged_member,
    read_member,
)


class Archive:
    """Members of a QDPX, read in memory with case-insensitive names and size caps."""

    def __init__(self, data: bytes, file: str):
        self.file = file
        self.zip = check_zip(data, file, InvalidExchangeFile, max_total=MAX_UNPACKED_BYTES)
        self.members = {}
        for info in self.zip.infolist():
            name = info.filename
            pure = PurePosixPath(name.replace("\\", "/"))
            if pure.is_absolute() or ".." in pure.parts or re.match(r"^[A-Za-z]:", name):
                raise InvalidExchangeFile(f"holds a member with an unsafe path {name!r}; refused", file=file)
            self.members[str(pure).lower()] = info

    def read(self, name: str, limit: int = MAX_MEMBER_BYTES) -> bytes | None:
        info = self.members.get(name.lower())
        if info is None:
            return None
        if info.file_size > limit:
            raise InvalidExchangeFile(f"member {info.filename!r} is larger than {limit // 2**20} MB", file=self.file)
        return read_member(self.zip, info, self.file, InvalidExchangeFile)

    def _project_info(self):
        info = self.members.get("project.qde")
        if info is None:
            raise InvalidExchangeFile("has no project.qde", file=self.file)
        if info.file_size > MAX_PROJECT_XML_BYTES:
            raise InvalidExchangeFile(f"member {info.filename!r} is larger than {MAX_PROJECT_XML_BYTES // 2**20} MB",
                                      file=self.file)
        return info

    def project_size(self) -> int:
        """How many bytes ``project.qde`` unpacks to (as the archive declares, which caps the read)."""
        return self._project_info().file_size

    @contextmanager
    def project_stream(self):
        """``project.qde`` as a stream to parse while it unpacks; a damaged member becomes
        InvalidExchangeFile as it is read, like :meth:`read`."""
        info = self._project_info()
        try:
            stream = self.zip.open(info)     # reads the member's local header: damage shows here too
        except MEMBER_DAMAGE as exc:
            raise damaged_member(info.filename, exc, self.file, InvalidExchangeFile) from exc
        with stream:
            yield _Checked(stream, info.filename, self.file)

    def source_text(self, path: str | None) -> tuple[str | None, str]:
        """The text behind a ``plainTextPath``; ``(None, reason)`` when it is not to be read."""
        if not path:
            return None, "has no plain text"
        if path.startswith("absolute://") or path.startswith("relative://"):
            return None, f"points outside the archive ({path.split('://')[0]}://); not followed"
        name = path.removeprefix("internal://")
        pure = PurePosixPath(name.replace("\\", "/"))
        if pure.is_absolute() or ".." in pure.parts or "/" in name.strip("/"):
            return None, f"has an unsafe path {path!r}; not followed"
        for folder in ("sources/", ""):
            data = self.read(folder + name)
            if data is not None:
                # The standard says UTF-8; NVivo writes UTF-16 with a byte-order mark. Anything
                # else is refused with the offset, never guessed (mangled accents in quotes).
                try:
                    return decode_text(data, f"{self.file}:{folder}{name}", suggest=False), ""
                except InvalidSource as exc:
                    raise InvalidExchangeFile(exc.message + "; a REFI-QDA source text must be UTF-8 (or UTF-16 "
                                              "with a byte-order mark); nothing was imported", file=exc.file,
                                              offset=exc.offset) from exc
        return None, f"names {name!r}, which is not in the archive"


class _Checked:
    """A member's stream whose read errors (bad CRC, broken compressed data) name the member."""

    def __init__(self, stream, member: str, file: str):
        self.stream, self.member, self.file = stream, member, file

    def read(self, n: int = -1) -> bytes:
        try:
            return self.stream.read(n)
        except MEMBER_DAMAGE as exc:
            raise damaged_member(self.member, exc, self.file, InvalidExchangeFile) from exc
