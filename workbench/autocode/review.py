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
                                           sug.start, sug.end, memo=provenance_memo(sug),
                                           origin=CodingOrigin.autocode, run_id=sug.run_id,
                                           provenance=provenance(sug))
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


def provenance(sug: Suggestion) -> dict:
    """What a coding accepted from a suggestion keeps about where it came from."""
    out = {"suggester": sug.suggester or "rules", "run": sug.run_id, "score": sug.score}
    if sug.rule:
        out["rule"] = sug.rule
    if sug.suggester == "llm" and sug.evidence:
        out.update({k: sug.evidence.get(k) for k in ("model", "endpoint", "prompt_version", "rationale")})
    return out


def provenance_memo(sug: Suggestion) -> str | None:
    """The memo an LLM's suggestion leaves on the coding accepting it (journals ask which model
    proposed a coding, and why); other suggesters' reasons stay in the coding's provenance."""
    if sug.suggester != "llm" or not sug.evidence:
        return None
    e = sug.evidence
    return (f"Proposed by the LLM {e.get('model')} at {e.get('endpoint')} (prompt {e.get('prompt_version')}), "
            f"run {sug.run_id}. Its rationale: {e.get('rationale') or '(none given)'}")


def reasons(row: dict) -> str:
    """One line on why a suggestion was made, for the queue and the CLI."""
    e = row.get("evidence") or {}
    who = row.get("suggester") or "rules"
    if who == "rules":
        return f"rule {row['rule']} matched \"{row['matched']}\""
    if who == "learned":
        parts = [f"learned, confidence {e.get('confidence', 0):.2f}"]
        if row.get("rule"):
            parts.append(f"rule {row['rule']} matched \"{row['matched']}\"")
        near = e.get("nearest") or {}
        if near:
            parts.append(f"like a coded passage in {near.get('source')} ({near.get('by')} "
                         f"{near.get('similarity', 0):.2f}): \"{(near.get('text') or '')[:120]}\"")
        if e.get("coded_turns") is not None:
            cv = e.get("cv_precision")
            parts.append(f"learned from {e['coded_turns']} coded turns"
                         + (f", cross-validated precision {cv:.2f}" if cv is not None else ""))
        return "; ".join(parts)
    if who == "semantic":
        where = f" in {e['nearest_source']}" if e.get("nearest_source") else ""
        return (f"by meaning, similarity {e.get('similarity', 0):.2f} to the code's {e.get('nearest')}{where}: "
                f"\"{(e.get('nearest_text') or '')[:120]}\"")
    if who == "llm":
        return f"{e.get('model')} (prompt {e.get('prompt_version')}): {e.get('rationale') or 'no rationale'}"
    return who


def pending(session: Session, project_id: int, *, run_id: int | None = None, rule: str | None = None,
            code_id: int | None = None, source_id: int | None = None, suggester: str | None = None,
            status: str = "pending", by_confidence: bool = False, context: int = 0) -> list[dict]:
    """The review queue: suggestions with their context, code, suggester and reasons; in text
    order, or the most confident first (rules, which give no score, count as certain).
    ``context`` adds that many characters of the turn around each suggestion (``before``/``after``)."""
    stmt = (select(Suggestion).join(Source).where(Source.project_id == project_id,
                                                  Suggestion.status == SuggestionStatus(status)))
    for col, value in ((Suggestion.run_id, run_id), (Suggestion.rule, rule), (Suggestion.code_id, code_id),
                       (Suggestion.source_id, source_id), (Suggestion.suggester, suggester)):
        if value is not None:
            stmt = stmt.where(col == value)
    rows = []
    codes: dict[int, str] = {}
    sources: dict[int, Source] = {}
    for sug in session.scalars(stmt.order_by(Suggestion.source_id, Suggestion.start)):
        if sug.code_id not in codes:
            codes[sug.code_id] = " › ".join(code_path(session.get(Code, sug.code_id)))
        src = sources.get(sug.source_id) or sources.setdefault(sug.source_id, session.get(Source, sug.source_id))
        row = {"id": sug.id, "run": sug.run_id, "source": src.name, "source_id": src.id,
               "code": codes[sug.code_id], "code_id": sug.code_id, "rule": sug.rule, "matched": sug.matched,
               "text": src.text[sug.start:sug.end], "start": sug.start, "end": sug.end,
               "status": sug.status.value, "suggester": sug.suggester or "rules", "score": sug.score,
               "evidence": sug.evidence or {}}
        if context:
            row["before"] = src.text[max(0, sug.start - context):sug.start]
            row["after"] = src.text[sug.end:sug.end + context]
        row["reasons"] = reasons(row)
        rows.append(row)
    if by_confidence:
        rows.sort(key=lambda r: -(r["score"] if r["score"] is not None else 1.0))
    return rows


def highlight_parts(row: dict) -> list[tuple[str, bool]]:
    """The suggestion's text cut into (piece, highlighted?): the words that made the suggestion -
    a rule's matched words, the sentence closest to the evidence, the LLM's quote."""
    text, start = row["text"], row["start"]
    span = (row.get("evidence") or {}).get("highlight")
    a = b = None
    if span and len(span) == 2:
        a, b = max(int(span[0]) - start, 0), min(int(span[1]) - start, len(text))
    elif row.get("matched"):
        at = text.lower().find(row["matched"].lower())
        if at >= 0:
            a, b = at, at + len(row["matched"])
    if a is None or a >= b:
        return [(text, False)]
    return [(piece, mark) for piece, mark in ((text[:a], False), (text[a:b], True), (text[b:], False)) if piece]
