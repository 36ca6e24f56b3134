"""Cases and their typed attributes; the case table as CSV/XLSX."""
from __future__ import annotations

import csv
import datetime as dt
import math
import re
from pathlib import Path

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from .corpus import get_or_create_case
from .errors import InvalidCaseTable, NotFound, WorkbenchError
from .models import Attribute, AttributeType, AttributeValue, Case
from .safety import MAX_SOURCE_BYTES, check_zip, read_limited, write_atomic

_TRUE = {"true", "yes", "y", "sim", "s", "1", "x"}
_FALSE = {"false", "no", "n", "não", "nao", "0", ""}
_AMBIGUOUS_NUMBER = re.compile(r"^[+-]?\d{1,3}([.,]\d{3})+([.,]\d+)?$|^.*\d[.,]\d.*[.,]")
_TYPED_HEADER = re.compile(r"^(?P<name>.+?)\s*:\s*(?P<type>text|number|boolean|date)$", re.IGNORECASE)


def parse_value(raw, type_: AttributeType, *, where: str = "") -> object:
    """Convert a cell to the attribute's type; a bad value names where it is."""
    if raw is None or (isinstance(raw, float) and pd.isna(raw)) or (isinstance(raw, str) and not raw.strip()):
        return None
    text = str(raw).strip()
    try:
        if type_ is AttributeType.number:
            if not isinstance(raw, str):
                value = float(raw)
            elif _AMBIGUOUS_NUMBER.match(text) or (len(text) > 1 and text[0] == "0" and text[1].isdigit()):
                raise ValueError(text)   # "1,200" (thousands or decimal?), "0123" (an id): not numbers
            else:
                value = float(text.replace(",", "."))
            if math.isnan(value) or math.isinf(value):
                raise ValueError(text)
            return value
        if type_ is AttributeType.boolean:
            if isinstance(raw, bool):
                return raw
            low = text.lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
            raise ValueError(f"{text!r} is not yes/no")
        if type_ is AttributeType.date:
            if isinstance(raw, (dt.date, pd.Timestamp)):
                return pd.Timestamp(raw).date()
            return dt.date.fromisoformat(text[:10] if re.fullmatch(r"\d{4}-\d{2}-\d{2}([ T]00:00(:00)?)?", text)
                                         else text)
    except ValueError as exc:
        raise InvalidCaseTable(f"{where}: {text!r} is not a valid {type_.value}", line=None) from exc
    return text


def infer_type(values: list) -> AttributeType:
    """The narrowest type every non-empty value fits: number, boolean, date, else text."""
    cells = [v for v in values if v is not None and not (isinstance(v, float) and pd.isna(v))
             and str(v).strip() != ""]
    if not cells:
        return AttributeType.text
    for type_ in (AttributeType.number, AttributeType.boolean, AttributeType.date):
        try:
            for v in cells:
                if type_ is AttributeType.boolean and str(v).strip().lower() not in (_TRUE | _FALSE) - {""}:
                    raise ValueError
                if type_ is AttributeType.number and isinstance(v, bool):
                    raise ValueError
                parse_value(v, type_)
            return type_
        except (ValueError, InvalidCaseTable):
            continue
    return AttributeType.text


def set_value(session: Session, case: Case, attribute: Attribute, value) -> None:
    """Set (or clear, with None) one attribute value of a case."""
    row = session.scalar(select(AttributeValue).where(AttributeValue.case_id == case.id,
                                                      AttributeValue.attribute_id == attribute.id))
    if value is None:
        if row is not None:
            session.delete(row)
        return
    if row is None:
        row = AttributeValue(case_id=case.id, attribute_id=attribute.id)
        session.add(row)
    row.text_value = row.number_value = row.bool_value = row.date_value = None
    column = {AttributeType.text: "text_value", AttributeType.number: "number_value",
              AttributeType.boolean: "bool_value", AttributeType.date: "date_value"}[attribute.type]
    setattr(row, column, value)


def get_or_create_attribute(session: Session, project_id: int, name: str,
                            type_: AttributeType = AttributeType.text) -> Attribute:
    attr = session.scalar(select(Attribute).where(Attribute.project_id == project_id, Attribute.name == name))
    if attr is None:
        position = len(list(session.scalars(select(Attribute.id).where(Attribute.project_id == project_id))))
        attr = Attribute(project_id=project_id, name=name, type=type_, position=position)
        session.add(attr)
        session.flush()
    return attr


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
    names = [str(v).strip() if v is not None and not (isinstance(v, float) and pd.isna(v)) else ""
             for v in frame[frame.columns[columns.index(key)]]]
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


def case_table(session: Session, project_id: int) -> pd.DataFrame:
    """The case table: one row per case, one typed column per attribute."""
    attributes = list(session.scalars(select(Attribute).where(Attribute.project_id == project_id)
                                      .order_by(Attribute.position, Attribute.id)))
    cases = list(session.scalars(select(Case).where(Case.project_id == project_id).order_by(Case.name)))
    rows = []
    for case in cases:
        by_attr = {v.attribute_id: v for v in case.values}
        row = {"case": case.name}
        for a in attributes:
            v = by_attr.get(a.id)
            row[a.name] = None if v is None else {
                AttributeType.text: v.text_value, AttributeType.number: v.number_value,
                AttributeType.boolean: v.bool_value, AttributeType.date: v.date_value}[a.type]
        rows.append(row)
    frame = pd.DataFrame(rows, columns=["case"] + [a.name for a in attributes])
    for a in attributes:   # whole numbers print as 46, not 46.0
        if a.type is AttributeType.number and frame[a.name].dropna().apply(float.is_integer).all():
            frame[a.name] = frame[a.name].astype("Int64")
    return frame


def attribute_types(session: Session, project_id: int) -> dict[str, str]:
    return {a.name: a.type.value for a in session.scalars(
        select(Attribute).where(Attribute.project_id == project_id).order_by(Attribute.position))}


def case_table_bytes(session: Session, project_id: int, fmt: str) -> bytes:
    """The case table as CSV (UTF-8) or XLSX bytes, for a download button."""
    import io
    frame = case_table(session, project_id)
    if fmt == "csv":
        return frame.to_csv(index=False).encode("utf-8")
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


def get_case(session: Session, project_id: int, name: str) -> Case:
    case = session.scalar(select(Case).where(Case.project_id == project_id, Case.name == name))
    if case is None:
        raise NotFound(f"no case {name!r} in this project")
    return case
