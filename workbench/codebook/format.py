"""The codebook file format (YAML): reading, validating and writing it - no database here.

The format is documented in ``docs/codebook-format.md`` and checked by a JSON Schema plus the
rules a schema cannot express (unique names among siblings, unique GUIDs, valid autocoding
rules). Reading is hardened (``safety.yaml_safe``); every problem carries the file and line, and
:func:`check_file` collects all of them at once.
"""
from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from workbench.codebook.rules import RuleProblem, parse_rule
from workbench.errors import InvalidCodebook
from workbench.safety.untrusted import MAX_CODEBOOK_BYTES
from workbench.safety.yaml_safe import nearest_line, parse_yaml

_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")     # the schema's "color" pattern


def is_colour(value) -> bool:
    """Whether ``value`` is a colour as codebooks write them (``#4e79a7`` or ``#abc``)."""
    return isinstance(value, str) and _COLOUR.fullmatch(value) is not None


def check_colour(value) -> None:
    """Refuse a code colour that is not ``#rrggbb`` (the editor and the charts could not show it)."""
    if value is not None and not is_colour(value):
        raise InvalidCodebook(f"{value!r} is not a colour like #4e79a7")
SCHEMA_PATH = Path(__file__).resolve().parent / "codebook.schema.json"


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
    rule_context: list[str] = field(default_factory=list)
    file: str = ""

    def walk(self):
        for code in self.codes:
            yield from code.walk()


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


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
                        rule_context=[str(x) for x in data.get("rule_context", [])],
                        codes=[code(c, ("codes", i)) for i, c in enumerate(data["codes"])], file=file)


def _attach_parents(data: dict, lines: dict, file: str, problems: list) -> None:
    """Move top-level codes that name a ``parent`` (a name or a path ``A/B``) under it.

    Codes are moved as they are (not copied), so a chain (C under B under A) holds in any order;
    a code whose parent is itself, unknown, or leads back to it (A under B under A) is an error
    naming the codes, and stays where it is: nothing is dropped.
    """
    top = data.get("codes", [])
    index: dict[str, dict] = {}
    owner: dict[int, int] = {}           # id(code) -> position of the top-level code holding it

    def register(items, prefix, root):
        for i, c in enumerate(items):
            if isinstance(c, dict) and isinstance(c.get("name"), str):
                p = f"{prefix}/{c['name'].strip()}" if prefix else c["name"].strip()
                index.setdefault(p.casefold(), c)
                index.setdefault(c["name"].strip().casefold(), c)
                owner[id(c)] = i if root is None else root
                if isinstance(c.get("children"), list):
                    register(c["children"], p, i if root is None else root)
    register(top, "", None)
    moves: dict[int, dict] = {}          # top-level position -> the code it goes under
    for i, c in enumerate(top):
        parent = c.get("parent") if isinstance(c, dict) else None
        if not isinstance(parent, str) or not parent.strip():
            continue
        target = index.get(parent.strip().casefold())
        line = lines.get(("codes", i, "parent"))
        if target is None:
            problems.append(InvalidCodebook(f"code {c.get('name')!r} names an unknown parent code {parent!r}",
                                            line, file=file))
        elif owner.get(id(target)) == i:
            what = "its own parent" if target is c else f"placed under its own sub-code {parent!r}"
            problems.append(InvalidCodebook(f"code {c.get('name')!r} is {what}", line, file=file))
        else:
            moves[i] = target
    for i in sorted(moves):                      # a chain of parents that comes back is a cycle
        chain, j = [i], owner[id(moves[i])]
        while j in moves and j not in chain:
            chain.append(j)
            j = owner[id(moves[j])]
        if j == i:
            names = " -> ".join(repr(top[k].get("name")) for k in chain + [i])
            problems.append(InvalidCodebook(f"parent references form a cycle: {names}",
                                            lines.get(("codes", i, "parent")), file=file))
    if problems:
        return                                   # invalid anyway; keep every code where it was
    for i, target in moves.items():
        c = top[i]
        c.pop("parent")
        target.setdefault("children", []).append(c)
    data["codes"] = [c for i, c in enumerate(top) if i not in moves]


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
    for path, c in spec.walk():
        ids = set()
        for i, raw in enumerate(c.rules):
            line = c.rule_lines[i] if i < len(c.rule_lines) else c.line
            try:
                rule = parse_rule(raw, code=c.name, index=i, default_languages=spec.languages,
                                  default_context=spec.rule_context)
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
                                                nearest_line(lines, path + (key,)), file=file))
            continue
        problems.append(InvalidCodebook(_friendly(err, path), nearest_line(lines, path), file=file))
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
    if spec.rule_context:
        doc["rule_context"] = list(spec.rule_context)
    doc["codes"] = [code(c) for c in spec.codes]
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
