"""Codebooks in the database: storing a file's codebook (merging by GUID), reading one back as
a spec, and listing codebooks and codes with their numbers of codings."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workbench.codebook.format import CodebookSpec, CodeSpec
from workbench.codebook.lookup import PALETTE, code_path, get_codebook
from workbench.db.models import Code, Codebook, Coding, new_guid
from workbench.errors import AlreadyExists


def _apply_fields(code: Code, spec: CodeSpec) -> None:
    code.name, code.definition = spec.name, spec.definition
    code.when_to_use, code.when_not_to_use = spec.when_to_use, spec.when_not_to_use
    code.examples, code.rules = list(spec.examples), list(spec.rules)
    if spec.color:
        code.color = spec.color


def store_codebook(session: Session, project_id: int, spec: CodebookSpec, *, update: bool = False) -> dict:
    """Put a codebook into a project; with ``update``, merge into the one with its GUID/name.

    Codes are matched by GUID (then by path) so that codings keep their code. Codes that
    vanished from the file are kept and reported, never deleted with their codings.
    """
    existing = None
    if spec.guid:
        existing = session.scalar(select(Codebook).where(Codebook.project_id == project_id,
                                                         Codebook.guid == spec.guid))
    existing = existing or session.scalar(select(Codebook).where(Codebook.project_id == project_id,
                                                                 Codebook.name == spec.name))
    if existing is not None and not update:
        raise AlreadyExists(f"codebook {existing.name!r} is already in this project; load it with "
                            "--update to merge the file's changes", file=spec.file)
    codebook = existing or Codebook(project_id=project_id, guid=spec.guid or new_guid())
    codebook.name, codebook.description, codebook.reference = spec.name, spec.description, spec.reference
    codebook.languages, codebook.source_file = list(spec.languages), Path(spec.file).name if spec.file else ""
    codebook.rule_context = list(spec.rule_context)
    if existing is None:
        session.add(codebook)
    session.flush()
    old = list(session.scalars(select(Code).where(Code.codebook_id == codebook.id)))
    by_guid = {c.guid: c for c in old}
    by_path = {code_path(c): c for c in old}
    counts = {"added": 0, "updated": 0, "kept": 0}
    touched: set[int] = set()
    colour = iter(PALETTE * 20)

    def place(items: list[CodeSpec], parent: Code | None, prefix: tuple[str, ...]):
        for pos, spec_code in enumerate(items):
            path = prefix + (spec_code.name,)
            code = by_guid.get(spec_code.guid) if spec_code.guid else None
            code = code or by_path.get(path)
            if code is None:
                code = Code(codebook_id=codebook.id, guid=spec_code.guid or new_guid(),
                            color=spec_code.color or next(colour))
                session.add(code)
                counts["added"] += 1
            else:
                counts["updated"] += 1
            _apply_fields(code, spec_code)
            code.parent, code.position = parent, pos
            session.flush()
            touched.add(code.id)
            place(spec_code.children, code, path)
    place(spec.codes, None, ())
    kept = [code_path(c) for c in old if c.id not in touched]
    counts["kept"] = len(kept)
    return {"codebook_id": codebook.id, "name": codebook.name, **counts,
            "kept_codes": ["/".join(p) for p in kept]}


def spec_from_db(codebook: Codebook) -> CodebookSpec:
    """The codebook as a spec (for export), children in their stored order."""
    def build(code: Code) -> CodeSpec:
        return CodeSpec(name=code.name, definition=code.definition, guid=code.guid, color=code.color,
                        when_to_use=code.when_to_use, when_not_to_use=code.when_not_to_use,
                        examples=list(code.examples or []), rules=list(code.rules or []),
                        children=[build(c) for c in code.children])
    roots = [c for c in codebook.codes if c.parent_id is None]
    return CodebookSpec(name=codebook.name, guid=codebook.guid, description=codebook.description,
                        reference=codebook.reference, languages=list(codebook.languages or []),
                        rule_context=list(codebook.rule_context or []),
                        codes=[build(c) for c in roots])


def list_codes(session: Session, project_id: int, codebook: str | None = None) -> list[dict]:
    """One row per code (id, codebook, path, codings), optionally of one codebook."""
    stmt = select(Codebook).where(Codebook.project_id == project_id).order_by(Codebook.name)
    if codebook:
        stmt = stmt.where(Codebook.id == get_codebook(session, project_id, codebook).id)
    rows = []
    for cb in session.scalars(stmt):
        counts = codings_per_code(session, cb.id)
        rows += [{"id": c.id, "codebook": cb.name, "code": "/".join(code_path(c)),
                  "codings": counts.get(c.id, 0)} for c in cb.codes]
    return rows


def codings_per_code(session: Session, codebook_id: int) -> dict[int, int]:
    return dict(session.execute(select(Coding.code_id, func.count(Coding.id)).join(Code)
                                .where(Code.codebook_id == codebook_id).group_by(Coding.code_id)).all())


def codebook_summary(session: Session, project_id: int) -> list[dict]:
    """One row per codebook: name, number of codes, number of codings, the file it came from."""
    codes = dict(session.execute(select(Code.codebook_id, func.count(Code.id)).join(Codebook)
                                 .where(Codebook.project_id == project_id).group_by(Code.codebook_id)).all())
    codings = dict(session.execute(select(Code.codebook_id, func.count(Coding.id)).join(Coding)
                                   .join(Codebook).where(Codebook.project_id == project_id)
                                   .group_by(Code.codebook_id)).all())
    return [{"codebook": cb.name, "codes": codes.get(cb.id, 0), "codings": codings.get(cb.id, 0),
             "file": cb.source_file}
            for cb in session.scalars(select(Codebook).where(Codebook.project_id == project_id)
                                      .order_by(Codebook.name))]
