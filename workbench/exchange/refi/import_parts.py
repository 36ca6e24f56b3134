"""Pieces of a REFI-QDA project import shared by the streamed importer and the codebook reader:
the report, GUIDs and coders as the database needs them, the code tree, dates, and codings
inserted in bulk."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workbench.codebook.format import is_colour
from workbench.codebook.lookup import PALETTE
from workbench.db.bulk import load_columns
from workbench.db.models import AttributeType, Code, Codebook, Coder, Coding, CodingOrigin, new_guid
from workbench.errors import InvalidExchangeFile
from workbench.exchange.refi.qda_xml import child_named, children_named, refi_guid


@dataclass
class ImportReport:
    project_id: int
    sources: int = 0
    codes: int = 0
    codings: int = 0
    cases: int = 0
    memos: int = 0
    skipped: list[str] = field(default_factory=list)


def fresh_guid(session: Session, model, guid: str | None) -> str:
    """The file's GUID when this database does not use it yet; a new one otherwise (an import
    of a project exported from this same database must not collide with the original)."""
    if guid:
        g = refi_guid(guid).lower()
        # Core, not the ORM's query: a large import asks this for every source, case and memo
        if session.connection().execute(select(model.id).where(model.guid == g)).first() is None:
            return g
    return new_guid()


def placeholder_name(guid: str) -> str:
    """The name of a coder the file's Users do not name (yet)."""
    return f"user {refi_guid(guid)[:8]}"


def coder_for(session: Session, guid: str | None, names: dict[str, str], fallback: Coder) -> Coder:
    if not guid:
        return fallback
    guid = refi_guid(guid)
    coder = session.scalar(select(Coder).where(Coder.guid == guid.lower())) or \
        session.scalar(select(Coder).where(Coder.identity == f"refi:{guid}"))
    if coder is None:
        coder = Coder(name=names.get(guid, placeholder_name(guid)), identity=f"refi:{guid}", guid=guid.lower())
        session.add(coder)
        session.flush()
    return coder


def import_codes(session: Session, codebook: Codebook, elements, parent: Code | None, by_guid: dict, file: str,
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
        n += 1 + import_codes(session, codebook, children_named(el, "Code"), code, by_guid, file, notes)
    return n



TYPES = {"Text": AttributeType.text, "Boolean": AttributeType.boolean, "Integer": AttributeType.number,
         "Float": AttributeType.number, "Date": AttributeType.date, "DateTime": AttributeType.date}


CODING_BATCH = 10_000

# The columns of the codings an import queues (see :func:`insert_codings`)
CODING_COLUMNS = ["source_id", "code_id", "coder_id", "start", "end", "origin", "guid", "created_at", "updated_at"]
IMPORTED = CodingOrigin.imported


def parse_when(value: str | None) -> dt.datetime | None:
    """A REFI-QDA creationDateTime (ISO 8601, often with Z), or None when absent or unreadable."""
    if not value:
        return None
    try:
        when = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def insert_codings(session: Session, columns: dict[str, list]) -> int:
    """Insert codings given column by column (:data:`CODING_COLUMNS`) through the table: no ORM
    objects for a million rows. A GUID used twice in the file, or already used in this database (a
    project imported into the database it was exported from), gets a new one, changed in
    ``columns["guid"]``: the batch is tried in a savepoint and, only if a GUID collides, its GUIDs
    are looked up (a lookup per batch cost 5 s of a million-coding import)."""
    guids = columns["guid"]
    if not guids:
        return 0
    seen = set(guids)
    if len(seen) < len(guids):              # a GUID used twice in the file: the later ones get new GUIDs
        seen = set()
        for i, guid in enumerate(guids):
            if guid in seen:
                guids[i] = new_guid()
            seen.add(guids[i])
    try:
        with session.begin_nested():
            return load_columns(session, Coding.__table__, columns)
    except IntegrityError:
        pass
    wanted = list(seen)
    taken: set[str] = set()
    for i in range(0, len(wanted), 2000):
        taken.update(session.scalars(select(Coding.guid).where(Coding.guid.in_(wanted[i:i + 2000]))))
    for i, guid in enumerate(guids):
        if guid in taken:
            guids[i] = new_guid()
    return load_columns(session, Coding.__table__, columns)
