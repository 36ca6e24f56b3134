"""The review queue: a person accepts suggestions (they become codings that remember their
run) or rejects them; what waits, with its context."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.codebook.lookup import code_path
from workbench.coding.codings import apply_code
from workbench.db.models import Code, Coder, CodingOrigin, Source, Suggestion, SuggestionStatus
from workbench.errors import WorkbenchError


@dataclass
class ReviewResult:
    """What a review changed, and the suggestions that could not be accepted (and why)."""
    changed: int = 0
    skipped: list[str] = field(default_factory=list)


def review(session: Session, project_id: int, suggestion_ids: list[int], *, accept: bool,
           coder: Coder) -> ReviewResult:
    """Accept (make codings from) or reject pending suggestions.

    Each acceptance is its own savepoint: one that cannot become a coding any more (its code
    was deleted, its source's text corrected shorter) is rolled back alone, stays pending and is
    reported in ``skipped``; the others are kept.
    """
    result = ReviewResult()
    for sug in list(session.scalars(select(Suggestion).join(Source).where(
            Suggestion.id.in_(suggestion_ids), Source.project_id == project_id,
            Suggestion.status == SuggestionStatus.pending))):
        if accept:
            try:
                with session.begin_nested():
                    coding, _ = apply_code(session, session.get(Source, sug.source_id), sug.code_id, coder,
                                           sug.start, sug.end,
                                           origin=CodingOrigin.autocode, run_id=sug.run_id)
                    sug.coding_id = coding.id
                    sug.status = SuggestionStatus.accepted
                    session.flush()
            except WorkbenchError as exc:
                name = session.get(Source, sug.source_id).name
                result.skipped.append(f"suggestion {sug.id} ({name}, {sug.start}-{sug.end}): {exc.message}")
                continue
        else:
            sug.status = SuggestionStatus.rejected
        result.changed += 1
    session.flush()
    return result


def pending(session: Session, project_id: int, *, run_id: int | None = None, rule: str | None = None,
            code_id: int | None = None, source_id: int | None = None, status: str = "pending") -> list[dict]:
    """The review queue: suggestions with their context, code and rule."""
    stmt = (select(Suggestion).join(Source).where(Source.project_id == project_id,
                                                  Suggestion.status == SuggestionStatus(status)))
    for col, value in ((Suggestion.run_id, run_id), (Suggestion.rule, rule), (Suggestion.code_id, code_id),
                       (Suggestion.source_id, source_id)):
        if value is not None:
            stmt = stmt.where(col == value)
    rows = []
    codes: dict[int, str] = {}
    for sug in session.scalars(stmt.order_by(Suggestion.source_id, Suggestion.start)):
        if sug.code_id not in codes:
            codes[sug.code_id] = " › ".join(code_path(session.get(Code, sug.code_id)))
        src = session.get(Source, sug.source_id)
        rows.append({"id": sug.id, "run": sug.run_id, "source": src.name, "source_id": src.id,
                     "code": codes[sug.code_id], "code_id": sug.code_id, "rule": sug.rule, "matched": sug.matched,
                     "text": src.text[sug.start:sug.end], "start": sug.start, "end": sug.end,
                     "status": sug.status.value})
    return rows
