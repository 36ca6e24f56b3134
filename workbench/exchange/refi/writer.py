"""Writing REFI-QDA: the project as ``.qdpx`` (``project.qde`` valid against the published
Project.xsd, plain texts under ``sources/``, streamed) and a codebook as ``.qdc``."""
from __future__ import annotations

import io
import re
import uuid
import zipfile

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.db.models import (
    Attribute,
    AttributeType,
    AttributeValue,
    Case,
    Code,
    Codebook,
    Coder,
    Coding,
    Memo,
    Project,
    Source,
)
from workbench.exchange.refi.qda_xml import NS, NS_CODEBOOK, refi_guid, when_text
from workbench.safety.sanitise import xml_text

ORIGIN = "Interview workbench"

_TYPES = {AttributeType.text: "Text", AttributeType.number: "Float", AttributeType.boolean: "Boolean",
          AttributeType.date: "Date"}


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _clean(attrs: dict) -> dict:
    """Attribute values as XML can hold them (control characters out; lxml escapes the rest)."""
    return {k: xml_text(v) for k, v in attrs.items() if v is not None}


def _element(tag: str, attrs: dict | None = None, text=None, ns: str = NS) -> etree._Element:
    """A subtree root to hand to the writer: lxml escapes every value and refuses what XML
    cannot hold, so no text in the project can make an invalid file."""
    el = etree.Element(f"{{{ns}}}{tag}", _clean(attrs or {}), nsmap={None: ns})
    if text is not None:
        el.text = xml_text(text)
    return el


def _sub(parent, tag: str, attrs: dict | None = None, text=None) -> etree._Element:
    el = etree.SubElement(parent, f"{{{etree.QName(parent).namespace}}}{tag}", _clean(attrs or {}))
    if text is not None:
        el.text = xml_text(text)
    return el


def _codes(parent, codes: list[Code], memo_refs: dict[int, list[str]]) -> None:
    for code in codes:
        description = "\n\n".join(x for x in (code.definition, f"When to use: {code.when_to_use}" if code.when_to_use else "",
                                              f"When not to use: {code.when_not_to_use}" if code.when_not_to_use else "") if x)
        color = code.color if re.fullmatch(r"#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})", code.color or "") else None
        el = _sub(parent, "Code", {"guid": refi_guid(code.guid), "name": code.name, "isCodable": "true", "color": color})
        if description:
            _sub(el, "Description", text=description)
        for note in memo_refs.get(code.id, []):
            _sub(el, "NoteRef", {"targetGUID": note})
        _codes(el, list(code.children), memo_refs)


def codebook_qdc(codebook: Codebook) -> bytes:
    """A codebook as REFI-QDA ``.qdc``."""
    root = _element("CodeBook", {"origin": ORIGIN}, ns=NS_CODEBOOK)
    _codes(_sub(root, "Codes"), [c for c in codebook.codes if c.parent_id is None], {})
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


def export_qdpx(session: Session, project_id: int) -> bytes:
    """The whole project as a ``.qdpx`` archive (bytes)."""
    buf = io.BytesIO()
    write_qdpx(session, project_id, buf)
    return buf.getvalue()


def write_qdpx(session: Session, project_id: int, target) -> None:
    """Stream the project into a ``.qdpx`` (a path or a binary file object).

    ``project.qde`` is written by lxml's incremental writer: the small parts (users, codebook,
    cases, notes) as element trees, the codings as they are read - plain rows in text order, so a
    project with a million codings never holds them all as objects or one string.
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
    coder_guid = {c.id: refi_guid(c.guid) for c in coders}
    memo_guid = {m.id: refi_guid(m.guid) for m in memos}
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
            archive.writestr(f"sources/{refi_guid(src.guid)}.txt", src.text.encode("utf-8"))
        with archive.open("project.qde", "w", force_zip64=True) as raw, etree.xmlfile(raw, encoding="utf-8") as xf:
            xf.write_declaration()
            with xf.element(_q("Project"), _clean({"name": project.name, "origin": ORIGIN,
                                                  "creationDateTime": when_text(project.created_at)}),
                            nsmap={None: NS}):
                if coders:
                    users = _element("Users")
                    for c in coders:
                        _sub(users, "User", {"guid": coder_guid[c.id], "name": c.name})
                    xf.write(users)
                if books:
                    codebook = _element("CodeBook")
                    codes = _sub(codebook, "Codes")
                    for cb in books:
                        # One top-level code per codebook keeps several codebooks apart in one tree.
                        top = _sub(codes, "Code", {"guid": refi_guid(cb.guid), "name": cb.name, "isCodable": "false"})
                        if cb.description:
                            _sub(top, "Description", text=cb.description)
                        _codes(top, [c for c in cb.codes if c.parent_id is None], refs["code"])
                    xf.write(codebook)
                for part in _variables_and_cases(session, project_id, sources):
                    xf.write(part)
                if sources:
                    with xf.element(_q("Sources")):
                        _write_sources(session, xf, sources, coding_rows, coder_guid, refs)
                if memos:
                    notes = _element("Notes")
                    for m in memos:
                        note = _sub(notes, "Note", {"guid": memo_guid[m.id], "name": m.title or "Memo",
                                                    "creatingUser": coder_guid.get(m.coder_id),
                                                    "creationDateTime": when_text(m.created_at)})
                        _sub(note, "PlainTextContent", text=m.text)
                    xf.write(notes)
                sets = _sets(session, project_id, sources)
                if sets is not None:
                    xf.write(sets)
                if project.description:
                    xf.write(_element("Description", text=project.description))
                for g in project_notes:
                    xf.write(_element("NoteRef", {"targetGUID": g}))


_SELECTION, _CODING, _CODE_REF, _NOTE_REF = _q("PlainTextSelection"), _q("Coding"), _q("CodeRef"), _q("NoteRef")
_NSMAP = {None: NS}


def _write_sources(session: Session, xf, sources: list[Source], coding_rows, coder_guid: dict[int, str],
                   refs: dict[str, dict[int, list[str]]]) -> None:
    """Each source with its codings, one selection per coding, written as they are read. The
    values of a selection are GUIDs, numbers and times (nothing to clean), so its elements are made
    directly: this loop runs once per coding."""
    rows = session.execute(coding_rows).yield_per(20_000)
    pending = next(rows, None)
    sub = etree.SubElement
    for src in sources:
        # A source's selections are built as one tree and written in one call (lxml serialises
        # it in C), flushed every few thousand codings so that a huge source stays small in memory.
        attrs = _clean({"guid": refi_guid(src.guid), "name": src.name,
                        "plainTextPath": f"internal://{refi_guid(src.guid)}.txt",
                        "creationDateTime": when_text(src.created_at)})
        with xf.element(_q("TextSource"), attrs):
            batch = etree.Element(_q("Batch"), nsmap=_NSMAP)
            while pending is not None and pending[2] == src.id:
                cid, cguid, _sid, start, end, coder_id, created, code_guid = pending
                who, when = coder_guid[coder_id], when_text(created)
                selection = sub(batch, _SELECTION, {
                    "guid": str(uuid.uuid5(uuid.UUID(cguid), "selection")).upper(), "startPosition": str(start),
                    "endPosition": str(end), "creatingUser": who, "creationDateTime": when})
                coding = sub(selection, _CODING, {"guid": cguid.upper(), "creatingUser": who, "creationDateTime": when})
                sub(coding, _CODE_REF, {"targetGUID": code_guid.upper()})
                for g in refs["coding"].get(cid, ()):
                    sub(selection, _NOTE_REF, {"targetGUID": g})
                if len(batch) >= 5000:
                    _flush(xf, batch)
                    batch = etree.Element(_q("Batch"), nsmap=_NSMAP)
                pending = next(rows, None)
            _flush(xf, batch)
            for g in refs["source"].get(src.id, []):
                xf.write(_element("NoteRef", {"targetGUID": g}))


def _flush(xf, batch) -> None:
    """Write the children of a holder element (the holder itself is not part of the file)."""
    for child in batch:
        xf.write(child)


MAX_SET_VALUES = 20      # an attribute with more distinct values (a size, a date) is not a grouping


def _number_text(number: float) -> str:
    """A number as it reads back exactly: 42 for 42.0, the shortest round-trip form otherwise."""
    return str(int(number)) if float(number).is_integer() and abs(number) < 1e15 else repr(float(number))


def _sets(session: Session, project_id: int, sources: list[Source]):
    """Case attributes as Sets named "name: value" holding the sources of the cases with that
    value: ATLAS.ti shows them as document groups, MAXQDA as sets (both ignore Cases), and our
    reader turns them back into the same attribute values."""
    cases = {src.case_id for src in sources if src.case_id is not None}
    if not cases:
        return None
    rows = session.execute(select(Attribute, AttributeValue.case_id, AttributeValue.text_value,
                                  AttributeValue.number_value, AttributeValue.bool_value)
                           .join(AttributeValue, AttributeValue.attribute_id == Attribute.id)
                           .where(Attribute.project_id == project_id,
                                  Attribute.type.in_([AttributeType.text, AttributeType.number,
                                                      AttributeType.boolean]))
                           .order_by(Attribute.position, Attribute.id)).all()
    groups: dict[tuple, set[int]] = {}
    for attr, case_id, text, number, flag in rows:
        value = text if attr.type is AttributeType.text else (
            None if number is None else _number_text(number)) if attr.type is AttributeType.number else (
            None if flag is None else str(flag).lower())
        # Only what reads back as the same "name: value" (no colon in the name, one line, the
        # reader's lengths); any other attribute travels in Variables alone.
        if value is None or not value.strip() or case_id not in cases or ":" in attr.name \
                or len(attr.name.strip()) > 60 or len(value.strip()) > 200 or "\n" in value:
            continue
        groups.setdefault((attr.position, attr.id, attr.name, attr.guid, value), set()).add(case_id)
    per_attribute: dict[int, int] = {}
    for _, attr_id, *_rest in groups:
        per_attribute[attr_id] = per_attribute.get(attr_id, 0) + 1
    holder = _element("Sets")
    for (_, attr_id, name, attr_guid, value), members in sorted(groups.items(), key=lambda g: g[0][:2] + (g[0][4],)):
        if per_attribute[attr_id] > MAX_SET_VALUES:
            continue
        # The same attribute value gets the same GUID in every export (a re-import recognises it).
        guid = str(uuid.uuid5(uuid.UUID(attr_guid), value)).upper()
        el = _sub(holder, "Set", {"guid": guid, "name": f"{name}: {value}"})
        for src in sources:
            if src.case_id in members:
                _sub(el, "MemberSource", {"targetGUID": refi_guid(src.guid)})
    return holder if len(holder) else None


def _variables_and_cases(session: Session, project_id: int, sources: list[Source]) -> list[etree._Element]:
    out = []
    attributes = list(session.scalars(select(Attribute).where(Attribute.project_id == project_id)
                                      .order_by(Attribute.position, Attribute.id)))
    if attributes:
        variables = _element("Variables")
        for a in attributes:
            _sub(variables, "Variable", {"guid": refi_guid(a.guid), "name": a.name, "typeOfVariable": _TYPES[a.type]})
        out.append(variables)
    cases = list(session.scalars(select(Case).where(Case.project_id == project_id).order_by(Case.name)))
    if cases:
        holder = _element("Cases")
        by_attr = {a.id: a for a in attributes}
        for case in cases:
            el = _sub(holder, "Case", {"guid": refi_guid(case.guid), "name": case.name})
            for v in case.values:
                a = by_attr[v.attribute_id]
                tag, value = {AttributeType.text: ("TextValue", v.text_value),
                              AttributeType.number: ("FloatValue", v.number_value),
                              AttributeType.boolean: ("BooleanValue",
                                                      None if v.bool_value is None else str(v.bool_value).lower()),
                              AttributeType.date: ("DateValue", v.date_value.isoformat() if v.date_value else None)}[a.type]
                if value is None:
                    continue
                vv = _sub(el, "VariableValue")
                _sub(vv, "VariableRef", {"targetGUID": refi_guid(a.guid)})
                _sub(vv, tag, text=str(value))
            for src in sources:
                if src.case_id == case.id:
                    _sub(el, "SourceRef", {"targetGUID": refi_guid(src.guid)})
        out.append(holder)
    return out
