"""REFI-QDA exchange: projects as ``.qdpx`` and codebooks as ``.qdc`` (QDA-XML 1.0).

Export writes ``project.qde`` (valid against the published Project.xsd) and the plain texts
under ``sources/``. Import reads what NVivo, ATLAS.ti, MAXQDA, QualCoder and Taguette write,
on a hardened path: the archive is read in memory with size caps (nothing is extracted, so no
path can leave anything), ``absolute://`` and ``relative://`` sources are never followed, XML
with a DOCTYPE or entities is refused, and the whole import is one transaction.

Offsets: our offsets are code points into text with ``\\n`` line endings (NFC). The standard
says code points too, but NVivo counts UTF-16 units over CRLF text and ATLAS.ti counts CRLF
as one character: :func:`selection_mapper` converts each convention.
"""
from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from xml.sax.saxutils import escape

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..codebook import PALETTE
from ..errors import WorkbenchError
from ..models import (Attribute, AttributeType, AttributeValue, Case, Code, Codebook, Coder, Coding, CodingOrigin,
                      Memo, Project, Segment, Source, SourceKind, new_guid)
from ..safety import check_zip
from ..sources import sha256

NS = "urn:QDA-XML:project:1.0"
NS_CODEBOOK = "urn:QDA-XML:codebook:1.0"
MAX_QDPX_BYTES = 1024 ** 3
MAX_MEMBER_BYTES = 200 * 1024 * 1024        # one source text
MAX_PROJECT_XML_BYTES = 3 * 1024 ** 3       # project.qde: a million codings is ~0.5 GB of XML
MAX_UNPACKED_BYTES = 6 * 1024 ** 3
ORIGIN = "Interview workbench"
_TYPES = {AttributeType.text: "Text", AttributeType.number: "Float", AttributeType.boolean: "Boolean",
          AttributeType.date: "Date"}


class InvalidExchangeFile(WorkbenchError):
    """A QDPX/QDC file that cannot be imported safely or consistently."""


def _guid(value: str) -> str:
    return value.strip("{}").upper()


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _when(value: dt.datetime | None) -> str:
    if value is None:
        return _now()
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _attr(value) -> str:
    return escape(str(value), {'"': "&quot;"})


def _text(value) -> str:
    return escape(str(value))


# -- export ------------------------------------------------------------------------------------

def _codes_xml(codes: list[Code], memo_refs: dict[int, list[str]], out: list[str], indent: str) -> None:
    for code in codes:
        description = "\n\n".join(x for x in (code.definition, f"When to use: {code.when_to_use}" if code.when_to_use else "",
                                              f"When not to use: {code.when_not_to_use}" if code.when_not_to_use else "") if x)
        color = code.color if re.fullmatch(r"#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})", code.color or "") else None
        out.append(f'{indent}<Code guid="{_guid(code.guid)}" name="{_attr(code.name)}" isCodable="true"'
                   + (f' color="{color}"' if color else "") + ">")
        if description:
            out.append(f"{indent}  <Description>{_text(description)}</Description>")
        for note in memo_refs.get(code.id, []):
            out.append(f'{indent}  <NoteRef targetGUID="{note}"/>')
        _codes_xml(list(code.children), memo_refs, out, indent + "  ")
        out.append(f"{indent}</Code>")


def codebook_qdc(codebook: Codebook) -> bytes:
    """A codebook as REFI-QDA ``.qdc``."""
    out = ['<?xml version="1.0" encoding="utf-8"?>',
           f'<CodeBook xmlns="{NS_CODEBOOK}" origin="{ORIGIN}">', "  <Codes>"]
    _codes_xml([c for c in codebook.codes if c.parent_id is None], {}, out, "    ")
    out += ["  </Codes>", "</CodeBook>"]
    return "\n".join(out).encode("utf-8")


def export_qdpx(session: Session, project_id: int) -> bytes:
    """The whole project as a ``.qdpx`` archive (bytes)."""
    buf = io.BytesIO()
    write_qdpx(session, project_id, buf)
    return buf.getvalue()


def write_qdpx(session: Session, project_id: int, target) -> None:
    """Stream the project into a ``.qdpx`` (a path or a binary file object).

    Codings are read as plain rows in text order and written straight into the zip member,
    so a project with a million codings never holds them all as objects or one string.
    """
    project = session.get(Project, project_id)
    sources = list(session.scalars(select(Source).where(Source.project_id == project_id).order_by(Source.id)))
    books = list(session.scalars(select(Codebook).where(Codebook.project_id == project_id).order_by(Codebook.id)))
    memos = list(session.scalars(select(Memo).where(Memo.project_id == project_id).order_by(Memo.id)))
    coding_rows = (select(Coding.id, Coding.guid, Coding.source_id, Coding.start, Coding.end, Coding.coder_id,
                          Coding.created_at, Code.guid).join(Code, Code.id == Coding.code_id)
                   .join(Source, Source.id == Coding.source_id).where(Source.project_id == project_id)
                   .order_by(Coding.source_id, Coding.start, Coding.id))
    coder_ids = set(session.scalars(select(Coding.coder_id).join(Source).where(Source.project_id == project_id)
                                    .distinct())) | {m.coder_id for m in memos if m.coder_id}
    coders = list(session.scalars(select(Coder).where(Coder.id.in_(coder_ids or [-1]))))
    coder_guid = {c.id: _guid(c.guid) for c in coders}
    memo_guid = {m.id: _guid(m.guid) for m in memos}
    refs: dict[str, dict[int, list[str]]] = {"code": {}, "source": {}, "coding": {}}
    project_notes = []
    for m in memos:
        kind = m.target
        if kind == "project":
            project_notes.append(memo_guid[m.id])
        else:
            key = {"code": m.code_id, "source": m.source_id, "coding": m.coding_id}[kind]
            refs[kind].setdefault(key, []).append(memo_guid[m.id])

    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for src in sources:
            archive.writestr(f"sources/{_guid(src.guid)}.txt", src.text.encode("utf-8"))
        with archive.open("project.qde", "w", force_zip64=True) as raw:
            qde = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")

            def emit(lines: list[str]) -> None:
                qde.write("\n".join(lines) + "\n")
            emit(['<?xml version="1.0" encoding="utf-8"?>',
                  f'<Project xmlns="{NS}" name="{_attr(project.name)}" origin="{ORIGIN}" '
                  f'creationDateTime="{_when(project.created_at)}">'])
            out: list[str] = []
            if coders:
                out.append("  <Users>")
                out += [f'    <User guid="{coder_guid[c.id]}" name="{_attr(c.name)}"/>' for c in coders]
                out.append("  </Users>")
            if books:
                out += ["  <CodeBook>", "    <Codes>"]
                for cb in books:
                    # One top-level code per codebook keeps several codebooks apart in one tree.
                    out.append(f'      <Code guid="{_guid(cb.guid)}" name="{_attr(cb.name)}" isCodable="false">')
                    if cb.description:
                        out.append(f"        <Description>{_text(cb.description)}</Description>")
                    _codes_xml([c for c in cb.codes if c.parent_id is None], refs["code"], out, "        ")
                    out.append("      </Code>")
                out += ["    </Codes>", "  </CodeBook>"]
            out += _variables_and_cases(session, project_id, sources)
            emit(out)
            if sources:
                emit(["  <Sources>"])
                rows = session.execute(coding_rows).yield_per(20_000)
                pending = next(rows, None)
                for src in sources:
                    lines = [f'    <TextSource guid="{_guid(src.guid)}" name="{_attr(src.name)}" '
                             f'plainTextPath="internal://{_guid(src.guid)}.txt" creationDateTime="{_when(src.created_at)}">']
                    while pending is not None and pending[2] == src.id:
                        cid, cguid, _sid, start, end, coder_id, created, code_guid = pending
                        who, when = coder_guid[coder_id], _when(created)
                        selection = str(uuid.uuid5(uuid.UUID(cguid), "selection")).upper()
                        lines.append(f'      <PlainTextSelection guid="{selection}" startPosition="{start}" '
                                     f'endPosition="{end}" creatingUser="{who}" creationDateTime="{when}">')
                        lines.append(f'        <Coding guid="{_guid(cguid)}" creatingUser="{who}" creationDateTime="{when}">'
                                     f'<CodeRef targetGUID="{_guid(code_guid)}"/></Coding>')
                        lines += [f'        <NoteRef targetGUID="{g}"/>' for g in refs["coding"].get(cid, [])]
                        lines.append("      </PlainTextSelection>")
                        if len(lines) > 5000:
                            emit(lines)
                            lines = []
                        pending = next(rows, None)
                    lines += [f'      <NoteRef targetGUID="{g}"/>' for g in refs["source"].get(src.id, [])]
                    lines.append("    </TextSource>")
                    emit(lines)
                emit(["  </Sources>"])
            out = []
            if memos:
                out.append("  <Notes>")
                for m in memos:
                    creator = f' creatingUser="{coder_guid[m.coder_id]}"' if m.coder_id in coder_guid else ""
                    out.append(f'    <Note guid="{memo_guid[m.id]}" name="{_attr(m.title or "Memo")}"{creator} '
                               f'creationDateTime="{_when(m.created_at)}"><PlainTextContent>{_text(m.text)}'
                               "</PlainTextContent></Note>")
                out.append("  </Notes>")
            if project.description:
                out.append(f"  <Description>{_text(project.description)}</Description>")
            out += [f'  <NoteRef targetGUID="{g}"/>' for g in project_notes]
            out.append("</Project>")
            emit(out)
            qde.flush()
            qde.detach()


def _variables_and_cases(session: Session, project_id: int, sources: list[Source]) -> list[str]:
    out = []
    attributes = list(session.scalars(select(Attribute).where(Attribute.project_id == project_id)
                                      .order_by(Attribute.position, Attribute.id)))
    if attributes:
        out.append("  <Variables>")
        out += [f'    <Variable guid="{_guid(a.guid)}" name="{_attr(a.name)}" typeOfVariable="{_TYPES[a.type]}"/>'
                for a in attributes]
        out.append("  </Variables>")
    cases = list(session.scalars(select(Case).where(Case.project_id == project_id).order_by(Case.name)))
    if cases:
        out.append("  <Cases>")
        by_attr = {a.id: a for a in attributes}
        for case in cases:
            out.append(f'    <Case guid="{_guid(case.guid)}" name="{_attr(case.name)}">')
            for v in case.values:
                a = by_attr[v.attribute_id]
                value = {AttributeType.text: ("TextValue", v.text_value),
                         AttributeType.number: ("FloatValue", v.number_value),
                         AttributeType.boolean: ("BooleanValue", None if v.bool_value is None else str(v.bool_value).lower()),
                         AttributeType.date: ("DateValue", v.date_value.isoformat() if v.date_value else None)}[a.type]
                if value[1] is None:
                    continue
                out.append(f'      <VariableValue><VariableRef targetGUID="{_guid(a.guid)}"/>'
                           f"<{value[0]}>{_text(value[1])}</{value[0]}></VariableValue>")
            for src in sources:
                if src.case_id == case.id:
                    out.append(f'      <SourceRef targetGUID="{_guid(src.guid)}"/>')
            out.append("    </Case>")
        out.append("  </Cases>")
    return out


# -- reading safely ----------------------------------------------------------------------------

def parse_xml(data: bytes, file: str) -> etree._Element:
    """Parse untrusted XML: no DTD, no entities, no network, no huge trees."""
    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in data.lower():
        raise InvalidExchangeFile("contains a DOCTYPE or entity declarations; refused (entity expansion attacks)",
                                  file=file)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True)
    try:
        return etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise InvalidExchangeFile(f"is not well-formed XML ({exc.msg})", file=file, line=exc.lineno) from exc


def _local(el) -> str:
    return el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""


def _children(el, name: str):
    return [c for c in el if _local(c) == name]


def _child(el, name: str):
    found = _children(el, name)
    return found[0] if found else None


def _walk(el, name: str):
    return [c for c in el.iter() if _local(c) == name]


class _Archive:
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
        return self.zip.read(info)

    def project_xml(self) -> bytes:
        for name in ("project.qde",):
            data = self.read(name, MAX_PROJECT_XML_BYTES)
            if data is not None:
                return data
        raise InvalidExchangeFile("has no project.qde", file=self.file)

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
                return data.decode("utf-8-sig"), ""
        return None, f"names {name!r}, which is not in the archive"


# -- offsets -----------------------------------------------------------------------------------

def normalise_exact(raw: str) -> tuple[str, list[int]]:
    """``(text, index)``: newlines to ``\\n`` and NFC, with ``index[i]`` = position in the new
    text of raw code point ``i`` (and ``index[len(raw)]`` = its length)."""
    out: list[str] = []
    index: list[int] = []
    pos = 0
    i = 0
    n = len(raw)
    while i < n:
        ch = raw[i]
        if ch == "\r":
            index.append(pos)
            if i + 1 < n and raw[i + 1] == "\n":
                index.append(pos)
                i += 1
            out.append("\n")
            pos += 1
            i += 1
            continue
        j = i + 1                                  # a starter and its combining marks compose together
        while j < n and unicodedata.combining(raw[j]):
            j += 1
        composed = unicodedata.normalize("NFC", raw[i:j])
        for k in range(i, j):          # a position inside a cluster that composed shorter clamps into it
            index.append(pos + min(k - i, len(composed)))
        out.append(composed)
        pos += len(composed)
        i = j
    index.append(pos)
    return "".join(out), index


def selection_mapper(raw: str, origin: str):
    """A function from the file's (start, end) to code points of the normalised text."""
    text, index = normalise_exact(raw)
    origin = (origin or "").lower()
    if "nvivo" in origin:
        # UTF-16 code units over the raw (CRLF) text
        u16_to_raw = []
        for k, ch in enumerate(raw):
            u16_to_raw.append(k)
            if ord(ch) > 0xFFFF:
                u16_to_raw.append(k)
        u16_to_raw.append(len(raw))

        def raw_pos(p: int) -> int:
            return u16_to_raw[p] if 0 <= p < len(u16_to_raw) else -1
    elif "atlas" in origin:
        # CRLF counts as one character
        crlf_to_raw = []
        k = 0
        while k < len(raw):
            crlf_to_raw.append(k)
            k += 2 if raw.startswith("\r\n", k) else 1
        crlf_to_raw.append(len(raw))

        def raw_pos(p: int) -> int:
            return crlf_to_raw[p] if 0 <= p < len(crlf_to_raw) else -1
    else:
        def raw_pos(p: int) -> int:
            return p if 0 <= p <= len(raw) else -1

    def convert(start: int, end: int) -> tuple[int, int] | None:
        a, b = raw_pos(start), raw_pos(end)
        if a < 0 or b < 0:
            return None
        return index[a], index[b]
    return text, convert


# -- import ------------------------------------------------------------------------------------

@dataclass
class ImportReport:
    project_id: int
    sources: int = 0
    codes: int = 0
    codings: int = 0
    cases: int = 0
    memos: int = 0
    skipped: list[str] = field(default_factory=list)


def _fresh(session: Session, model, guid: str | None) -> str:
    """The file's GUID when this database does not use it yet; a new one otherwise (an import
    of a project exported from this same database must not collide with the original)."""
    if guid:
        g = _guid(guid).lower()
        if session.scalar(select(model.id).where(model.guid == g)) is None:
            return g
    return new_guid()


def _coder(session: Session, guid: str | None, names: dict[str, str], fallback: Coder) -> Coder:
    if not guid:
        return fallback
    guid = _guid(guid)
    coder = session.scalar(select(Coder).where(Coder.guid == guid.lower())) or \
        session.scalar(select(Coder).where(Coder.identity == f"refi:{guid}"))
    if coder is None:
        coder = Coder(name=names.get(guid, f"user {guid[:8]}"), identity=f"refi:{guid}", guid=guid.lower())
        session.add(coder)
        session.flush()
    return coder


def _import_codes(session: Session, codebook: Codebook, elements, parent: Code | None, by_guid: dict, file: str) -> int:
    n = 0
    for pos, el in enumerate(elements):
        guid, name = el.get("guid"), el.get("name")
        if not guid or not name:
            raise InvalidExchangeFile("a Code has no guid or name", file=file, line=el.sourceline)
        description = _child(el, "Description")
        code = Code(codebook_id=codebook.id, parent=parent, name=name.strip(), guid=_guid(guid).lower(),
                    color=el.get("color") or PALETTE[len(by_guid) % len(PALETTE)],
                    definition=(description.text or "").strip() if description is not None else "", position=pos)
        session.add(code)
        session.flush()
        by_guid[_guid(guid)] = code
        n += 1 + _import_codes(session, codebook, _children(el, "Code"), code, by_guid, file)
    return n


def import_qdpx(session: Session, data: bytes, file: str, *, project_name: str | None = None,
                coder: Coder) -> ImportReport:
    """Import a ``.qdpx`` as a new project, in the caller's transaction (all or nothing)."""
    if len(data) > MAX_QDPX_BYTES:
        raise InvalidExchangeFile(f"is larger than {MAX_QDPX_BYTES // 2**30} GB", file=file)
    archive = _Archive(data, file)
    root = parse_xml(archive.project_xml(), f"{file}:project.qde")
    if _local(root) != "Project":
        raise InvalidExchangeFile("project.qde does not hold a Project", file=file)
    origin = root.get("origin", "")
    name = (project_name or root.get("name") or Path(file).stem).strip()
    if session.scalar(select(Project.id).where(Project.name == name)):
        name = f"{name} (imported {dt.date.today():%Y-%m-%d} {uuid.uuid4().hex[:4]})"
    description = _child(root, "Description")
    project = Project(name=name, description=(description.text or "") if description is not None else "")
    session.add(project)
    session.flush()
    report = ImportReport(project.id)
    users = {_guid(u.get("guid", "")): u.get("name") or "" for u in _walk(root, "User")}
    codes: dict[str, Code] = {}
    codebook_el = _child(root, "CodeBook")
    codes_el = _child(codebook_el, "Codes") if codebook_el is not None else None
    top = _children(codes_el, "Code") if codes_el is not None else []
    if origin.startswith(ORIGIN) and top and all(c.get("isCodable") == "false" for c in top):
        groups = [(c.get("name"), _child(c, "Description"), _children(c, "Code")) for c in top]   # our codebooks
    elif top:
        groups = [(f"{name} codebook", None, top)]
    else:
        groups = []
    for book_name, book_description, elements in groups:
        codebook = Codebook(project_id=project.id, name=book_name, guid=new_guid(), source_file=Path(file).name,
                            description=(book_description.text or "") if book_description is not None
                            else f"Imported from {origin or 'a REFI-QDA file'}")
        session.add(codebook)
        session.flush()
        report.codes += _import_codes(session, codebook, elements, None, codes, file)
    variables = {}
    types = {"Text": AttributeType.text, "Boolean": AttributeType.boolean, "Integer": AttributeType.number,
             "Float": AttributeType.number, "Date": AttributeType.date, "DateTime": AttributeType.date}
    for pos, v in enumerate(_walk(root, "Variable")):
        attr = Attribute(project_id=project.id, name=v.get("name", "variable"), guid=_fresh(session, Attribute, v.get("guid")),
                         type=types.get(v.get("typeOfVariable", "Text"), AttributeType.text), position=pos)
        session.add(attr)
        variables[_guid(v.get("guid"))] = attr
    session.flush()
    memo_targets: dict[str, dict] = {}

    def note_refs(el, **target):
        for ref in _children(el, "NoteRef"):
            memo_targets[_guid(ref.get("targetGUID", ""))] = target

    for el in _walk(root, "Code"):
        if el.get("guid") and _guid(el.get("guid")) in codes:
            note_refs(el, code_id=codes[_guid(el.get("guid"))].id)
    sources_el = _child(root, "Sources")
    source_rows: dict[str, Source] = {}
    pending: list[dict] = []
    seen: set[tuple] = set()
    coder_ids: dict[str | None, int] = {}
    note_to_coding: dict[str, str] = {}
    now = dt.datetime.now(dt.timezone.utc)
    for el in (list(sources_el) if sources_el is not None else []):
        kind = _local(el)
        src_name = el.get("name") or el.get("guid")
        if kind != "TextSource":
            report.skipped.append(f"source {src_name!r}: {kind} is not imported (text sources only)")
            continue
        raw, reason = archive.source_text(el.get("plainTextPath"))
        if raw is None:
            inline = _child(el, "PlainTextContent")
            raw = inline.text if inline is not None and inline.text else None
        if raw is None:
            report.skipped.append(f"source {src_name!r} {reason}")
            continue
        text, convert = selection_mapper(raw, origin)
        src = Source(project_id=project.id, name=src_name, guid=_fresh(session, Source, el.get("guid")),
                     kind=SourceKind.document,
                     format="refi", original_filename=el.get("plainTextPath", ""),
                     # two sources of a project may hold the same text: the GUID keeps their hashes apart
                     file_hash=sha256(f"refi:{el.get('guid')}:".encode() + raw.encode("utf-8")),
                     text=text, text_hash=sha256(text.encode("utf-8")))
        session.add(src)
        session.flush()
        pos, idx = 0, 0
        for para in re.split(r"(\n{2,})", text):          # paragraphs are the units of a document
            if para and not para.startswith("\n"):
                session.add(Segment(source_id=src.id, idx=idx, start=pos, end=pos + len(para)))
                idx += 1
            pos += len(para)
        source_rows[_guid(el.get("guid"))] = src
        report.sources += 1
        note_refs(el, source_id=src.id)
        for sel in _children(el, "PlainTextSelection"):
            try:
                start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
            except (TypeError, ValueError) as exc:
                raise InvalidExchangeFile(f"selection {sel.get('guid')} in source {src_name!r} has no valid "
                                          "start/end", file=file, line=sel.sourceline) from exc
            span = convert(start, end)
            if span is None or span[1] <= span[0]:
                raise InvalidExchangeFile(f"selection {sel.get('guid')} [{start}, {end}) lies outside the text of "
                                          f"source {src_name!r} ({len(raw)} characters) or is empty; nothing was "
                                          "imported", file=file, line=sel.sourceline)
            for coding_el in _children(sel, "Coding"):
                ref = _child(coding_el, "CodeRef")
                target = _guid(ref.get("targetGUID", "")) if ref is not None else ""
                if target not in codes:
                    raise InvalidExchangeFile(f"a coding in source {src_name!r} refers to code {target or '(none)'}, "
                                              "which the codebook does not have; nothing was imported",
                                              file=file, line=coding_el.sourceline)
                user = coding_el.get("creatingUser") or sel.get("creatingUser")
                if user not in coder_ids:
                    coder_ids[user] = _coder(session, user, users, coder).id
                key = (src.id, codes[target].id, coder_ids[user], span[0], span[1])
                if key in seen:              # one coder, one code, one span: one coding
                    continue
                seen.add(key)
                guid = _guid(coding_el.get("guid") or new_guid()).lower()
                pending.append({"source_id": src.id, "code_id": codes[target].id, "coder_id": coder_ids[user],
                                "start": span[0], "end": span[1], "origin": CodingOrigin.imported, "guid": guid,
                                "created_at": now, "updated_at": now})
                for ref_el in _children(sel, "NoteRef"):
                    note_to_coding[_guid(ref_el.get("targetGUID", ""))] = guid
    report.codings = _insert_codings(session, pending)
    by_guid = {}
    if note_to_coding:
        wanted = list(set(note_to_coding.values()))
        for i in range(0, len(wanted), 500):
            by_guid.update(session.execute(select(Coding.guid, Coding.id).where(Coding.guid.in_(wanted[i:i + 500]))).all())
    for note, guid in note_to_coding.items():
        if guid in by_guid:
            memo_targets[note] = {"coding_id": by_guid[guid]}
    for el in _walk(root, "Case"):
        case = Case(project_id=project.id, name=el.get("name") or el.get("guid"), guid=_fresh(session, Case, el.get("guid")))
        session.add(case)
        session.flush()
        report.cases += 1
        for ref in _children(el, "SourceRef"):
            src = source_rows.get(_guid(ref.get("targetGUID", "")))
            if src is not None:
                src.case_id = case.id
        for vv in _children(el, "VariableValue"):
            ref = _child(vv, "VariableRef")
            attr = variables.get(_guid(ref.get("targetGUID", ""))) if ref is not None else None
            value_el = next((c for c in vv if _local(c) != "VariableRef"), None)
            if attr is None or value_el is None or value_el.text is None:
                continue
            from ..cases import parse_value
            try:
                value = parse_value(value_el.text[:10] if attr.type is AttributeType.date else value_el.text, attr.type)
            except WorkbenchError:
                value = None
            if value is not None:
                column = {AttributeType.text: "text_value", AttributeType.number: "number_value",
                          AttributeType.boolean: "bool_value", AttributeType.date: "date_value"}[attr.type]
                session.add(AttributeValue(case_id=case.id, attribute_id=attr.id, **{column: value}))
    note_refs(root, project=True)
    for note in _walk(root, "Note"):
        content = _child(note, "PlainTextContent")
        text = (content.text or "") if content is not None else ""
        if not text.strip():
            continue
        target = memo_targets.get(_guid(note.get("guid", "")), {})
        target = {k: v for k, v in target.items() if k != "project"}
        author = _coder(session, note.get("creatingUser"), users, coder)
        session.add(Memo(project_id=project.id, title=note.get("name") or "", text=text, coder_id=author.id,
                         guid=_fresh(session, Memo, note.get("guid")), **target))
        report.memos += 1
    session.flush()
    return report


def _insert_codings(session: Session, rows: list[dict]) -> int:
    """Insert codings in large batches; GUIDs this database already uses get new ones."""
    from sqlalchemy import insert
    guids = [r["guid"] for r in rows]
    taken: set[str] = set()
    for i in range(0, len(guids), 500):
        taken.update(session.scalars(select(Coding.guid).where(Coding.guid.in_(guids[i:i + 500]))))
    for r in rows:
        if r["guid"] in taken:
            r["guid"] = new_guid()
    for i in range(0, len(rows), 10_000):
        session.execute(insert(Coding), rows[i:i + 10_000])
    return len(rows)


def import_qdc(session: Session, project_id: int, data: bytes, file: str) -> Codebook:
    """Import a REFI-QDA codebook (``.qdc``) into a project."""
    root = parse_xml(data, file)
    if _local(root) != "CodeBook":
        raise InvalidExchangeFile("is not a REFI-QDA codebook (no CodeBook element)", file=file)
    name = Path(file).stem
    if session.scalar(select(Codebook.id).where(Codebook.project_id == project_id, Codebook.name == name)):
        raise InvalidExchangeFile(f"a codebook named {name!r} is already in the project", file=file)
    codebook = Codebook(project_id=project_id, name=name, source_file=Path(file).name,
                        description=f"Imported from {root.get('origin') or 'a REFI-QDA codebook'}")
    session.add(codebook)
    session.flush()
    codes_el = _child(root, "Codes")
    _import_codes(session, codebook, _children(codes_el, "Code") if codes_el is not None else [], None, {}, file)
    return codebook
