"""The crosstab of a project, read from the database: which codes, which coders, and how the
codings are counted - the one place the CLI, the app and the report decide it.

Without a speaker-role filter the codings are counted per (code, source) in SQL (a million
codings in a fraction of a second); a role filter needs each coding's turn, so the codings
themselves are read (:func:`~workbench.analysis.retrieval.coded_quotes`). A test checks that
both give the same tables.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from workbench.analysis.crosstab import Crosstab, crosstab
from workbench.analysis.retrieval import coded_quotes, coding_counts, expand_subcodes, source_cases
from workbench.codebook.lookup import code_path, find_code, get_codebook
from workbench.corpus.cases import case_table


def project_crosstab(session: Session, project_id: int, by: str, *, codebook: str | int | None = None,
                     code: str | int | None = None, count: str = "cases", roles: list[str] | None = None,
                     coder_ids: list[int] | None = None) -> Crosstab:
    """Code x ``by`` (a case attribute) for the codes of ``codebook`` (all its codes are rows,
    coded or not), or of ``code`` and its sub-codes, or every coded code."""
    code_ids = rows = None
    if code is not None:
        code_ids = sorted(expand_subcodes(session, [find_code(session, project_id, code, codebook).id]))
    elif codebook is not None:
        book = get_codebook(session, project_id, codebook)
        code_ids = [c.id for c in book.codes]
        rows = [" › ".join(code_path(c)) for c in book.codes]
    if roles:
        counted = coded_quotes(session, project_id, code_ids=code_ids, roles=roles, coder_ids=coder_ids,
                               include_subcodes=False)
    else:
        counted = coding_counts(session, project_id, code_ids=code_ids, coder_ids=coder_ids)
    return crosstab(counted, case_table(session, project_id), by, count=count, codes=rows,
                    sources=source_cases(session, project_id))
