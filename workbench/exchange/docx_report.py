"""The report researchers paste from: codebook, quotes with citations, memos, crosstabs.

Real Word styles only (Title, Heading 1-3, Quote, Caption, a table style), no hand formatting,
so the document takes the look of whatever template the paper uses. Characters that XML 1.0
forbids (control characters from a bad transcript) are removed and counted.
"""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from workbench.analysis.crosstab import Crosstab
from workbench.analysis.presentation import crosstab_rows
from workbench.safety.atomic import write_atomic
from workbench.safety.sanitise import XML_FORBIDDEN


@dataclass
class ReportInput:
    title: str
    description: str = ""
    codebook: list[dict] = field(default_factory=list)      # path, depth, definition, when_to_use, when_not_to_use, examples
    quotes: pd.DataFrame | None = None                       # retrieval.coded_quotes + sector etc.
    code_memos: dict[str, list[str]] = field(default_factory=dict)
    coding_memos: dict[int, str] = field(default_factory=dict)
    crosstabs: list[Crosstab] = field(default_factory=list)
    cite_with: list[str] = field(default_factory=list)      # case attributes in each citation, e.g. sector
    methods: list[str] = field(default_factory=list)        # the methods paragraphs (analysis.methods)


@dataclass
class ReportResult:
    data: bytes
    quotes: int
    stripped_characters: int


class _Clean:
    def __init__(self):
        self.stripped = 0

    def __call__(self, text) -> str:
        text = "" if text is None else str(text)
        cleaned, n = XML_FORBIDDEN.subn("", text)
        self.stripped += n
        return cleaned


def citation(row, cite_with: list[str]) -> str:
    """"Case · sector · Speaker, 00:12:03" - where a quote comes from, for the paper."""
    parts = [row.get("case") or row.get("source")]
    parts += [str(row.get(a)) for a in cite_with if row.get(a) not in (None, "") and row.get(a) == row.get(a)]
    who = row.get("speaker") or ""
    when = row.get("time") or (f"p. {int(row['page'])}" if row.get("page") == row.get("page") and row.get("page")
                               else f"turn {int(row['turn']) + 1}" if row.get("turn") == row.get("turn")
                               and row.get("turn") is not None else "")
    tail = ", ".join(x for x in (who, when) if x)
    return " · ".join(str(p) for p in parts if p) + (f" · {tail}" if tail else "")


def build(report: ReportInput) -> ReportResult:
    """The DOCX bytes of a report."""
    import docx
    from docx.enum.text import WD_BREAK
    clean = _Clean()
    document = docx.Document()
    document.core_properties.title = clean(report.title)
    document.add_paragraph(clean(report.title), style="Title")
    if report.description:
        document.add_paragraph(clean(report.description), style="Subtitle")
    n_quotes = 0 if report.quotes is None else len(report.quotes)
    document.add_paragraph(f"Report of {dt.date.today():%d %B %Y}: {len(report.codebook)} codes, {n_quotes} coded quotes.")
    document.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)

    if report.codebook:
        document.add_heading("Codebook", level=1)
        for code in report.codebook:
            document.add_heading(clean(code["path"]), level=min(2 + code.get("depth", 0), 4))
            if code.get("definition"):
                document.add_paragraph(clean(code["definition"]))
            for label, key in (("When to use", "when_to_use"), ("When not to use", "when_not_to_use")):
                if code.get(key):
                    p = document.add_paragraph(style="List Bullet")
                    p.add_run(f"{label}: ").bold = True
                    p.add_run(clean(code[key]))
            for example in code.get("examples", []):
                document.add_paragraph(clean(example), style="Quote")

    if report.quotes is not None and len(report.quotes):
        document.add_heading("Coded segments", level=1)
        # Style ids resolved once: python-docx looks a style name up by scanning every style for
        # each paragraph (most of the time of a large report; see bench/analysis.py).
        quote_id, caption_id, memo_id = (document.styles[n].style_id for n in ("Quote", "Caption", "Intense Quote"))

        from docx.oxml import OxmlElement
        from docx.text.paragraph import Paragraph
        body = document.element.body
        end = body.sectPr

        def para(text: str, style_id: str) -> None:
            # Insert before the cached section properties: add_paragraph() searches the whole
            # body for them each time, which is quadratic over thousands of quotes.
            p = OxmlElement("w:p")
            if end is not None:
                end.addprevious(p)
            else:
                body.append(p)
            Paragraph(p, document._body).add_run(text)
            p.style = style_id
        for code, group in report.quotes.groupby("code", sort=False):
            document.add_heading(f"{clean(code)} ({len(group)})", level=2)
            for memo in report.code_memos.get(code, []):
                para(clean(memo), memo_id)
            for row in group.to_dict("records"):
                para(clean(row["quote"]), quote_id)
                para(clean(citation(row, report.cite_with)), caption_id)
                memo = report.coding_memos.get(row["coding_id"])
                if memo:
                    para(f"Memo: {clean(memo)}", caption_id)

    for ct in report.crosstabs:
        document.add_heading(f"Codes by {clean(ct.by)} ({ct.count})", level=1)
        rows = crosstab_rows(ct)
        header = list(rows[0]) if rows else ["code"]
        table = document.add_table(rows=1, cols=len(header))
        table.style = "Light List Accent 1"
        for cell, text in zip(table.rows[0].cells, header):
            cell.text = clean(text)
        for row in rows:
            for cell, key in zip(table.add_row().cells, header):
                cell.text = clean(str(row.get(key, "")))
        if ct.tests:
            document.add_paragraph(clean(ct.summary()), style="Caption")
        for w in ct.warnings:
            document.add_paragraph(clean(w[:1].upper() + w[1:]), style="Caption")
    if report.methods:
        document.add_heading("Methods", level=1)
        for paragraph in report.methods:
            document.add_paragraph(clean(paragraph))
    buf = io.BytesIO()
    document.save(buf)
    return ReportResult(buf.getvalue(), n_quotes, clean.stripped)


def write(report: ReportInput, path: str | Path) -> ReportResult:
    """Build and write atomically (temporary file, then rename)."""
    result = build(report)
    write_atomic(path, result.data)
    return result
