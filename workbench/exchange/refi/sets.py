"""REFI-QDA Sets (ATLAS.ti's document and code groups, MAXQDA's sets): a set of sources named
like "gender: male" becomes a case attribute of those sources' cases (a case per source where a
source has none; the writer exports attribute values back as such sets); any other set is counted
in the import report, never dropped silently."""
from __future__ import annotations

import re

from sqlalchemy.orm import Session

from workbench.corpus.cases import get_or_create_attribute, get_or_create_case, parse_value, set_value
from workbench.db.enums import AttributeType
from workbench.db.models import Case, Source
from workbench.errors import WorkbenchError
from workbench.exchange.refi.qda_xml import children_named, descendants_named, refi_guid

_NAME_VALUE = re.compile(r"^\s*(?P<name>[^:]{1,60}?)\s*:\s*(?P<value>\S.{0,199}?)\s*$")


def import_sets(session: Session, project_id: int, root, sources: dict[str, Source], notes: list[str]) -> int:
    """Case attributes from the project's "name: value" sets of sources; returns how many sets
    became attribute values, and adds a note for each set that could not."""
    made = 0
    for el in descendants_named(root, "Set"):
        name = (el.get("name") or "").strip()
        members = [sources.get(refi_guid(m.get("targetGUID", ""))) for m in children_named(el, "MemberSource")]
        found = [m for m in members if m is not None]
        codes = len(children_named(el, "MemberCode"))
        match = _NAME_VALUE.match(name)
        if match and found:
            attribute = get_or_create_attribute(session, project_id, match.group("name"), AttributeType.text)
            try:        # an attribute the file also has as a Variable keeps its type ("employees: 42")
                value = parse_value(match.group("value"), attribute.type)
            except WorkbenchError:
                notes.append(f"set {name!r}: {match.group('value')!r} is not a {attribute.type.value} value of "
                             f"attribute {attribute.name!r}; not imported")
                continue
            for src in found:
                if src.case_id is None:            # the source's own case carries its attributes
                    src.case_id = get_or_create_case(session, project_id, src.name).id
                    session.flush()
                set_value(session, session.get(Case, src.case_id), attribute, value)
            made += 1
            if len(found) < len(members):
                notes.append(f"set {name!r}: {len(members) - len(found)} of its sources were not imported")
            continue
        what = ", ".join(part for part in (f"{codes} code(s)" if codes else "",
                                           f"{len(members)} source(s)" if members else "") if part) or "empty"
        why = "code groups are not imported yet" if codes else "only sets named 'name: value' become case attributes"
        notes.append(f"set {name or '(no name)'!r} ({what}) not imported: {why}")
    return made
