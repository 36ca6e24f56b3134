"""Reading REFI-QDA: a ``.qdpx`` from NVivo, ATLAS.ti, MAXQDA, QualCoder, Taguette or the
workbench becomes a new project, in one transaction (all or nothing); a ``.qdc`` becomes a
codebook. GUIDs this database already uses are replaced, so a project can be imported into the
database it was exported from."""
from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from workbench.codebook.format import is_colour
from workbench.codebook.lookup import PALETTE
from workbench.corpus.cases import parse_value
from workbench.corpus.text import sha256
from workbench.db.models import (
    Attribute,
    AttributeType,
    AttributeValue,
    Case,
    Code,
    Codebook,
    Coder,
    Coding,
    CodingOrigin,
    Memo,
    Project,
    Segment,
    Source,
    SourceKind,
    new_guid,
)
from workbench.errors import InvalidExchangeFile, WorkbenchError
from workbench.exchange.refi.archive import MAX_QDPX_BYTES, Archive
from workbench.exchange.refi.qda_xml import (
    NS,
    child_named,
    children_named,
    descendants_named,
    local_name,
    parse_xml,
    refi_guid,
)
from workbench.exchange.refi.selections import selection_mapper
from workbench.exchange.refi.sets import import_sets
from workbench.exchange.refi.writer import ORIGIN


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
        g = refi_guid(guid).lower()
        if session.scalar(select(model.id).where(model.guid == g)) is None:
            return g
    return new_guid()


def _coder(session: Session, guid: str | None, names: dict[str, str], fallback: Coder) -> Coder:
    if not guid:
        return fallback
    guid = refi_guid(guid)
    coder = session.scalar(select(Coder).where(Coder.guid == guid.lower())) or \
        session.scalar(select(Coder).where(Coder.identity == f"refi:{guid}"))
    if coder is None:
        coder = Coder(name=names.get(guid, f"user {guid[:8]}"), identity=f"refi:{guid}", guid=guid.lower())
        session.add(coder)
        session.flush()
    return coder


def _import_codes(session: Session, codebook: Codebook, elements, parent: Code | None, by_guid: dict, file: str,
                  notes: list[str]) -> int:
    n = 0
    for pos, el in enumerate(elements):
        guid, name = el.get("guid"), el.get("name")
        if not guid or not name:
            raise InvalidExchangeFile("a Code has no guid or name", file=file, line=el.sourceline)
        if refi_guid(guid) in by_guid:
            raise InvalidExchangeFile(f"code GUID {guid} is used by two codes ({by_guid[refi_guid(guid)].name!r} and "
                                      f"{name.strip()!r}); nothing was imported", file=file, line=el.sourceline)
        color = el.get("color")
        if color and not is_colour(color):
            notes.append(f"code {name.strip()!r}: colour {color!r} is not #rrggbb; a palette colour was used")
            color = None
        description = child_named(el, "Description")
        code = Code(codebook_id=codebook.id, parent=parent, name=name.strip(), guid=refi_guid(guid).lower(),
                    color=color or PALETTE[len(by_guid) % len(PALETTE)],
                    definition=(description.text or "").strip() if description is not None else "", position=pos)
        session.add(code)
        session.flush()
        by_guid[refi_guid(guid)] = code
        n += 1 + _import_codes(session, codebook, children_named(el, "Code"), code, by_guid, file, notes)
    return n


def import_qdpx(session: Session, data: bytes, file: str, *, project_name: str | None = None,
                coder: Coder) -> ImportReport:
    """Import a ``.qdpx`` as a new project, in the caller's transaction (all or nothing)."""
    if len(data) > MAX_QDPX_BYTES:
        raise InvalidExchangeFile(f"is larger than {MAX_QDPX_BYTES // 2**30} GB", file=file)
    archive = Archive(data, file)
    root = parse_xml(archive.project_xml(), f"{file}:project.qde")
    if local_name(root) != "Project":
        raise InvalidExchangeFile("project.qde does not hold a Project", file=file)
    origin = root.get("origin", "")
    name = (project_name or root.get("name") or Path(file).stem).strip()
    if session.scalar(select(Project.id).where(Project.name == name)):
        name = f"{name} (imported {dt.date.today():%Y-%m-%d} {uuid.uuid4().hex[:4]})"
    description = child_named(root, "Description")
    project = Project(name=name, description=(description.text or "") if description is not None else "")
    session.add(project)
    session.flush()
    report = ImportReport(project.id)
    namespace = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
    if namespace != NS:             # read anyway (elements are matched by name), but said
        report.skipped.append(f"project.qde is in namespace {namespace or '(none)'!r}, not REFI-QDA's {NS!r}; "
                              "it was read as REFI-QDA")
    users = {refi_guid(u.get("guid", "")): u.get("name") or "" for u in descendants_named(root, "User")}
    for guid in users:                  # every user, also one who coded nothing (a second coder to come)
        if guid:
            _coder(session, guid, users, coder)
    codes: dict[str, Code] = {}
    codebook_el = child_named(root, "CodeBook")
    codes_el = child_named(codebook_el, "Codes") if codebook_el is not None else None
    top = children_named(codes_el, "Code") if codes_el is not None else []
    if origin.startswith(ORIGIN) and top and all(c.get("isCodable") == "false" for c in top):
        groups = [(c.get("name"), child_named(c, "Description"), children_named(c, "Code")) for c in top]   # our codebooks
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
        report.codes += _import_codes(session, codebook, elements, None, codes, file, report.skipped)
    variables = {}
    types = {"Text": AttributeType.text, "Boolean": AttributeType.boolean, "Integer": AttributeType.number,
             "Float": AttributeType.number, "Date": AttributeType.date, "DateTime": AttributeType.date}
    for pos, v in enumerate(descendants_named(root, "Variable")):
        if not v.get("guid"):
            raise InvalidExchangeFile(f"variable {v.get('name', '')!r} has no guid; nothing was imported", file=file,
                                      line=v.sourceline)
        attr = Attribute(project_id=project.id, name=v.get("name", "variable"), guid=_fresh(session, Attribute, v.get("guid")),
                         type=types.get(v.get("typeOfVariable", "Text"), AttributeType.text), position=pos)
        session.add(attr)
        variables[refi_guid(v.get("guid"))] = attr
    session.flush()
    memo_targets: dict[str, dict] = {}

    def note_refs(el, **target):
        for ref in children_named(el, "NoteRef"):
            memo_targets[refi_guid(ref.get("targetGUID", ""))] = target

    for el in descendants_named(root, "Code"):
        if el.get("guid") and refi_guid(el.get("guid")) in codes:
            note_refs(el, code_id=codes[refi_guid(el.get("guid"))].id)
    sources_el = child_named(root, "Sources")
    source_rows: dict[str, Source] = {}
    pending: list[dict] = []
    seen: set[tuple] = set()
    coder_ids: dict[str | None, int] = {}
    note_to_coding: dict[str, str] = {}
    now = dt.datetime.now(dt.timezone.utc)
    names_taken: set[str] = set()
    not_imported: dict[str, list] = {}        # kind -> [source names, their codings]
    for el in (list(sources_el) if sources_el is not None else []):
        kind = local_name(el)
        path_name = Path((el.get("plainTextPath") or "").split("://")[-1]).stem
        src_name = (el.get("name") or path_name or el.get("guid") or "").strip()
        if not el.get("guid"):
            raise InvalidExchangeFile(f"source {src_name or '(no name)'!r} has no guid; nothing was imported",
                                      file=file, line=el.sourceline)
        if refi_guid(el.get("guid")) in source_rows:
            raise InvalidExchangeFile(f"source GUID {el.get('guid')} is used by two sources "
                                      f"({source_rows[refi_guid(el.get('guid'))].name!r} and {src_name!r}); nothing "
                                      "was imported", file=file, line=el.sourceline)
        if kind != "TextSource":
            count = not_imported.setdefault(kind, [[], 0])
            count[0].append(src_name)
            count[1] += len(list(descendants_named(el, "Coding")))
            continue
        raw, reason = archive.source_text(el.get("plainTextPath"))
        if raw is None:
            inline = child_named(el, "PlainTextContent")
            raw = inline.text if inline is not None and inline.text else None
        if raw is None:
            report.skipped.append(f"source {src_name!r} {reason}")
            continue
        text, convert = selection_mapper(raw, origin)
        unique, k = src_name, 2
        while unique.casefold() in names_taken:         # two sources of one name: both kept, told apart
            unique, k = f"{src_name} ({k})", k + 1
        if unique != src_name:
            report.skipped.append(f"source {src_name!r}: a second source of that name is imported as {unique!r}")
        names_taken.add(unique.casefold())
        src_name = unique
        src = Source(project_id=project.id, name=src_name, guid=_fresh(session, Source, el.get("guid")),
                     kind=SourceKind.document,
                     format="refi", original_filename=el.get("plainTextPath", ""),
                     # two sources of a project may hold the same text: the GUID keeps their hashes apart
                     file_hash=sha256(f"refi:{el.get('guid')}:".encode() + raw.encode("utf-8")),
                     text=text, text_hash=sha256(text.encode("utf-8")))
        session.add(src)
        session.flush()
        # Paragraphs are the units of a document; inserted in bulk like codings (an object per
        # paragraph took half the import of a long source).
        paragraphs, pos = [], 0
        for para in re.split(r"(\n{2,})", text):
            if para and not para.startswith("\n"):
                paragraphs.append({"source_id": src.id, "idx": len(paragraphs), "start": pos, "end": pos + len(para)})
            pos += len(para)
        for i in range(0, len(paragraphs), 5000):
            session.execute(insert(Segment), paragraphs[i:i + 5000])
        source_rows[refi_guid(el.get("guid"))] = src
        report.sources += 1
        note_refs(el, source_id=src.id)
        for sel in children_named(el, "PlainTextSelection"):
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
            for coding_el in children_named(sel, "Coding"):
                ref = child_named(coding_el, "CodeRef")
                target = refi_guid(ref.get("targetGUID", "")) if ref is not None else ""
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
                guid = refi_guid(coding_el.get("guid") or new_guid()).lower()
                when = _when(coding_el.get("creationDateTime") or sel.get("creationDateTime")) or now
                pending.append({"source_id": src.id, "code_id": codes[target].id, "coder_id": coder_ids[user],
                                "start": span[0], "end": span[1], "origin": CodingOrigin.imported, "guid": guid,
                                "created_at": when, "updated_at": when})
                for ref_el in children_named(sel, "NoteRef"):
                    note_to_coding[refi_guid(ref_el.get("targetGUID", ""))] = guid
    for kind, (names, lost) in not_imported.items():
        what = kind.removesuffix("Source") or kind
        report.skipped.append(f"{len(names)} {what} source(s) and their {lost} coding(s) skipped: only text sources "
                              f"are imported ({', '.join(names[:5])}{' …' if len(names) > 5 else ''})")
    report.codings = _insert_codings(session, pending)
    by_guid = {}
    if note_to_coding:
        wanted = list(set(note_to_coding.values()))
        for i in range(0, len(wanted), 500):
            by_guid.update(session.execute(select(Coding.guid, Coding.id).where(Coding.guid.in_(wanted[i:i + 500]))).all())
    for note, guid in note_to_coding.items():
        if guid in by_guid:
            memo_targets[note] = {"coding_id": by_guid[guid]}
    for el in descendants_named(root, "Case"):
        case = Case(project_id=project.id, name=el.get("name") or el.get("guid"), guid=_fresh(session, Case, el.get("guid")))
        session.add(case)
        session.flush()
        report.cases += 1
        for ref in children_named(el, "SourceRef"):
            src = source_rows.get(refi_guid(ref.get("targetGUID", "")))
            if src is not None:
                src.case_id = case.id
        for vv in children_named(el, "VariableValue"):
            ref = child_named(vv, "VariableRef")
            attr = variables.get(refi_guid(ref.get("targetGUID", ""))) if ref is not None else None
            value_el = next((c for c in vv if local_name(c) != "VariableRef"), None)
            if attr is None or value_el is None or value_el.text is None:
                continue
            try:
                value = parse_value(value_el.text[:10] if attr.type is AttributeType.date else value_el.text, attr.type)
            except WorkbenchError:
                value = None
            if value is not None:
                column = {AttributeType.text: "text_value", AttributeType.number: "number_value",
                          AttributeType.boolean: "bool_value", AttributeType.date: "date_value"}[attr.type]
                session.add(AttributeValue(case_id=case.id, attribute_id=attr.id, **{column: value}))
    import_sets(session, project.id, root, source_rows, report.skipped)
    note_refs(root, project=True)
    for note in descendants_named(root, "Note"):
        content = child_named(note, "PlainTextContent")
        text = (content.text or "") if content is not None else ""
        if not text.strip():
            continue
        target = memo_targets.get(refi_guid(note.get("guid", "")), {})
        target = {k: v for k, v in target.items() if k != "project"}
        author = _coder(session, note.get("creatingUser"), users, coder)
        session.add(Memo(project_id=project.id, title=note.get("name") or "", text=text, coder_id=author.id,
                         guid=_fresh(session, Memo, note.get("guid")), **target))
        report.memos += 1
    session.flush()
    return report


def _when(value: str | None) -> dt.datetime | None:
    """A REFI-QDA creationDateTime (ISO 8601, often with Z), or None when absent or unreadable."""
    if not value:
        return None
    try:
        when = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def _insert_codings(session: Session, rows: list[dict]) -> int:
    """Insert codings in large batches; GUIDs this database already uses get new ones."""
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


def import_qdc(session: Session, project_id: int, data: bytes, file: str,
               notes: list[str] | None = None) -> Codebook:
    """Import a REFI-QDA codebook (``.qdc``) into a project; what was changed on the way (a
    colour that is not one) is added to ``notes``."""
    root = parse_xml(data, file)
    if local_name(root) != "CodeBook":
        raise InvalidExchangeFile("is not a REFI-QDA codebook (no CodeBook element)", file=file)
    name = Path(file).stem
    if session.scalar(select(Codebook.id).where(Codebook.project_id == project_id, Codebook.name == name)):
        raise InvalidExchangeFile(f"a codebook named {name!r} is already in the project", file=file)
    codebook = Codebook(project_id=project_id, name=name, source_file=Path(file).name,
                        description=f"Imported from {root.get('origin') or 'a REFI-QDA codebook'}")
    session.add(codebook)
    session.flush()
    codes_el = child_named(root, "Codes")
    _import_codes(session, codebook, children_named(codes_el, "Code") if codes_el is not None else [], None, {}, file,
                  notes if notes is not None else [])
    return codebook
