"""Tables for spreadsheets and statistics packages: quotes, code presence per case, crosstabs.

Cells that a spreadsheet would run as a formula (starting with ``= + - @``, or a tab/carriage
return) are neutralised with a leading apostrophe: an interview quote must never execute.
"""
from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from workbench.analysis.crosstab import Crosstab
from workbench.errors import WorkbenchError
from workbench.safety.atomic import write_atomic
from workbench.safety.sanitise import safe_frame


def quotes_table(quotes: pd.DataFrame, cases: pd.DataFrame) -> pd.DataFrame:
    """One row per coded quote with the code path and every case attribute as columns."""
    keep = ["coding_id", "code", "quote", "source", "case", "speaker", "role", "time", "page", "coder", "start", "end",
            "proposed by"]
    frame = quotes[keep].rename(columns={"code": "code_path"})
    if not cases.empty:
        frame = frame.merge(cases, on="case", how="left")
    return frame


def crosstab_sheets(ct: Crosstab) -> dict[str, pd.DataFrame]:
    """The sheets of a crosstab spreadsheet: counts, column and row percentages, the tests."""
    return {"counts": ct.table.reset_index(), "column %": ct.col_percent.round(1).reset_index(),
            "row %": ct.row_percent.round(1).reset_index(), "tests": ct.tests_frame()}


def to_bytes(frames: dict[str, pd.DataFrame], fmt: str) -> bytes:
    """CSV (the first frame) or XLSX (one sheet per frame), neutralised."""
    if fmt == "csv":
        first = next(iter(frames.values()))
        return safe_frame(first).to_csv(index=False).encode("utf-8-sig")   # BOM: Excel reads UTF-8
    if fmt == "xlsx":
        buf = io.BytesIO()
        with pd.ExcelWriter(buf, engine="openpyxl") as writer:
            for name, frame in frames.items():
                safe_frame(frame).to_excel(writer, sheet_name=name[:31], index=False)
        return buf.getvalue()
    raise WorkbenchError(f"unknown table format {fmt!r}; use csv or xlsx")


def write(frames: dict[str, pd.DataFrame], path: str | Path) -> Path:
    """Write atomically: a temporary file renamed, so a failed export leaves no half file."""
    path = Path(path)
    return write_atomic(path, to_bytes(frames, path.suffix.lower().lstrip(".")))
