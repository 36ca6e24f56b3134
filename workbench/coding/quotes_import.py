"""Hand codings made elsewhere, given as quotes: a gold set, a colleague's spreadsheet of coded
excerpts. Each row names the source, the codebook, the code and the quoted words; the quote is
found in the source by its exact text.

Files: YAML (``coder:`` and ``codings:``, a list of mappings, like transcripts/demo-gold.yaml),
CSV or XLSX with the columns source, codebook, code, quote. They are untrusted: YAML goes through
the same safe parser as codebooks (no tags, no aliases, bounded nesting), XLSX through the zip
checks, and every row is checked before anything is written.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from workbench.codebook.lookup import find_code, get_codebook
from workbench.coding.codings import apply_code
from workbench.corpus.case_table import read_table_bytes
from workbench.corpus.sources import get_source
from workbench.db import history
from workbench.db.models import Coder, CodingOrigin
from workbench.errors import InvalidCodingsFile, InvalidSpan, NotFound
from workbench.project.coders import get_or_create_coder
from workbench.safety.untrusted import MAX_SOURCE_BYTES, read_limited
from workbench.safety.yaml_safe import parse_yaml

COLUMNS = ("source", "codebook", "code", "quote")
SUFFIXES = (".yaml", ".yml", ".csv", ".tsv", ".xlsx")


def read_quote_rows(data: bytes, filename: str) -> tuple[list[dict], str | None]:
    """The rows of a quotes file (the four fields and the row's ``line`` in the file) and the
    coder the file names, if any."""
    suffix = Path(filename).suffix.lower()
    if suffix in (".yaml", ".yml"):
        return _yaml_rows(data, filename)
    if suffix in (".csv", ".tsv", ".xlsx"):
        return _table_rows(data, filename), None
    raise InvalidCodingsFile(f"has an unsupported type {suffix or '(none)'}; use "
                             + ", ".join(SUFFIXES), file=filename)


def _yaml_rows(data: bytes, filename: str) -> tuple[list[dict], str | None]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidCodingsFile(f"is not UTF-8 text (byte offset {exc.start})", file=filename) from exc
    doc, lines, problems = parse_yaml(text, filename, InvalidCodingsFile, "files of codings")
    if problems:
        raise InvalidCodingsFile(problems[0].message, line=problems[0].line, file=filename)
    coder = None
    if isinstance(doc, dict):
        coder = doc.get("coder")
        rows, where = doc.get("codings"), ("codings",)
    else:
        rows, where = doc, ()
    if not isinstance(rows, list):
        raise InvalidCodingsFile("needs a list of codings (under 'codings:'), each with "
                                 + ", ".join(COLUMNS), line=1, file=filename)
    out = []
    for i, row in enumerate(rows):
        line = lines.get(where + (i,))
        if not isinstance(row, dict):
            raise InvalidCodingsFile(f"coding {i + 1} is not a mapping of {', '.join(COLUMNS)}", line=line, file=filename)
        missing = [c for c in COLUMNS if not isinstance(row.get(c), str) or not row[c].strip()]
        if missing:
            raise InvalidCodingsFile(f"coding {i + 1} has no {missing[0]!r}", line=line, file=filename)
        out.append({**{c: row[c] for c in COLUMNS}, "line": line})
    return out, (str(coder) if coder else None)


def _table_rows(data: bytes, filename: str) -> list[dict]:
    frame = read_table_bytes(data, filename, InvalidCodingsFile)
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise InvalidCodingsFile(f"has no column {missing[0]!r} (needs {', '.join(COLUMNS)})", line=1, file=filename)
    out = []
    for i, row in enumerate(frame[list(COLUMNS)].itertuples(index=False), start=2):   # line 1: the header
        values = {c: ("" if v is None or v != v else str(v)) for c, v in zip(COLUMNS, row)}
        empty = [c for c in COLUMNS if not values[c].strip()]
        if empty:
            raise InvalidCodingsFile(f"row {i} has no {empty[0]!r}", line=i, file=filename)
        out.append({**values, "line": i})
    return out


def import_codings(store, project_id: int, data: bytes, filename: str, *, coder: str | None = None,
                   default_coder: str = "gold", actor_id: int | None = None, max_bytes: int | None = None) -> dict:
    """Apply the codings of a quotes file as manual codings of ``coder`` (else the coder the
    file names, else ``default_coder``), in one action that ``actor_id`` (who imports; default
    that coder) can undo; nothing is written when a row is wrong. Returns ``{"coder", "rows",
    "created"}`` (a row already coded so is not doubled). ``max_bytes`` is the configured upload
    limit (``Settings.max_upload_bytes``)."""
    limit = min(max_bytes or MAX_SOURCE_BYTES, MAX_SOURCE_BYTES)
    if len(data) > limit:
        raise InvalidCodingsFile(f"is {len(data) / 1e6:.1f} MB, above the upload limit of {limit / 1e6:.1f} MB",
                                 file=filename)
    rows, named = read_quote_rows(data, filename)
    who = coder or named or default_coder
    name = Path(filename).name
    with store.write(f"import codings from {name}", project_id=project_id, coder_id=actor_id) as s:
        # The coder in the same transaction: a file with a wrong row leaves not even a new coder.
        target = get_or_create_coder(s, who)
        if actor_id is None:
            history.set_coder(s, target.id)    # the action is the coder's own
        created = codings_from_quotes(s, project_id, rows, target, file=name)
    return {"coder": who, "rows": len(rows), "created": created}


def import_codings_file(store, project_id: int, path: str | Path, **kwargs) -> dict:
    """:func:`import_codings` of a file on disk (size-limited)."""
    path = Path(path)
    return import_codings(store, project_id, read_limited(path, MAX_SOURCE_BYTES), str(path), **kwargs)


def codings_from_quotes(session: Session, project_id: int, rows: list[dict], coder: Coder, *,
                        file: str = "") -> int:
    """Apply codings given as quotes: ``{source, codebook, code, quote}`` each, found by exact text
    (a row's ``line``, when it has one, is where it is in its file).

    For hand-coded material prepared elsewhere (a gold set, a colleague's spreadsheet). Every
    row is checked before anything is written; a quote that is not in its source is an error.
    """
    planned = []
    for i, row in enumerate(rows, start=1):
        try:
            source = get_source(session, project_id, row["source"])
            code = find_code(session, project_id, row["code"], str(get_codebook(session, project_id, row["codebook"]).id))
        except (KeyError, NotFound) as exc:
            raise InvalidSpan(f"row {i}: {exc}", file=file, line=row.get("line")) from exc
        start = source.text.find(row["quote"])
        if start < 0:
            raise InvalidSpan(f"row {i}: quote not found in {source.name!r}: {row['quote'][:60]!r}", file=file,
                              line=row.get("line"))
        planned.append((source, code.id, start, start + len(row["quote"])))
    created = 0
    for source, code_id, start, end in planned:
        created += apply_code(session, source, code_id, coder, start, end, origin=CodingOrigin.manual)[1]
    return created
