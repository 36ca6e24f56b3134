"""Cases (the units compared, e.g. firms) and their typed attributes (text, number, boolean, date)."""
from __future__ import annotations

import datetime as dt
import math
import re

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.db.models import Attribute, AttributeType, AttributeValue, Case
from workbench.errors import InvalidCaseTable, NotFound

_TRUE = {"true", "yes", "y", "sim", "s", "1", "x"}

_FALSE = {"false", "no", "n", "não", "nao", "0", ""}

_AMBIGUOUS_NUMBER = re.compile(r"^[+-]?\d{1,3}([.,]\d{3})+([.,]\d+)?$|^.*\d[.,]\d.*[.,]")


def get_or_create_case(session: Session, project_id: int, name: str) -> Case:
    case = session.scalar(select(Case).where(Case.project_id == project_id, Case.name == name))
    if case is None:
        case = Case(project_id=project_id, name=name)
        session.add(case)
        session.flush()
    return case


def get_case(session: Session, project_id: int, name: str) -> Case:
    case = session.scalar(select(Case).where(Case.project_id == project_id, Case.name == name))
    if case is None:
        raise NotFound(f"no case {name!r} in this project")
    return case


def case_names(session: Session, project_id: int) -> list[str]:
    """Names of the project's cases, by name."""
    return list(session.scalars(select(Case.name).where(Case.project_id == project_id).order_by(Case.name)))


def is_blank(raw) -> bool:
    """An empty cell: None, NaN, pandas' NA/NaT (what a grid gives for a cleared cell), or spaces."""
    if isinstance(raw, str):
        return not raw.strip()
    return raw is None or (pd.api.types.is_scalar(raw) and bool(pd.isna(raw)))


def parse_value(raw, type_: AttributeType, *, where: str = "") -> object:
    """Convert a cell to the attribute's type; a bad value names where it is."""
    if is_blank(raw):
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
    cells = [v for v in values if not is_blank(v)]
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


VALUE_COLUMN = {AttributeType.text: "text_value", AttributeType.number: "number_value",
                AttributeType.boolean: "bool_value", AttributeType.date: "date_value"}   # where a value is stored


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
    setattr(row, VALUE_COLUMN[attribute.type], value)


def get_or_create_attribute(session: Session, project_id: int, name: str,
                            type_: AttributeType = AttributeType.text) -> Attribute:
    attr = session.scalar(select(Attribute).where(Attribute.project_id == project_id, Attribute.name == name))
    if attr is None:
        position = len(list(session.scalars(select(Attribute.id).where(Attribute.project_id == project_id))))
        attr = Attribute(project_id=project_id, name=name, type=type_, position=position)
        session.add(attr)
        session.flush()
    return attr


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


MAX_CHOICES = 30


def attribute_choices(frame: pd.DataFrame, name: str, limit: int = MAX_CHOICES) -> list[str] | None:
    """The values a text attribute takes in the case table (trimmed, each once), when it takes
    few enough to choose from (a category such as sector); None for free text (many values,
    or none yet)."""
    if name not in frame.columns:
        return None
    values = sorted({" ".join(str(v).split()) for v in frame[name] if not is_blank(v)})
    if not values or len(values) > limit or len(values) > max(2, len(frame) // 2 + 1) and len(frame) > 4:
        return None
    return values
