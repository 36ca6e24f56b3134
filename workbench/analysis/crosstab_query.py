"""The crosstab of a project, read from the database: which codes, which coders, which sources
count and how the codings are counted - the one place the CLI, the app and the report decide it.

Without a speaker-role filter the codings are counted per (code, source) in SQL (a million
codings in a fraction of a second); a role filter needs each coding's turn, so the codings
themselves are read (:func:`~workbench.analysis.retrieval.coded_quotes`). A test checks that
both give the same tables. With coders chosen, only the sources they judged count (those they
marked done; where a coder marked none, those they coded in) - the same definition agreement
uses - so a source a coder never looked at is not read as "the code is absent".
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.analysis.crosstab import ALPHA, Crosstab, crosstab
from workbench.analysis.retrieval import coded_quotes, coding_counts, expand_subcodes, source_cases
from workbench.codebook.lookup import code_path, find_code, get_codebook
from workbench.coding.status import done_sources
from workbench.corpus.cases import case_table
from workbench.db.models import Code, Codebook, Coding
from workbench.project.coders import coder_names


def judged_sources(session: Session, project_id: int, coder_ids: list[int], code_ids: list[int] | None) -> set[int]:
    """Sources the coders judged: marked done, or (for a coder who marked none) coded in."""
    done = done_sources(session, project_id, coder_ids)
    judged: set[int] = set()
    for coder_id in coder_ids:
        if done.get(coder_id):
            judged |= done[coder_id]
            continue
        stmt = select(Coding.source_id).where(Coding.coder_id == coder_id)
        if code_ids is not None:
            stmt = stmt.where(Coding.code_id.in_(code_ids or [-1]))
        judged |= set(session.scalars(stmt.distinct()))
    return judged


def project_crosstab(session: Session, project_id: int, by: str, *, codebook: str | int | None = None,
                     code: str | int | None = None, count: str = "cases", roles: list[str] | None = None,
                     coder_ids: list[int] | None = None, subcodes: bool = True, adjustment: str = "holm",
                     alpha: float = ALPHA) -> Crosstab:
    """Code x ``by`` (a case attribute) for the codes of ``codebook`` (all its codes are rows,
    coded or not), or of ``code`` and its sub-codes, or every coded code. ``subcodes``: a parent
    counts the codings of its sub-codes (default) or only its own."""
    code_ids = rows = None
    if code is not None:
        picked = find_code(session, project_id, code, codebook)
        code_ids = sorted(expand_subcodes(session, [picked.id]))
    elif codebook is not None:
        book = get_codebook(session, project_id, codebook)
        code_ids = [c.id for c in book.codes]
        rows = [" › ".join(code_path(c)) for c in book.codes]
    if roles:
        counted = coded_quotes(session, project_id, code_ids=code_ids, roles=roles, coder_ids=coder_ids,
                               include_subcodes=False)
    else:
        counted = coding_counts(session, project_id, code_ids=code_ids, coder_ids=coder_ids)
    sources = source_cases(session, project_id)
    sources = sources[sources["case"] != ""]
    reason = "has no source"
    if coder_ids:
        judged = judged_sources(session, project_id, coder_ids, code_ids)
        sources = sources[sources["source_id"].isin(judged)]
        names = coder_names(session)
        reason = f"no source of it judged by {', '.join(sorted(names[i] for i in coder_ids))}"
    return crosstab(counted, case_table(session, project_id), by, count=count, codes=rows, sources=sources,
                    adjustment=adjustment, alpha=alpha, subcodes=subcodes, missing_reason=reason)


def cell_quotes(session: Session, project_id: int, by: str, code: str, group, *, codebook: str | int | None = None,
                roles: list[str] | None = None, coder_ids: list[int] | None = None, subcodes: bool = True):
    """The coded quotes behind one crosstab cell: ``code`` (its path as the crosstab prints it,
    ``Parent › Child``, or a name) in the cases whose ``by`` is ``group`` - with the same roles,
    coders and sub-code rule as the table, so the quotes are what the cell counted."""
    wanted = str(code).strip()
    book = get_codebook(session, project_id, codebook).id if codebook is not None else None
    picked = None
    for c in session.scalars(select(Code).join(Codebook).where(Codebook.project_id == project_id)):
        if (book is None or c.codebook_id == book) and " › ".join(code_path(c)) == wanted:
            picked = c
            break
    picked = picked or find_code(session, project_id, wanted, codebook)
    return coded_quotes(session, project_id, code_ids=[picked.id], attribute_filters={by: [group]}, roles=roles,
                        coder_ids=coder_ids, include_subcodes=subcodes)
