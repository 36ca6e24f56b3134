"""The case table as a file: CSV/XLSX read on the hardened path (typed headers such as
``employees:number``), imported all or nothing, edited in the app, exported atomically."""
from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.corpus.cases import (
    case_table,
    get_or_create_attribute,
    get_or_create_case,
    infer_type,
    is_blank,
    parse_value,
    set_value,
)
from workbench.db.models import Attribute, AttributeType, Case
from workbench.errors import InvalidCaseTable, WorkbenchError
from workbench.safety.atomic import write_atomic
from workbench.safety.sanitise import safe_frame
from workbench.safety.untrusted import MAX_SOURCE_BYTES, check_zip, read_limited

_TYPED_HEADER = re.compile(r"^(?P<name>.+?)\s*:\s*(?P<type>text|number|boolean|date)$", re.IGNORECASE)


def read_table(path: str | Path) -> pd.DataFrame:
    """A CSV or XLSX case table as strings (XLSX keeps its typed cells)."""
    path = Path(path)
    return read_table_bytes(read_limited(path, MAX_SOURCE_BYTES), str(path))


def read_table_bytes(data: bytes, filename: str, error: type[WorkbenchError] = InvalidCaseTable) -> pd.DataFrame:
    """A table from bytes (an upload); the file name decides CSV or XLSX. Problems are raised
    as ``error`` (a case table's by default)."""
    path = Path(filename)
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            check_zip(data, str(path), error)
            import io
            return pd.read_excel(io.BytesIO(data), dtype=object)
        if path.suffix.lower() in (".csv", ".tsv", ".txt"):
            import io
            text = data.decode("utf-8-sig")
            if path.suffix.lower() == ".tsv":
                sep = "\t"
            else:   # comma, or semicolon as European spreadsheets write
                try:
                    sep = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|").delimiter
                except csv.Error:
                    sep = ","
            return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=sep)
    except UnicodeDecodeError as exc:
        raise error(f"is not UTF-8 text (byte offset {exc.start}); save it as CSV UTF-8",
                    file=str(path)) from exc
    except error:
        raise
    except Exception as exc:   # pandas raises many parser error types
        raise error(f"cannot be read as a table ({exc})", file=str(path)) from exc
    raise error(f"has an unsupported type {path.suffix}; use .csv or .xlsx", file=str(path))


def import_case_table(session: Session, project_id: int, frame: pd.DataFrame, *, file: str = "") -> dict:
    """Create or update cases from a table whose first column (or ``case``) names the case.

    Other columns become typed attributes: an existing attribute keeps its type, a new one
    takes the type written in its header (``employees:number``) or the narrowest type that
    fits every value. Every value is checked before anything is written; a bad cell is
    reported with its line (header = line 1) and column.
    """
    if frame.empty or len(frame.columns) == 0:
        raise InvalidCaseTable("holds no rows", file=file)
    columns = [str(c).strip() for c in frame.columns]
    key = next((c for c in columns if c.lower() in ("case", "caso", "name")), columns[0])
    names = ["" if is_blank(v) else str(v).strip() for v in frame[frame.columns[columns.index(key)]]]
    for i, n in enumerate(names):
        if not n:
            raise InvalidCaseTable(f"column {key!r} is empty: every row needs a case name", file=file, line=i + 2)
    first_line: dict[str, int] = {}
    for i, n in enumerate(names):
        if n in first_line:
            raise InvalidCaseTable(f"case {n!r} appears twice (first on line {first_line[n]})",
                                   file=file, line=i + 2)
        first_line[n] = i + 2
    attrs: list[tuple[str, AttributeType, object]] = []
    for col, header in zip(frame.columns, columns):
        if header == key:
            continue
        m = _TYPED_HEADER.match(header)
        name, declared = (m.group("name"), AttributeType(m.group("type").lower())) if m else (header, None)
        existing = session.scalar(select(Attribute).where(Attribute.project_id == project_id,
                                                          Attribute.name == name))
        type_ = existing.type if existing else declared or infer_type(list(frame[col]))
        attrs.append((name, type_, col))
    parsed: list[list] = []
    for i in range(len(frame)):
        row = []
        for name, type_, col in attrs:
            try:
                row.append(parse_value(frame[col].iloc[i], type_))
            except InvalidCaseTable as exc:
                raise InvalidCaseTable(f"column {name!r}: {str(exc).lstrip(': ')}", file=file, line=i + 2) from exc
        parsed.append(row)
    created = 0
    attribute_rows = [get_or_create_attribute(session, project_id, name, type_) for name, type_, _ in attrs]
    for name, values in zip(names, parsed):
        is_new = session.scalar(select(Case.id).where(Case.project_id == project_id, Case.name == name)) is None
        case = get_or_create_case(session, project_id, name)
        created += is_new
        for attribute, value in zip(attribute_rows, values):
            set_value(session, case, attribute, value)
    session.flush()
    return {"cases": len(names), "created": created, "attributes": len(attrs)}


def case_table_bytes(session: Session, project_id: int, fmt: str) -> bytes:
    """The case table as CSV (UTF-8) or XLSX bytes, for a download button."""
    import io
    frame = safe_frame(case_table(session, project_id))
    if fmt == "csv":
        return frame.to_csv(index=False).encode("utf-8-sig")      # BOM: Excel reads UTF-8
    buf = io.BytesIO()
    frame.to_excel(buf, index=False, engine="openpyxl")
    return buf.getvalue()


def save_case_table(session: Session, project_id: int, frame: pd.DataFrame) -> dict:
    """Make the project's cases match an edited table: update, add, and delete missing cases.

    Deleting a case keeps its sources (they just have no case any more).
    """
    result = import_case_table(session, project_id, frame, file="case table") if len(frame) else \
        {"cases": 0, "created": 0, "attributes": 0}
    keep = {str(n).strip() for n in frame[frame.columns[0]]} if len(frame) else set()
    deleted = 0
    for case in list(session.scalars(select(Case).where(Case.project_id == project_id))):
        if case.name not in keep:
            session.delete(case)
            deleted += 1
    session.flush()
    return {**result, "deleted": deleted}


def export_case_table(session: Session, project_id: int, path: str | Path) -> Path:
    """Write the case table as CSV or XLSX (by extension) via a temporary file."""
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("csv", "xlsx"):
        raise InvalidCaseTable(f"unsupported type {path.suffix}; use .csv or .xlsx", file=str(path))
    return write_atomic(path, case_table_bytes(session, project_id, fmt))
