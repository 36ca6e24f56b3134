"""Reading ``project.qde`` without the database: the stream of a ``.qdpx`` import as plain
messages (see :mod:`workbench.exchange.refi.extract_process`, which can run this in a process
of its own while the importer writes to the database).

Top-level elements other than sources are passed on as XML (they are small) to be parsed again
where they are handled; each source becomes a :class:`SourceRecord`: its text, read from the
archive and decoded, and its selections already mapped onto our offsets and checked. Everything
here that can be refused is refused with the file and line, as the importer would."""
from __future__ import annotations

from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from workbench.corpus.text import text_sha256
from workbench.errors import InvalidExchangeFile
from workbench.exchange.refi.archive import Archive
from workbench.exchange.refi.qda_xml import (
    SOURCE_KINDS,
    child_named,
    descendants_named,
    iter_project,
    local_name,
    refi_guid,
)
from workbench.exchange.refi.selections import selection_mapper
from workbench.safety.untrusted import MAX_KEPT_ELEMENTS


def _ints() -> array:
    return array("q")


@dataclass
class CodingColumns:
    """A source's codings as read, one entry per coding in document order, kept column by column:
    a million codings cross the pipe from the reading process as a few arrays and lists per
    source, not as a million tuples to build, pickle and take apart again."""
    starts: array = field(default_factory=_ints)       # the selection's span, on our offsets
    ends: array = field(default_factory=_ints)
    lines: array = field(default_factory=_ints)        # where the coding is in project.qde
    targets: list[str] = field(default_factory=list)   # code GUID as written
    users: list[str | None] = field(default_factory=list)
    guids: list[str | None] = field(default_factory=list)   # lower case, without braces
    stamps: list[str | None] = field(default_factory=list)  # creation time as written
    # selections with notes: (index of the selection's first coding, index after its last, note GUIDs)
    notes: list[tuple[int, int, list[str]]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.targets)


@dataclass
class SourceRecord:
    """One source element as the importer needs it, with no lxml object in it."""
    kind: str
    name: str
    guid: str
    original_filename: str
    text: str | None = None             # None: not importable (reason says why)
    reason: str = ""
    file_hash: str = ""
    area_note: str = ""                 # a PDF's area selections, skipped
    unsupported: bool = False           # a kind not imported (media, a PDF without its text)
    codings_skipped: int = 0            # ... and how many codings it had
    note_refs: list[str] = field(default_factory=list)
    codings: CodingColumns = field(default_factory=CodingColumns)


Message = tuple      # ("project", tag, attributes) | ("element", name, xml, line) | ("source", SourceRecord)
#                      | ("progress", share)


TOP_LEVEL = ("Users", "CodeBook", "Variables", "Cases", "Sets", "Notes", "Description")


def messages(archive: Archive, file: str) -> Iterator[Message]:
    """The messages of ``archive``'s project.qde in document order: the Project's start, the
    top-level children the importer reads (:data:`TOP_LEVEL`) as XML, each source as a record,
    and the share of the file read, by the hundredth."""
    with archive.project_stream() as stream:
        counted = _Counting(stream, archive.project_size(), f"{file}:project.qde")
        root, origin, seen = None, "", {}
        for event, el in iter_project(counted, f"{file}:project.qde"):
            if counted.share is not None:
                yield "progress", counted.share
                counted.share = None
            if event == "start":
                root, origin = el, el.get("origin", "")
                counted.root = root
                yield "project", el.tag, dict(el.attrib)
                continue
            name, parent = local_name(el), el.getparent()
            if name in SOURCE_KINDS:
                if parent is not None and local_name(parent) == "Sources":
                    yield "source", read_source(el, archive, file, origin, seen)
                    _drop(el)
            elif parent is root:
                if name in TOP_LEVEL:
                    yield "element", name, etree.tostring(el), el.sourceline
                _drop(el)


def read_source(el, archive: Archive, file: str, origin: str, seen: dict[str, str]) -> SourceRecord:
    """A source element as a record; ``seen`` (GUID -> name) refuses a GUID used twice."""
    kind = local_name(el)
    path_name = Path((el.get("plainTextPath") or el.get("path") or "").split("://")[-1]).stem
    name = (el.get("name") or path_name or el.get("guid") or "").strip()
    if not el.get("guid"):
        raise InvalidExchangeFile(f"source {name or '(no name)'!r} has no guid; nothing was imported",
                                  file=file, line=el.sourceline)
    guid = refi_guid(el.get("guid"))
    if guid in seen:
        raise InvalidExchangeFile(f"source GUID {el.get('guid')} is used by two sources ({seen[guid]!r} and "
                                  f"{name!r}); nothing was imported", file=file, line=el.sourceline)
    seen[guid] = name
    text_el = child_named(el, "Representation") if kind == "PDFSource" else el
    record = SourceRecord(kind=kind, name=name, guid=el.get("guid"),
                          original_filename=el.get("path") or (text_el.get("plainTextPath", "")
                                                               if text_el is not None else ""),
                          note_refs=[r.get("targetGUID", "") for r in el.iterchildren("{*}NoteRef")])
    if kind == "PDFSource" and text_el is not None:
        # The PDF's text as the tool extracted it, with selections in it: imported as the
        # source's text. Selections drawn as areas on a page have no place in that text.
        areas = [c for c in el if local_name(c) in ("PDFSelection", "Coding")]
        lost = sum(1 if local_name(a) == "Coding" else len(descendants_named(a, "Coding")) for a in areas)
        if areas:
            record.area_note = (f"PDF source {name!r}: imported from the text the PDF tool extracted; "
                                f"{len(areas)} area selection(s) or whole-document codings and their "
                                f"{lost} coding(s) skipped (an area on a page has no place in the text)")
    elif kind != "TextSource":
        record.unsupported = True
        record.codings_skipped = len(descendants_named(el, "Coding"))
        return record
    raw, record.reason = archive.source_text(text_el.get("plainTextPath"))
    if raw is None:
        inline = child_named(text_el, "PlainTextContent")
        raw = inline.text if inline is not None and inline.text else None
    if raw is None:
        return record
    record.text, convert = selection_mapper(raw, origin)
    # two sources of a project may hold the same text: the GUID keeps their hashes apart
    record.file_hash = text_sha256(raw, prefix=f"refi:{el.get('guid')}:".encode())
    record.codings = read_selections(text_el, name, len(raw), convert, file)
    return record


def read_selections(el, src_name: str, raw_length: int, convert, file: str) -> CodingColumns:
    """The codings of a source element's text selections, spans mapped onto our offsets. The
    inner loop runs once per coding (a million in a large project): children are matched by their
    tag in the source's namespace before any other (a tag filter given to lxml is parsed again on
    every call), and repeated GUIDs and times are kept once (they are pickled when a child process
    reads)."""
    ns = el.tag[:el.tag.index("}") + 1] if el.tag.startswith("{") else ""
    q_sel, q_coding, q_ref, q_note = (ns + t for t in ("PlainTextSelection", "Coding", "CodeRef", "NoteRef"))
    once: dict = {}
    keep = once.setdefault
    out = CodingColumns()
    starts, ends, lines = out.starts.append, out.ends.append, out.lines.append
    targets, users, guids, stamps = out.targets.append, out.users.append, out.guids.append, out.stamps.append
    for sel in el:
        if sel.tag != q_sel and local_name(sel) != "PlainTextSelection":
            continue
        get = sel.get
        try:
            start, end = int(get("startPosition")), int(get("endPosition"))
        except (TypeError, ValueError) as exc:
            raise InvalidExchangeFile(f"selection {get('guid')} in source {src_name!r} has no valid start/end",
                                      file=file, line=sel.sourceline) from exc
        span = convert(start, end)
        if span is None or span[1] <= span[0]:
            raise InvalidExchangeFile(f"selection {get('guid')} [{start}, {end}) lies outside the text of source "
                                      f"{src_name!r} ({raw_length} characters) or is empty; nothing was imported",
                                      file=file, line=sel.sourceline)
        start, end = span
        user, stamp = get("creatingUser"), get("creationDateTime")
        first, notes = len(out.targets), []
        for child in sel:
            tag = child.tag
            if tag == q_coding or (tag != q_note and local_name(child) == "Coding"):
                target = ""
                for ref in child:
                    if ref.tag == q_ref or local_name(ref) == "CodeRef":
                        target = ref.get("targetGUID", "")
                        break
                attrib = child.get
                guid, by, when = attrib("guid"), attrib("creatingUser") or user, attrib("creationDateTime") or stamp
                starts(start)
                ends(end)
                lines(child.sourceline)
                targets(keep(target, target))
                users(keep(by, by))
                guids(guid.strip("{}").lower() if guid else None)
                stamps(keep(when, when))
            elif tag == q_note or local_name(child) == "NoteRef":
                notes.append(child.get("targetGUID", ""))
        if notes:
            out.notes.append((first, len(out.targets), notes))
    return out


def _drop(el) -> None:
    """Free a handled element and the siblings before it (the stream keeps the tree otherwise)."""
    el.clear(keep_tail=False)
    parent = el.getparent()
    while el.getprevious() is not None:
        del parent[0]


_CHECK_EVERY = 4 << 20     # bytes of XML between two counts of the elements kept in memory


class _Counting:
    """A reader that notes the share of ``total`` bytes read, each time it grew by a hundredth,
    and, once ``root`` is set, refuses the file when the tree being built keeps more than
    ``MAX_KEPT_ELEMENTS`` elements (counted in C by XPath every few megabytes: ~20 ms for a
    million)."""

    def __init__(self, stream, total: int, file: str = ""):
        self.stream, self.total, self.done, self.told, self.file = stream, max(total, 1), 0, 0.0, file
        self.share: float | None = None
        self.root = None
        self.next_check = _CHECK_EVERY

    def read(self, n: int = -1) -> bytes:
        chunk = self.stream.read(n)
        self.done += len(chunk)
        if self.done / self.total - self.told >= 0.01:
            self.share = self.told = min(self.done / self.total, 1.0)
        if self.root is not None and self.done >= self.next_check:
            self.next_check = self.done + _CHECK_EVERY
            kept = int(self.root.xpath("count(//*)"))
            if kept > MAX_KEPT_ELEMENTS:
                raise InvalidExchangeFile(
                    f"keeps more than {MAX_KEPT_ELEMENTS:,} XML elements unread at once (by byte {self.done:,}): "
                    "elements the workbench does not read, or one source with more than about 250,000 "
                    "codings; refused", file=self.file)
        return chunk
