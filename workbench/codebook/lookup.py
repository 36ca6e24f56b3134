"""Finding codebooks and codes of a project by id, name or path, and naming codes by path."""
from __future__ import annotations

import difflib

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.db.models import Code, Codebook
from workbench.errors import NotFound

PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
           "#ff9da7", "#9c755f", "#bab0ac", "#1f77b4", "#2ca02c", "#d62728", "#9467bd"]


def code_path(code: Code) -> tuple[str, ...]:
    """The names from the root of the tree down to ``code``."""
    names = []
    while code is not None:
        names.append(code.name)
        code = code.parent
    return tuple(reversed(names))


def get_codebook(session: Session, project_id: int, ref: str | int) -> Codebook:
    cb = None
    if str(ref).isdigit():
        cb = session.get(Codebook, int(ref))
        cb = cb if cb is not None and cb.project_id == project_id else None
    cb = cb or session.scalar(select(Codebook).where(Codebook.project_id == project_id, Codebook.name == str(ref)))
    if cb is None:
        names = ", ".join(session.scalars(select(Codebook.name).where(Codebook.project_id == project_id)))
        raise NotFound(f"no codebook {ref!r} in this project (codebooks: {names or 'none'})")
    return cb


def find_code(session: Session, project_id: int, ref: str | int, codebook: str | None = None) -> Code:
    """A code by id, by name, or by path ``Parent/Child``; ambiguous names are refused."""
    stmt = select(Code).join(Codebook).where(Codebook.project_id == project_id)
    if codebook:
        stmt = stmt.where(Codebook.id == get_codebook(session, project_id, codebook).id)
    if str(ref).isdigit():
        code = session.scalar(stmt.where(Code.id == int(ref)))
        if code:
            return code
    parts = [p.strip() for p in str(ref).split("/") if p.strip()]
    matches = [c for c in session.scalars(stmt.where(Code.name == parts[-1]))
               if code_path(c)[-len(parts):] == tuple(parts)] if parts else []
    if not matches:
        names = sorted(set(session.scalars(stmt.with_only_columns(Code.name))))
        close = difflib.get_close_matches(parts[-1] if parts else str(ref), names, n=3, cutoff=0.5)
        where = f" in codebook {codebook!r}" if codebook else " in this project"
        raise NotFound(f"no code {ref!r}{where}" + (f"; did you mean {', '.join(map(repr, close))}?" if close else
                                                     f" ({len(names)} codes; `workbench list codes` lists them)"))
    if len(matches) > 1:
        where = "; ".join(f"{c.codebook.name}: {'/'.join(code_path(c))} (id {c.id})" for c in matches)
        raise NotFound(f"code {ref!r} is ambiguous ({where}); give its id, its path or --codebook")
    return matches[0]


def code_choices(session: Session, project_id: int) -> list[tuple[int, str]]:
    """``(id, "Parent › Code · Codebook")`` for every code, in tree order (for pickers).

    The code comes first: pickers cut long labels, and the code is what people look for."""
    out = []
    for cb in session.scalars(select(Codebook).where(Codebook.project_id == project_id).order_by(Codebook.name)):
        def walk(codes):
            for c in codes:
                out.append((c.id, f"{' › '.join(code_path(c))}  ·  {cb.name}"))
                walk(c.children)
        walk([c for c in cb.codes if c.parent_id is None])
    return out


def code_detail(session: Session, code_id: int) -> dict | None:
    """A code's editable fields, its path and version, and the other codes of its codebook."""
    code = session.get(Code, code_id)
    if code is None:
        return None
    data = {k: getattr(code, k) for k in ("name", "definition", "when_to_use", "when_not_to_use", "color", "version")}
    data["examples"] = list(code.examples or [])
    data["path"] = " › ".join(code_path(code))
    data["others"] = [(c.id, " › ".join(code_path(c))) for c in session.scalars(
        select(Code).where(Code.codebook_id == code.codebook_id)) if c.id != code_id]
    return data


def codebook_choices(session: Session, project_id: int) -> list[tuple[int, str]]:
    """``(id, name)`` of the project's codebooks, by name."""
    return [tuple(r) for r in session.execute(select(Codebook.id, Codebook.name)
                                              .where(Codebook.project_id == project_id).order_by(Codebook.name))]


def codes_query(project_id: int, codebook_ids: list[int] | None = None, code_ids: list[int] | None = None):
    """The statement selecting a project's codes, of the chosen codebooks or the chosen codes."""
    stmt = select(Code).join(Codebook).where(Codebook.project_id == project_id)
    if codebook_ids:
        stmt = stmt.where(Code.codebook_id.in_(codebook_ids))
    if code_ids:
        stmt = stmt.where(Code.id.in_(code_ids))
    return stmt
