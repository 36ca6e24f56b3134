"""YAML from outside, read safely: no Python tags, no aliases (billion laughs), bounded
nesting, duplicate keys reported, and every node's line kept so that problems name their line.

Used for codebooks and for files of hand codings; each caller names its own error class.
"""
from __future__ import annotations

from typing import Any

import yaml

from workbench.errors import InvalidCodebook, WorkbenchError
from workbench.safety.untrusted import MAX_DEPTH


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


def nearest_line(lines: dict[tuple, int], path: tuple) -> int | None:
    while path not in lines and path:
        path = path[:-1]
    return lines.get(path)
