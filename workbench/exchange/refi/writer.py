"""Writing REFI-QDA: the project as ``.qdpx`` (``project.qde`` valid against the published
Project.xsd, plain texts under ``sources/``, streamed) and a codebook as ``.qdc``."""
from __future__ import annotations

import io
import re
import uuid
import zipfile

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.db.models import Attribute, AttributeType, Case, Code, Codebook, Coder, Coding, Memo, Project, Source
from workbench.exchange.refi.qda_xml import NS, NS_CODEBOOK, attr_text, element_text, refi_guid, when_text

ORIGIN = "Interview workbench"

_TYPES = {AttributeType.text: "Text", AttributeType.number: "Float", AttributeType.boolean: "Boolean",
          AttributeType.date: "Date"}


def _codes_xml(codes: list[Code], memo_refs: dict[int, list[str]], out: list[str], indent: str) -> None:
    for code in codes:
        description = "\n\n".join(x for x in (code.definition, f"When to use: {code.when_to_use}" if code.when_to_use else "",
                                              f"When not to use: {code.when_not_to_use}" if code.when_not_to_use else "") if x)
        color = code.color if re.fullmatch(r"#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})", code.color or "") else None
        out.append(f'{indent}<Code guid="{refi_guid(code.guid)}" name="{attr_text(code.name)}" isCodable="true"'
                   + (f' color="{color}"' if color else "") + ">")
        if description:
            out.append(f"{indent}  <Description>{element_text(description)}</Description>")
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
        with archive.open("project.qde", "w", force_zip64=True) as raw:
            qde = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")

            def emit(lines: list[str]) -> None:
                qde.write("\n".join(lines) + "\n")
            emit(['<?xml version="1.0" encoding="utf-8"?>',
                  f'<Project xmlns="{NS}" name="{attr_text(project.name)}" origin="{ORIGIN}" '
                  f'creationDateTime="{when_text(project.created_at)}">'])
            out: list[str] = []
            if coders:
                out.append("  <Users>")
                out += [f'    <User guid="{coder_guid[c.id]}" name="{attr_text(c.name)}"/>' for c in coders]
                out.append("  </Users>")
            if books:
                out += ["  <CodeBook>", "    <Codes>"]
                for cb in books:
                    # One top-level code per codebook keeps several codebooks apart in one tree.
                    out.append(f'      <Code guid="{refi_guid(cb.guid)}" name="{attr_text(cb.name)}" isCodable="false">')
                    if cb.description:
                        out.append(f"        <Description>{element_text(cb.description)}</Description>")
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
                    lines = [f'    <TextSource guid="{refi_guid(src.guid)}" name="{attr_text(src.name)}" '
                             f'plainTextPath="internal://{refi_guid(src.guid)}.txt" creationDateTime="{when_text(src.created_at)}">']
                    while pending is not None and pending[2] == src.id:
                        cid, cguid, _sid, start, end, coder_id, created, code_guid = pending
                        who, when = coder_guid[coder_id], when_text(created)
                        selection = str(uuid.uuid5(uuid.UUID(cguid), "selection")).upper()
                        lines.append(f'      <PlainTextSelection guid="{selection}" startPosition="{start}" '
                                     f'endPosition="{end}" creatingUser="{who}" creationDateTime="{when}">')
                        lines.append(f'        <Coding guid="{refi_guid(cguid)}" creatingUser="{who}" creationDateTime="{when}">'
                                     f'<CodeRef targetGUID="{refi_guid(code_guid)}"/></Coding>')
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
                    out.append(f'    <Note guid="{memo_guid[m.id]}" name="{attr_text(m.title or "Memo")}"{creator} '
                               f'creationDateTime="{when_text(m.created_at)}"><PlainTextContent>{element_text(m.text)}'
                               "</PlainTextContent></Note>")
                out.append("  </Notes>")
            if project.description:
                out.append(f"  <Description>{element_text(project.description)}</Description>")
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
        out += [f'    <Variable guid="{refi_guid(a.guid)}" name="{attr_text(a.name)}" typeOfVariable="{_TYPES[a.type]}"/>'
                for a in attributes]
        out.append("  </Variables>")
    cases = list(session.scalars(select(Case).where(Case.project_id == project_id).order_by(Case.name)))
    if cases:
        out.append("  <Cases>")
        by_attr = {a.id: a for a in attributes}
        for case in cases:
            out.append(f'    <Case guid="{refi_guid(case.guid)}" name="{attr_text(case.name)}">')
            for v in case.values:
                a = by_attr[v.attribute_id]
                value = {AttributeType.text: ("TextValue", v.text_value),
                         AttributeType.number: ("FloatValue", v.number_value),
                         AttributeType.boolean: ("BooleanValue", None if v.bool_value is None else str(v.bool_value).lower()),
                         AttributeType.date: ("DateValue", v.date_value.isoformat() if v.date_value else None)}[a.type]
                if value[1] is None:
                    continue
                out.append(f'      <VariableValue><VariableRef targetGUID="{refi_guid(a.guid)}"/>'
                           f"<{value[0]}>{element_text(value[1])}</{value[0]}></VariableValue>")
            for src in sources:
                if src.case_id == case.id:
                    out.append(f'      <SourceRef targetGUID="{refi_guid(src.guid)}"/>')
            out.append("    </Case>")
        out.append("  </Cases>")
    return out
