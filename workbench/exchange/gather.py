"""What an export needs, read from the database (the writers themselves stay pure)."""
from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.analysis.agreement_query import project_agreement
from workbench.analysis.crosstab_query import project_crosstab
from workbench.analysis.methods import methods
from workbench.analysis.retrieval import coded_quotes
from workbench.codebook.lookup import code_path, find_code, get_codebook
from workbench.corpus.cases import case_table
from workbench.db.models import Code, Codebook, Memo, Project
from workbench.exchange.docx_report import ReportInput


def _codebooks(session: Session, project_id: int, codebook: str | int | None) -> list[Codebook]:
    if codebook is not None:
        return [get_codebook(session, project_id, codebook)]
    return list(session.scalars(select(Codebook).where(Codebook.project_id == project_id).order_by(Codebook.name)))


def quotes_and_cases(session: Session, project_id: int, codebook: str | int | None = None, *,
                     code_ids: list[int] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Coded quotes (of one codebook, or all, or of ``code_ids`` only) and the case table."""
    books = _codebooks(session, project_id, codebook)
    ids = code_ids if code_ids is not None else [c.id for cb in books for c in cb.codes]
    quotes = coded_quotes(session, project_id, code_ids=ids or [-1], include_subcodes=False)
    return quotes, case_table(session, project_id)


def report_input(session: Session, project_id: int, *, codebook: str | int | None = None,
                 code: str | int | None = None, by: str | None = None,
                 cite_with: list[str] | None = None, agreement_coders: list[str] | None = None,
                 unit: str = "turn") -> ReportInput:
    """Everything a DOCX report shows: the codebook, quotes with citations, memos, a crosstab, and
    a methods section for what it computed (the crosstab, and agreement of ``agreement_coders``).

    With ``code`` (an id, name or path), only that code and its subcodes: the report of one theme.
    """
    project = session.get(Project, project_id)
    books = _codebooks(session, project_id, codebook)
    only = None
    if code is not None:
        picked = find_code(session, project_id, code, codebook=codebook)
        books, only = [picked.codebook], picked
    entries, subtree = [], []
    for cb in books:
        def walk(codes, depth):
            for c in codes:
                entries.append({"path": " › ".join(code_path(c)), "depth": depth, "definition": c.definition,
                                "when_to_use": c.when_to_use, "when_not_to_use": c.when_not_to_use,
                                "examples": list(c.examples or [])})
                subtree.append(c.id)
                walk(c.children, depth + 1)
        walk([only] if only is not None else [c for c in cb.codes if c.parent_id is None], 0)
    quotes, cases = quotes_and_cases(session, project_id, codebook, code_ids=subtree if only is not None else None)
    if not cases.empty and len(quotes):
        quotes = quotes.merge(cases, on="case", how="left")
    code_ids = [c.id for cb in books for c in cb.codes]
    code_memos: dict[str, list[str]] = {}
    for memo in session.scalars(select(Memo).where(Memo.code_id.in_(code_ids or [-1]))):
        code_memos.setdefault(" › ".join(code_path(session.get(Code, memo.code_id))), []).append(memo.text)
    coding_memos = {m.coding_id: m.text for m in session.scalars(
        select(Memo).where(Memo.project_id == project_id, Memo.coding_id.isnot(None)))}
    crosstabs, method_items = [], []
    if by:
        ct = project_crosstab(session, project_id, by, codebook=codebook if only is None else None,
                              code=only.id if only is not None else None)
        crosstabs.append(ct)
        method_items.append((ct, {"codebook": books[0].name if codebook is not None and books else None}))
    agreements = []
    if agreement_coders:
        found = project_agreement(session, project_id, agreement_coders, unit=unit, codebook=codebook)
        agreements.append((found.result, {"codebook": found.codebook,
                                          "excluded_names": [found.source_names.get(s, str(s))
                                                             for s, _ in found.result.excluded]}))
    title = project.name + (f": {' › '.join(code_path(only))}" if only is not None
                            else f": {books[0].name}" if codebook is not None and books else "")
    return ReportInput(title=title, description=project.description, codebook=entries, quotes=quotes,
                       code_memos=code_memos, coding_memos=coding_memos, crosstabs=crosstabs,
                       methods=methods(method_items, agreements),
                       cite_with=cite_with if cite_with is not None else [a for a in ("sector",) if a in cases.columns])
