"""The state of one streamed ``.qdpx`` import (see :func:`workbench.exchange.refi.reader.import_qdpx`):
top-level elements handled as they end, each source as soon as it is complete."""
from __future__ import annotations

import datetime as dt
import re
import uuid
from array import array
from bisect import bisect_left
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.corpus.cases import VALUE_COLUMN, parse_value
from workbench.corpus.text import text_sha256
from workbench.db.bulk import load_columns
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
    Segment,
    Source,
    SourceKind,
    new_guid,
)
from workbench.errors import InvalidExchangeFile, WorkbenchError
from workbench.exchange.refi.extract import Message, SourceRecord
from workbench.exchange.refi.import_parts import (
    CODING_BATCH,
    CODING_COLUMNS,
    IMPORTED,
    TYPES,
    ImportReport,
    coder_for,
    fresh_guid,
    import_codes,
    insert_codings,
    parse_when,
    placeholder_name,
)
from workbench.exchange.refi.qda_xml import (
    NS,
    child_named,
    children_named,
    descendants_named,
    local_name,
    parse_fragment,
    refi_guid,
)
from workbench.exchange.refi.sets import import_sets
from workbench.exchange.refi.writer import ORIGIN

_PARAGRAPH_GAP = re.compile(r"\n{2,}")


class ProjectImporter:
    """The state of one streamed import: top-level elements are handled as they end, each
    source as soon as it is complete; cases, sets and notes (small, and referring to sources
    that may come later) wait for the end."""

    def __init__(self, session: Session, file: str, project_name: str | None, coder: Coder):
        self.session, self.file, self.project_name, self.fallback = session, file, project_name, coder
        self.report: ImportReport | None = None
        self.origin = ""
        self.users: dict[str, str] = {}
        self.codes: dict[str, Code] = {}
        self.codebook_seen = False
        self.variables: dict[str, Attribute] = {}
        self.later: dict[str, list] = {"Cases": [], "Sets": [], "Notes": [], "sources": []}
        self.memo_targets: dict[str, dict] = {}
        self.source_rows: dict[str, Source] = {}
        self.coder_ids: dict[str | None, int] = {}
        self.code_ids: dict[str, int] = {}          # targetGUID as written -> code id
        self.note_to_coding: dict[str, str] = {}
        self.names_taken: set[str] = set()
        self.not_imported: dict[str, list] = {}        # kind -> [source names, their codings]
        self.pending = _no_codings()
        self.now = dt.datetime.now(dt.timezone.utc)

    # -- the stream ---------------------------------------------------------------------
    def handle(self, message: Message) -> None:
        """Take one message of the stream (see :mod:`workbench.exchange.refi.extract`)."""
        kind = message[0]
        if kind == "project":
            self.start_project(message[1], message[2])
            return
        if self.report is None:
            return
        if kind == "source":
            if self.codebook_seen:
                self.source(message[1])
            else:           # codings before their codebook (out of the standard's order): kept for the end
                self.later["sources"].append(message[1])
            return
        if kind != "element":
            return
        name, el = message[1], parse_fragment(message[2], message[3], self.file)
        if name == "Users":
            self.import_users(el)
        elif name == "CodeBook":
            self.import_codebook(el)
        elif name == "Variables":
            self.import_variables(el)
        elif name in ("Cases", "Sets", "Notes"):
            self.later[name].append(el)
        elif name == "Description":
            self.project.description = el.text or ""

    def start_project(self, tag: str, root: dict[str, str]) -> None:
        """The new project, from the root element's tag and attributes."""
        if tag.rsplit("}", 1)[-1] != "Project":
            raise InvalidExchangeFile("project.qde does not hold a Project", file=self.file)
        self.origin = root.get("origin", "")
        name = (self.project_name or root.get("name") or Path(self.file).stem).strip()
        if self.session.scalar(select(Project.id).where(Project.name == name)):
            name = f"{name} (imported {dt.date.today():%Y-%m-%d} {uuid.uuid4().hex[:4]})"
        self.project = Project(name=name, description="")
        self.session.add(self.project)
        self.session.flush()
        self.report = ImportReport(self.project.id)
        namespace = tag[1:].split("}", 1)[0] if tag.startswith("{") else ""
        if namespace != NS:             # read anyway (elements are matched by name), but said
            self.report.skipped.append(f"project.qde is in namespace {namespace or '(none)'!r}, not REFI-QDA's "
                                       f"{NS!r}; it was read as REFI-QDA")

    # -- top-level elements ------------------------------------------------------------
    def import_users(self, el) -> None:
        self.users.update({refi_guid(u.get("guid", "")): u.get("name") or "" for u in descendants_named(el, "User")})
        for guid, name in self.users.items():     # every user, also one who coded nothing (a second coder to come)
            if guid:
                coder = coder_for(self.session, guid, self.users, self.fallback)
                if name and coder.name == placeholder_name(guid):     # met in a coding before Users (out of order)
                    coder.name = name

    def import_codebook(self, codebook_el) -> None:
        self.codebook_seen = True
        codes_el = child_named(codebook_el, "Codes")
        top = children_named(codes_el, "Code") if codes_el is not None else []
        if self.origin.startswith(ORIGIN) and top and all(c.get("isCodable") == "false" for c in top):
            groups = [(c.get("name"), child_named(c, "Description"), children_named(c, "Code")) for c in top]
        elif top:
            groups = [(f"{self.project.name} codebook", None, top)]
        else:
            groups = []
        for book_name, book_description, elements in groups:
            codebook = Codebook(project_id=self.project.id, name=book_name, guid=new_guid(),
                                source_file=Path(self.file).name,
                                description=(book_description.text or "") if book_description is not None
                                else f"Imported from {self.origin or 'a REFI-QDA file'}")
            self.session.add(codebook)
            self.session.flush()
            self.report.codes += import_codes(self.session, codebook, elements, None, self.codes, self.file,
                                               self.report.skipped)
        for el in descendants_named(codebook_el, "Code"):
            if el.get("guid") and refi_guid(el.get("guid")) in self.codes:
                self.note_refs(el, code_id=self.codes[refi_guid(el.get("guid"))].id)

    def import_variables(self, variables_el) -> None:
        for pos, v in enumerate(descendants_named(variables_el, "Variable")):
            if not v.get("guid"):
                raise InvalidExchangeFile(f"variable {v.get('name', '')!r} has no guid; nothing was imported",
                                          file=self.file, line=v.sourceline)
            attr = Attribute(project_id=self.project.id, name=v.get("name", "variable"),
                             guid=fresh_guid(self.session, Attribute, v.get("guid")),
                             type=TYPES.get(v.get("typeOfVariable", "Text"), AttributeType.text), position=pos)
            self.session.add(attr)
            self.variables[refi_guid(v.get("guid"))] = attr
        self.session.flush()

    def note_refs(self, el, **target) -> None:
        for ref in children_named(el, "NoteRef"):
            self.memo_targets[refi_guid(ref.get("targetGUID", ""))] = target

    # -- one source and its codings -----------------------------------------------------
    def source(self, record: SourceRecord) -> None:
        session, report = self.session, self.report
        if record.area_note:
            report.skipped.append(record.area_note)
        if record.unsupported:
            count = self.not_imported.setdefault(record.kind, [[], 0])
            count[0].append(record.name)
            count[1] += record.codings_skipped
            return
        if record.text is None:
            report.skipped.append(f"source {record.name!r} {record.reason}")
            return
        src_name = unique = record.name
        k = 2
        while unique.casefold() in self.names_taken:      # two sources of one name: both kept, told apart
            unique, k = f"{src_name} ({k})", k + 1
        if unique != src_name:
            report.skipped.append(f"source {src_name!r}: a second source of that name is imported as {unique!r}")
        self.names_taken.add(unique.casefold())
        text = record.text
        src = Source(project_id=self.project.id, name=unique, guid=fresh_guid(session, Source, record.guid),
                     kind=SourceKind.document, format="refi", original_filename=record.original_filename,
                     file_hash=record.file_hash, text=text, text_hash=text_sha256(text))
        session.add(src)
        session.flush()
        # Paragraphs are the units of a document; inserted in bulk like codings (an object per
        # paragraph took half the import of a long source).
        # Found by their separators, kept as two machine arrays: a 200 MB source has millions.
        starts, ends, pos = array("q"), array("q"), 0
        for gap in _PARAGRAPH_GAP.finditer(text):
            if gap.start() > pos:
                starts.append(pos)
                ends.append(gap.start())
            pos = gap.end()
        if pos < len(text):
            starts.append(pos)
            ends.append(len(text))
        load_columns(session, Segment.__table__, {"idx": range(len(starts)), "start": starts, "end": ends},
                     same={"source_id": src.id})
        self.source_rows[refi_guid(record.guid)] = src
        report.sources += 1
        for ref in record.note_refs:
            self.memo_targets[refi_guid(ref)] = {"source_id": src.id}
        self.codings(record, src.id)
        if len(self.pending["guid"]) >= CODING_BATCH:
            self.flush_codings()

    def codings(self, record: SourceRecord, source_id: int) -> None:
        """Queue the codings of one source, their codes and coders looked up. Column by column,
        with a lookup per distinct code, coder and time: a million codings pass through here."""
        read = record.codings
        n = len(read)
        if not n:
            return
        code_of = {target: self.code_id(target, record.name, read.lines[read.targets.index(target)])
                   for target in dict.fromkeys(read.targets)}     # in document order: the first unknown is told
        coder_of = {user: self.coder_id(user) for user in dict.fromkeys(read.users)}
        codes = list(map(code_of.__getitem__, read.targets))
        coders = list(map(coder_of.__getitem__, read.users))
        starts, ends, guids, stamps = read.starts, read.ends, read.guids, read.stamps
        kept = None
        if len(set(zip(codes, coders, starts, ends))) < n:      # one coder, one code, one span: one coding
            seen, kept = set(), []
            for i, key in enumerate(zip(codes, coders, starts, ends)):
                if key not in seen:
                    seen.add(key)
                    kept.append(i)
            codes, coders, starts, ends, guids, stamps = (
                [column[i] for i in kept] for column in (codes, coders, starts, ends, guids, stamps))
        if None in guids:
            guids = [g or new_guid() for g in guids]
        when_of = {stamp: self.when(stamp) for stamp in set(stamps)}
        when = list(map(when_of.__getitem__, stamps))
        pending = self.pending
        for key, column in (("source_id", [source_id] * len(codes)), ("code_id", codes), ("coder_id", coders),
                            ("start", starts), ("end", ends), ("origin", [IMPORTED] * len(codes)),
                            ("guid", guids), ("created_at", when)):
            pending[key].extend(column)
        for first, stop, notes in read.notes:      # a selection's memo goes with its (last) coding
            last = stop - 1 if kept is None else bisect_left(kept, stop) - 1
            if last >= 0 and (last >= first if kept is None else kept[last] >= first):
                for ref in notes:
                    self.note_to_coding[refi_guid(ref)] = guids[last]

    def code_id(self, target: str, source: str, line: int) -> int:
        """The id of the code a coding's CodeRef names; refused when the codebook lacks it."""
        code_id = self.code_ids.get(target)
        if code_id is None:
            code = self.codes.get(refi_guid(target))
            if code is None:
                raise InvalidExchangeFile(f"a coding in source {source!r} refers to code {refi_guid(target) or '(none)'}, "
                                          "which the codebook does not have; nothing was imported",
                                          file=self.file, line=line)
            code_id = self.code_ids[target] = code.id
        return code_id

    def coder_id(self, user: str | None) -> int:
        if user not in self.coder_ids:
            self.coder_ids[user] = coder_for(self.session, user, self.users, self.fallback).id
        return self.coder_ids[user]

    def when(self, stamp: str | None) -> dt.datetime:
        return parse_when(stamp) or self.now

    def flush_codings(self) -> None:
        """Insert the codings read so far (GUIDs this database already uses get new ones)."""
        columns, self.pending = self.pending, _no_codings()
        guids = columns["guid"]
        originals = list(guids) if self.note_to_coding else None
        self.report.codings += insert_codings(self.session, columns)
        if originals is not None:       # a memo follows its coding to the GUID it was given
            renamed = {old: new for old, new in zip(originals, guids) if new != old}
            if renamed:
                self.note_to_coding = {note: renamed.get(g, g) for note, g in self.note_to_coding.items()}

    # -- what waited for the end -----------------------------------------------------------
    def finish(self) -> ImportReport:
        session, report = self.session, self.report
        for el in self.later["sources"]:
            self.source(el)
        self.flush_codings()
        for kind, (names, lost) in self.not_imported.items():
            what = kind.removesuffix("Source") or kind
            why = ("a PDF without the text its tool extracted (a Representation) cannot be coded here"
                   if kind == "PDFSource" else "only text sources (and PDFs with their text) are imported")
            report.skipped.append(f"{len(names)} {what} source(s) and their {lost} coding(s) skipped: {why} "
                                  f"({', '.join(names[:5])}{' …' if len(names) > 5 else ''})")
        by_guid = {}
        if self.note_to_coding:
            wanted = list(set(self.note_to_coding.values()))
            for i in range(0, len(wanted), 500):
                by_guid.update(session.execute(select(Coding.guid, Coding.id)
                                               .where(Coding.guid.in_(wanted[i:i + 500]))).all())
        for note, guid in self.note_to_coding.items():
            if guid in by_guid:
                self.memo_targets[note] = {"coding_id": by_guid[guid]}
        for cases_el in self.later["Cases"]:
            for el in children_named(cases_el, "Case"):
                self.case(el)
        for sets_el in self.later["Sets"]:
            import_sets(session, self.project.id, sets_el, self.source_rows, report.skipped)
        for notes_el in self.later["Notes"]:
            for note in descendants_named(notes_el, "Note"):
                self.memo(note)
        session.flush()
        return report

    def case(self, el) -> None:
        session = self.session
        case = Case(project_id=self.project.id, name=el.get("name") or el.get("guid"),
                    guid=fresh_guid(session, Case, el.get("guid")))
        session.add(case)
        session.flush()
        self.report.cases += 1
        for ref in children_named(el, "SourceRef"):
            src = self.source_rows.get(refi_guid(ref.get("targetGUID", "")))
            if src is not None:
                src.case_id = case.id
        for vv in children_named(el, "VariableValue"):
            ref = child_named(vv, "VariableRef")
            attr = self.variables.get(refi_guid(ref.get("targetGUID", ""))) if ref is not None else None
            value_el = next((c for c in vv if local_name(c) != "VariableRef"), None)
            if attr is None or value_el is None or value_el.text is None:
                continue
            try:
                value = parse_value(value_el.text[:10] if attr.type is AttributeType.date else value_el.text, attr.type)
            except WorkbenchError:
                value = None
            if value is not None:
                session.add(AttributeValue(case_id=case.id, attribute_id=attr.id, **{VALUE_COLUMN[attr.type]: value}))

    def memo(self, note) -> None:
        content = child_named(note, "PlainTextContent")
        text = (content.text or "") if content is not None else ""
        if not text.strip():
            return
        target = self.memo_targets.get(refi_guid(note.get("guid", "")), {})
        author = coder_for(self.session, note.get("creatingUser"), self.users, self.fallback)
        self.session.add(Memo(project_id=self.project.id, title=note.get("name") or "", text=text,
                              coder_id=author.id, guid=fresh_guid(self.session, Memo, note.get("guid")), **target))
        self.report.memos += 1


def _no_codings() -> dict[str, list]:
    """An empty queue of codings, column by column (created and updated are one list)."""
    columns: dict[str, list] = {key: [] for key in CODING_COLUMNS}
    columns["updated_at"] = columns["created_at"]
    return columns
