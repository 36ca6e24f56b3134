"""Editing the code tree: create, edit (with a version check), move, merge, delete."""
from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from workbench.codebook.format import check_colour
from workbench.codebook.lookup import PALETTE, code_path, get_codebook
from workbench.db.models import Code, Codebook, Coding, Memo, Suggestion
from workbench.errors import AlreadyExists, ConcurrentEdit, InvalidCodebook, NotFound

EDITABLE = ("name", "definition", "when_to_use", "when_not_to_use", "examples", "color")


def _check_sibling_name(session: Session, codebook_id: int, parent_id: int | None, name: str,
                        exclude: int | None = None) -> None:
    stmt = select(Code).where(Code.codebook_id == codebook_id, Code.parent_id.is_(parent_id)
                              if parent_id is None else Code.parent_id == parent_id)
    for sibling in session.scalars(stmt):
        if sibling.id != exclude and sibling.name.casefold() == name.casefold():
            raise AlreadyExists(f"there is already a code named {name!r} at this level")


def _get(session: Session, project_id: int, code_id: int) -> Code:
    code = session.get(Code, code_id)
    if code is None or code.codebook.project_id != project_id:
        raise NotFound(f"no code with id {code_id} in this project")
    return code


def create_code(session: Session, project_id: int, codebook_ref: str | int, name: str, *,
                parent_id: int | None = None, definition: str = "", color: str | None = None,
                when_to_use: str = "", when_not_to_use: str = "", examples: list[str] | None = None) -> Code:
    """A new code in a codebook (at the top or under ``parent_id``)."""
    codebook = get_codebook(session, project_id, codebook_ref)
    name = name.strip()
    if not name:
        raise InvalidCodebook("a code needs a name")
    check_colour(color or None)
    if parent_id is not None and _get(session, project_id, parent_id).codebook_id != codebook.id:
        raise InvalidCodebook("the parent code belongs to another codebook")
    _check_sibling_name(session, codebook.id, parent_id, name)
    position = session.scalar(select(func.count(Code.id)).where(
        Code.codebook_id == codebook.id, Code.parent_id.is_(None) if parent_id is None
        else Code.parent_id == parent_id)) or 0
    count = session.scalar(select(func.count(Code.id)).where(Code.codebook_id == codebook.id)) or 0
    code = Code(codebook_id=codebook.id, parent_id=parent_id, name=name, definition=definition.strip(),
                color=color or PALETTE[count % len(PALETTE)], when_to_use=when_to_use.strip(),
                when_not_to_use=when_not_to_use.strip(), examples=list(examples or []), position=position)
    session.add(code)
    session.flush()
    return code


def update_code(session: Session, project_id: int, code_id: int, expected_version: int, **fields) -> Code:
    """Change a code's fields, refusing if someone changed it since ``expected_version``.

    The version check is one UPDATE ... WHERE version = expected, so two coders saving at
    the same moment cannot both win, on SQLite or PostgreSQL.
    """
    code = _get(session, project_id, code_id)
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise InvalidCodebook(f"cannot edit {', '.join(sorted(unknown))} of a code")
    if "color" in fields:
        check_colour(fields["color"])
    if "name" in fields:
        fields["name"] = fields["name"].strip()
        if not fields["name"]:
            raise InvalidCodebook("a code needs a name")
        _check_sibling_name(session, code.codebook_id, code.parent_id, fields["name"], exclude=code.id)
    done = session.execute(update(Code).where(Code.id == code_id, Code.version == expected_version)
                           .values(version=Code.version + 1).execution_options(synchronize_session=False))
    if done.rowcount != 1:
        session.refresh(code)
        raise ConcurrentEdit(f"code {code.name!r} was changed by {_last_editor(session, code.id)} since you "
                             f"opened it (version {code.version}, yours {expected_version}); nothing of yours "
                             "was saved - reload, then edit again")
    session.refresh(code)
    for key, value in fields.items():
        setattr(code, key, value)
    session.flush()
    return code


def _last_editor(session: Session, code_id: int) -> str:
    """Who last changed a code, from the event log ("someone else" when it does not say)."""
    from workbench.db.models import Coder, Event
    name = session.scalar(select(Coder.name).join(Event, Event.coder_id == Coder.id).where(
        Event.entity == "code", Event.entity_id == code_id, Event.op == "update").order_by(Event.id.desc()).limit(1))
    return repr(name) if name else "someone else"


def _within(node: Code | None, ancestor: Code) -> bool:
    """True when ``node`` is ``ancestor`` or lies in its subtree."""
    while node is not None:
        if node.id == ancestor.id:
            return True
        node = node.parent
    return False


def move_code(session: Session, project_id: int, code_id: int, new_parent_id: int | None) -> Code:
    """Put a code (with its subtree) under another parent of the same codebook, or at the top."""
    code = _get(session, project_id, code_id)
    if new_parent_id is not None:
        parent = _get(session, project_id, new_parent_id)
        if parent.codebook_id != code.codebook_id:
            raise InvalidCodebook("codes can only move within their codebook")
        if _within(parent, code):
            raise InvalidCodebook(f"cannot move {code.name!r} under its own descendant {parent.name!r}")
    _check_sibling_name(session, code.codebook_id, new_parent_id, code.name, exclude=code.id)
    code.parent_id = new_parent_id
    session.flush()
    session.expire(code, ["parent"])
    return code


def _move_codings(session: Session, source_code: Code, target_id: int) -> int:
    """Reassign codings to ``target_id``; a coding the target already has is dropped as a duplicate."""
    moved = 0
    for coding in list(session.scalars(select(Coding).where(Coding.code_id == source_code.id))):
        twin = session.scalar(select(Coding.id).where(
            Coding.source_id == coding.source_id, Coding.code_id == target_id, Coding.coder_id == coding.coder_id,
            Coding.start == coding.start, Coding.end == coding.end))
        if twin is not None:
            for memo in list(coding.memos):
                memo.coding_id = twin
            session.flush()
            session.delete(coding)
        else:
            coding.code_id = target_id
            moved += 1
    session.flush()
    return moved


def merge_codes(session: Session, project_id: int, code_id: int, into_id: int) -> dict:
    """Merge a code into another: its codings, memos and children go to ``into``; it is deleted."""
    code, into = _get(session, project_id, code_id), _get(session, project_id, into_id)
    if code.id == into.id:
        raise InvalidCodebook("a code cannot be merged into itself")
    if _within(into, code):
        raise InvalidCodebook(f"cannot merge {code.name!r} into its own descendant {into.name!r}")
    moved = _move_codings(session, code, into.id)
    for memo in session.scalars(select(Memo).where(Memo.code_id == code.id)):
        memo.code_id = into.id
    for sug in session.scalars(select(Suggestion).where(Suggestion.code_id == code.id)):
        sug.code_id = into.id
    for child in list(code.children):
        # Through the relationship, not the column: deleting ``code`` below would otherwise empty
        # the parent of the children its (loaded) collection still holds.
        child.parent = into
    session.flush()
    session.delete(code)
    session.flush()
    return {"codings_moved": moved, "into": "/".join(code_path(into))}


def delete_code(session: Session, project_id: int, code_id: int, *, codings: str = "refuse",
                move_to: int | None = None) -> dict:
    """Delete a code and its subtree.

    What happens to codings is the caller's explicit choice: ``refuse`` (the default: an
    error names how many there are), ``delete`` them, or ``move`` them to ``move_to``.
    """
    code = _get(session, project_id, code_id)
    subtree, stack = [], [code]
    while stack:
        node = stack.pop()
        subtree.append(node)
        stack.extend(node.children)
    ids = [c.id for c in subtree]
    count = session.scalar(select(func.count(Coding.id)).where(Coding.code_id.in_(ids))) or 0
    if count and codings == "refuse":
        raise AlreadyExists(f"code {code.name!r} (with its sub-codes) has {count} codings: choose to "
                            "delete them or move them to another code")
    if count and codings == "move":
        if move_to is None or move_to in ids:
            raise InvalidCodebook("choose a code outside the deleted subtree to move the codings to")
        _get(session, project_id, move_to)
        for node in subtree:
            _move_codings(session, node, move_to)
    elif count:
        for coding in list(session.scalars(select(Coding).where(Coding.code_id.in_(ids)))):
            for memo in list(coding.memos):
                session.delete(memo)
            session.delete(coding)
    for memo in list(session.scalars(select(Memo).where(Memo.code_id.in_(ids)))):
        session.delete(memo)
    for sug in list(session.scalars(select(Suggestion).where(Suggestion.code_id.in_(ids)))):
        session.delete(sug)
    session.flush()
    for node in reversed(subtree):      # children first
        session.delete(node)
        session.flush()
    return {"deleted_codes": len(ids), "codings": count, "action": codings if count else "none"}


def create_codebook(session: Session, project_id: int, name: str, description: str = "") -> Codebook:
    """A new, empty codebook in the project."""
    name = name.strip()
    if not name:
        raise InvalidCodebook("a codebook needs a name")
    if session.scalar(select(Codebook.id).where(Codebook.project_id == project_id, Codebook.name == name)):
        raise AlreadyExists(f"a codebook named {name!r} already exists")
    codebook = Codebook(project_id=project_id, name=name, description=description)
    session.add(codebook)
    session.flush()
    return codebook
