"""Codebook files (YAML) <-> validated objects <-> database.

The format is documented in ``docs/codebook-format.md`` and checked by a JSON Schema plus
the rules a schema cannot express. Loading is hardened: a size cap, a safe loader (no
Python tags), a cap on aliases (no "billion laughs"), duplicate keys refused. Every problem
carries the file and line, and :func:`check_file` collects all of them at once.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import AlreadyExists, InvalidCodebook, NotFound, WorkbenchError
from .models import Code, Codebook, Coding, new_guid

MAX_CODEBOOK_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 64
PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
           "#ff9da7", "#9c755f", "#bab0ac", "#1f77b4", "#2ca02c", "#d62728", "#9467bd"]
SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "codebook.schema.json"


@dataclass
class CodeSpec:
    name: str
    definition: str = ""
    guid: str | None = None
    color: str | None = None
    when_to_use: str = ""
    when_not_to_use: str = ""
    examples: list[str] = field(default_factory=list)
    rules: list[dict[str, Any]] = field(default_factory=list)
    children: list[CodeSpec] = field(default_factory=list)
    line: int | None = None
    rule_lines: list[int | None] = field(default_factory=list, compare=False)

    def walk(self, path: tuple[str, ...] = ()):
        """Yield ``(path, code)`` for this code and its descendants, depth first."""
        here = path + (self.name,)
        yield here, self
        for child in self.children:
            yield from child.walk(here)


@dataclass
class CodebookSpec:
    name: str
    codes: list[CodeSpec]
    guid: str | None = None
    description: str = ""
    reference: str = ""
    languages: list[str] = field(default_factory=list)
    file: str = ""

    def walk(self):
        for code in self.codes:
            yield from code.walk()


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


# -- YAML with line numbers ------------------------------------------------------------------

def _line_map(node: yaml.Node, path: tuple = (), out: dict | None = None, problems: list | None = None,
              file: str = "") -> dict[tuple, int]:
    out = {} if out is None else out
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            k = key.value
            if k in seen and problems is not None:
                problems.append(InvalidCodebook(f"key {k!r} appears twice in one mapping (first on "
                                                f"line {seen[k]})", key.start_mark.line + 1, file=file))
            seen[k] = key.start_mark.line + 1
            out[path + (k,)] = key.start_mark.line + 1
            _line_map(value, path + (k,), out, problems, file)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _line_map(item, path + (i,), out, problems, file)
    return out


def _mark_line(exc: yaml.YAMLError) -> int | None:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return mark.line + 1 if mark else None


def parse_yaml(text: str, file: str, error: type[WorkbenchError] = InvalidCodebook,
               what: str = "codebooks") -> tuple[Any, dict[tuple, int], list[InvalidCodebook]]:
    """Safely parse YAML text; returns data, a path -> line map and structural problems.
    Problems are raised as ``error`` (``what`` names the kind of file in the messages)."""
    try:
        depth = 0
        for ev in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(ev, yaml.AliasEvent):
                # Codebooks never need anchors; nested aliases expand geometrically.
                raise error(f"uses a YAML alias (*name); {what} do not need them and "
                            "they are refused (alias bombs)", line=ev.start_mark.line + 1, file=file)
            if isinstance(ev, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    raise error(f"is nested more than {MAX_DEPTH} levels deep",
                                line=ev.start_mark.line + 1, file=file)
            elif isinstance(ev, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                raise error("is empty", line=1, file=file)
            problems: list[InvalidCodebook] = []
            lines = _line_map(node, problems=problems, file=file)
            data = loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc)
        if "could not determine a constructor" in str(exc) or "unknown tag" in str(exc):
            problem = f"uses a YAML tag the workbench does not load ({problem})"
        raise error(f"is not valid YAML: {problem}", line=_mark_line(exc), file=file) from exc
    return data, lines, problems


def _nearest_line(lines: dict[tuple, int], path: tuple) -> int | None:
    while path not in lines and path:
        path = path[:-1]
    return lines.get(path)


# -- validation -----------------------------------------------------------------------------

def _spec_from(data: dict, lines: dict[tuple, int], file: str) -> CodebookSpec:
    def code(d: dict, path: tuple) -> CodeSpec:
        return CodeSpec(name=d["name"].strip(), definition=d.get("definition", "").strip(),
                        guid=d.get("guid"), color=d.get("color"),
                        when_to_use=d.get("when_to_use", "").strip(),
                        when_not_to_use=d.get("when_not_to_use", "").strip(),
                        examples=list(d.get("examples", [])), rules=list(d.get("rules", [])),
                        children=[code(c, path + ("children", i)) for i, c in enumerate(d.get("children", []))],
                        line=lines.get(path),
                        rule_lines=[lines.get(path + ("rules", i)) for i in range(len(d.get("rules", [])))])
    return CodebookSpec(name=data["name"].strip(), guid=data.get("guid"),
                        description=data.get("description", "").strip(),
                        reference=data.get("reference", "").strip(),
                        languages=list(data.get("languages", [])),
                        codes=[code(c, ("codes", i)) for i, c in enumerate(data["codes"])], file=file)


def _attach_parents(data: dict, lines: dict, file: str, problems: list) -> None:
    """Move top-level codes that name a ``parent`` (a name or a path ``A/B``) under it."""
    top = data.get("codes", [])
    index: dict[str, dict] = {}

    def register(items, prefix):
        for c in items:
            if isinstance(c, dict) and isinstance(c.get("name"), str):
                p = f"{prefix}/{c['name'].strip()}" if prefix else c["name"].strip()
                index.setdefault(p.casefold(), c)
                index.setdefault(c["name"].strip().casefold(), c)
                register(c.get("children", []), p)
    register(top, "")
    keep = []
    for i, c in enumerate(top):
        parent = c.get("parent") if isinstance(c, dict) else None
        if not parent:
            keep.append(c)
            continue
        target = index.get(parent.strip().casefold())
        line = lines.get(("codes", i, "parent"))
        if target is None:
            problems.append(InvalidCodebook(f"code {c.get('name')!r} names an unknown parent code {parent!r}",
                                            line, file=file))
            keep.append(c)
        elif target is c:
            problems.append(InvalidCodebook(f"code {c.get('name')!r} is its own parent", line, file=file))
            keep.append(c)
        else:
            c = dict(c)
            c.pop("parent")
            target.setdefault("children", []).append(c)
    data["codes"] = keep


def _semantic_problems(spec: CodebookSpec, file: str) -> list[InvalidCodebook]:
    problems = []
    guids: dict[str, int | None] = {}
    if spec.guid:
        guids[spec.guid.lower()] = 1

    def siblings(codes: list[CodeSpec], where: str):
        seen: dict[str, CodeSpec] = {}
        for c in codes:
            key = c.name.casefold()
            if key in seen:
                problems.append(InvalidCodebook(
                    f"two codes named {c.name!r} {where} (the first is on line {seen[key].line})",
                    c.line, file=file))
            seen[key] = c
            if c.guid:
                g = c.guid.lower()
                if g in guids:
                    problems.append(InvalidCodebook(f"GUID {c.guid} is used twice (first on line {guids[g]})",
                                                    c.line, file=file))
                guids[g] = c.line
            siblings(c.children, f"under {c.name!r}")
    siblings(spec.codes, "at the top level")
    from .autocode_rules import RuleProblem, parse_rule
    for path, c in spec.walk():
        ids = set()
        for i, raw in enumerate(c.rules):
            line = c.rule_lines[i] if i < len(c.rule_lines) else c.line
            try:
                rule = parse_rule(raw, code=c.name, index=i, default_languages=spec.languages)
            except RuleProblem as exc:
                problems.append(InvalidCodebook(f"code {c.name!r}, rule {i + 1}: {exc}", line, file=file))
                continue
            if rule.id in ids:
                problems.append(InvalidCodebook(f"code {c.name!r}: two rules with id {rule.id!r}", line, file=file))
            ids.add(rule.id)
    return problems


_PATTERN_HINTS = {"guid": "is not a GUID (like 0a4e2c1d-5b6f-4c7d-8e9f-0a1b2c3d4e5f)",
                  "color": "is not a colour like #4e79a7", "name": "must contain text",
                  "parent": "must contain text"}


def _friendly(err: jsonschema.ValidationError, path: tuple) -> str:
    where = "/".join(map(str, path)) or "top level"
    last = next((p for p in reversed(path) if isinstance(p, str)), "")
    if err.validator == "pattern" and last in _PATTERN_HINTS:
        return f"{where}: {err.instance!r} {_PATTERN_HINTS[last]}"
    if err.validator == "required":
        return f"{where}: {err.message.replace('is a required property', 'is missing')}"
    if err.validator == "const" and last == "workbench_codebook":
        return f"{where}: format version {err.instance!r} is not supported (this workbench reads version 1)"
    return f"{where}: {err.message}"


def check_text(text: str, file: str = "<codebook>") -> tuple[CodebookSpec | None, list[InvalidCodebook]]:
    """Every problem of a codebook text, and the spec when there is none."""
    data, lines, problems = parse_yaml(text, file)
    if not isinstance(data, dict):
        return None, [InvalidCodebook("must be a mapping with workbench_codebook, name and codes", 1, file=file)]
    if isinstance(data.get("codes"), list):
        _attach_parents(data, lines, file, problems)
    for err in sorted(_validator().iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        path = tuple(err.absolute_path)
        if err.validator == "additionalProperties":
            allowed = ", ".join(err.schema.get("properties", {}))
            for key in sorted(set(err.instance) - set(err.schema.get("properties", {}))):
                problems.append(InvalidCodebook(f"unknown field {key!r} (allowed: {allowed})",
                                                _nearest_line(lines, path + (key,)), file=file))
            continue
        problems.append(InvalidCodebook(_friendly(err, path), _nearest_line(lines, path), file=file))
    if problems:
        return None, sorted(problems, key=lambda p: p.line or 0)
    spec = _spec_from(data, lines, file)
    problems = _semantic_problems(spec, file)
    return (None if problems else spec), problems


def check_file(path: str | Path) -> tuple[CodebookSpec | None, list[InvalidCodebook]]:
    """Read and check a codebook file; the spec is None when there are problems."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        return None, [InvalidCodebook(f"cannot be read ({exc.strerror})", file=str(path))]
    if size > MAX_CODEBOOK_BYTES:
        return None, [InvalidCodebook(f"is {size / 1e6:.1f} MB; codebooks are limited to "
                                      f"{MAX_CODEBOOK_BYTES / 1e6:.0f} MB", file=str(path))]
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [InvalidCodebook(f"is not UTF-8 (byte offset {exc.start})", file=str(path))]
    try:
        return check_text(text, str(path))
    except InvalidCodebook as exc:
        return None, [exc]


def read_codebook(path: str | Path) -> CodebookSpec:
    """A validated codebook, or :class:`InvalidCodebook` listing every problem."""
    spec, problems = check_file(path)
    if problems:
        first = problems[0]
        raise InvalidCodebook(first.message, first.line, file=first.file, problems=problems)
    return spec


# -- database ---------------------------------------------------------------------------------

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
        raise NotFound(f"no code {ref!r} in this project")
    if len(matches) > 1:
        where = "; ".join(f"{c.codebook.name}: {'/'.join(code_path(c))} (id {c.id})" for c in matches)
        raise NotFound(f"code {ref!r} is ambiguous ({where}); give its id, its path or --codebook")
    return matches[0]


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
                        codes=[build(c) for c in roots])


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper, data: str):
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_presenter)


def to_yaml(spec: CodebookSpec) -> str:
    """The codebook in the documented file format."""
    def code(c: CodeSpec) -> dict:
        d: dict[str, Any] = {"name": c.name, "guid": c.guid or str(uuid.uuid4())}
        if c.color:
            d["color"] = c.color
        d["definition"] = c.definition
        for key in ("when_to_use", "when_not_to_use"):
            if getattr(c, key):
                d[key] = getattr(c, key)
        if c.examples:
            d["examples"] = list(c.examples)
        if c.rules:
            d["rules"] = c.rules
        if c.children:
            d["children"] = [code(x) for x in c.children]
        return d
    doc: dict[str, Any] = {"workbench_codebook": 1, "name": spec.name, "guid": spec.guid or str(uuid.uuid4())}
    for key in ("description", "reference"):
        if getattr(spec, key):
            doc[key] = getattr(spec, key)
    if spec.languages:
        doc["languages"] = list(spec.languages)
    doc["codes"] = [code(c) for c in spec.codes]
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


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
    from sqlalchemy import func
    return dict(session.execute(select(Coding.code_id, func.count(Coding.id)).join(Code)
                                .where(Code.codebook_id == codebook_id).group_by(Coding.code_id)).all())
