"""Retrieval: coded quotes with where they come from, filtered by case attributes, role, coder."""
from __future__ import annotations

from bisect import bisect_right

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workbench.codebook.lookup import code_path, get_codebook
from workbench.corpus.cases import case_table
from workbench.corpus.timecodes import seconds_to_clock
from workbench.db.models import Case, Code, Coder, Coding, Segment, Source, Speaker


def expand_subcodes(session: Session, code_ids: list[int]) -> set[int]:
    """The codes and all their descendants."""
    wanted = set(code_ids)
    children: dict[int | None, list[int]] = {}
    for cid, pid in session.execute(select(Code.id, Code.parent_id)):
        children.setdefault(pid, []).append(cid)
    stack = list(wanted)
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in wanted:
                wanted.add(child)
                stack.append(child)
    return wanted


QUOTE_COLUMNS = ["coding_id", "quote", "code", "code_id", "source", "source_id", "case", "speaker", "role", "time",
                 "turn", "page", "coder", "start", "end", "proposed by"]


def proposed_by(provenance: dict | None) -> str:
    """Which suggester proposed a coding a person accepted ("" for a person's own coding): the
    rule, or the learned model's confidence, or the LLM's model, prompt version and rationale."""
    if not provenance:
        return ""
    who = provenance.get("suggester") or "rules"
    run = f", run {provenance['run']}" if provenance.get("run") else ""
    if who == "llm":
        return (f"LLM {provenance.get('model')} at {provenance.get('endpoint')} (prompt {provenance.get('prompt_version')}"
                f"{run}): {provenance.get('rationale') or ''}").strip()
    if who == "rules":
        return f"rule {provenance.get('rule', '')}{run}"
    score = provenance.get("score")
    return f"{who} suggester" + (f", confidence {score:.2f}" if isinstance(score, (int, float)) else "") + run


def coded_quotes(session: Session, project_id: int, *, code_ids: list[int] | None = None,
                 attribute_filters: dict[str, list] | None = None, roles: list[str] | None = None,
                 coder_ids: list[int] | None = None, include_subcodes: bool = True) -> pd.DataFrame:
    """One row per coding: quote, code path, source, case, speaker, role, time, page, coder.

    ``attribute_filters`` maps an attribute name to the values kept (e.g. sector: [Textile]);
    ``roles`` keeps codings whose first turn is spoken by one of those roles.

    Read as plain rows (no ORM objects): codings joined to their source, case, code and coder
    in one query, each coding's turn found by bisecting that source's turn starts, and each
    source's text fetched once - 50,000 codings in about a second.
    """
    stmt = (select(Coding.id, Coding.code_id, Coding.source_id, Coding.start, Coding.end, Source.name,
                   Case.name, Coder.name, Coding.provenance)
            .join(Source, Source.id == Coding.source_id).outerjoin(Case, Case.id == Source.case_id)
            .join(Coder, Coder.id == Coding.coder_id).where(Source.project_id == project_id))
    if code_ids:
        wanted = expand_subcodes(session, code_ids) if include_subcodes else set(code_ids)
        stmt = stmt.where(Coding.code_id.in_(wanted))
    if coder_ids:
        stmt = stmt.where(Coding.coder_id.in_(coder_ids))
    codings = session.execute(stmt.order_by(Source.name, Coding.start, Coding.id)).all()
    if attribute_filters and codings:
        cases = case_table(session, project_id).set_index("case")
        keep = {case for case in cases.index
                if all(cases.at[case, attr] in values for attr, values in attribute_filters.items() if values)}
        codings = [c for c in codings if c[6] in keep]
    if not codings:
        return pd.DataFrame([], columns=QUOTE_COLUMNS)
    source_ids = sorted({c[2] for c in codings})
    paths = _code_paths(session, {c[1] for c in codings})
    texts, turns = {}, {}
    for chunk in range(0, len(source_ids), 500):           # stay under SQL parameter limits
        ids = source_ids[chunk:chunk + 500]
        texts.update(session.execute(select(Source.id, Source.text).where(Source.id.in_(ids))).all())
        for sid, start, idx, t_start, page, label, role in session.execute(
                select(Segment.source_id, Segment.start, Segment.idx, Segment.t_start, Segment.page, Speaker.label,
                       Speaker.role).outerjoin(Speaker, Speaker.id == Segment.speaker_id)
                .where(Segment.source_id.in_(ids)).order_by(Segment.source_id, Segment.start)):
            starts, rows_ = turns.setdefault(sid, ([], []))
            starts.append(start)
            rows_.append((idx, t_start, page, label or "", role.value if role else ""))
    rows = []
    for coding_id, code_id, sid, start, end, source_name, case, coder, provenance in codings:
        starts, info = turns.get(sid, ([], []))
        i = bisect_right(starts, start) - 1
        idx, t_start, page, speaker, role = info[i] if i >= 0 else (None, None, None, "", "")
        if roles and role not in roles:
            continue
        rows.append((coding_id, texts[sid][start:end], paths[code_id], code_id, source_name, sid, case or "",
                     speaker, role, seconds_to_clock(t_start) if i >= 0 else "", idx, page, coder, start, end,
                     proposed_by(provenance)))
    return pd.DataFrame(rows, columns=QUOTE_COLUMNS)


def _code_paths(session: Session, code_ids: set[int]) -> dict[int, str]:
    """The path ("Parent › Child") of each code, from one query over the codes' codebooks."""
    parent_of, name_of = {}, {}
    for cid, pid, name in session.execute(select(Code.id, Code.parent_id, Code.name).where(
            Code.codebook_id.in_(select(Code.codebook_id).where(Code.id.in_(code_ids))))):
        parent_of[cid], name_of[cid] = pid, name
    out = {}
    for cid in code_ids:
        parts, node = [], cid
        while node is not None and node in name_of:
            parts.append(name_of[node])
            node = parent_of[node]
        out[cid] = " › ".join(reversed(parts))
    return out


def segments_frame(session: Session, project_id: int) -> pd.DataFrame:
    """Every turn of the project's sources: source_id, idx, start, end and the speaker's role
    ("" when none is set) - the units of agreement."""
    rows = session.execute(select(Segment.source_id, Segment.idx, Segment.start, Segment.end, Speaker.role)
                           .join(Source, Source.id == Segment.source_id)
                           .outerjoin(Speaker, Speaker.id == Segment.speaker_id)
                           .where(Source.project_id == project_id)
                           .order_by(Segment.source_id, Segment.idx)).all()
    return pd.DataFrame([(sid, idx, a, b, role.value if role else "") for sid, idx, a, b, role in rows],
                        columns=["source_id", "idx", "start", "end", "role"])


def coding_spans(session: Session, project_id: int, *, code_ids: list[int] | None = None,
                 coder_ids: list[int] | None = None) -> pd.DataFrame:
    """Codings as plain spans: code (path), coder (name), source_id, start, end - what agreement
    needs, read in one query without the quotes' texts and turns."""
    stmt = (select(Coding.code_id, Coder.name, Coding.source_id, Coding.start, Coding.end)
            .join(Source, Source.id == Coding.source_id).join(Coder, Coder.id == Coding.coder_id)
            .where(Source.project_id == project_id))
    if code_ids is not None:
        stmt = stmt.where(Coding.code_id.in_(code_ids or [-1]))
    if coder_ids is not None:
        stmt = stmt.where(Coding.coder_id.in_(coder_ids or [-1]))
    rows = session.execute(stmt).all()
    paths = _code_paths(session, {r[0] for r in rows}) if rows else {}
    return pd.DataFrame([(paths[c], coder, sid, a, b) for c, coder, sid, a, b in rows],
                        columns=["code", "coder", "source_id", "start", "end"])


def source_cases(session: Session, project_id: int) -> pd.DataFrame:
    """source_id and case name of every source (the bases of a crosstab counted by sources)."""
    rows = session.execute(select(Source.id, Case.name).outerjoin(Case, Case.id == Source.case_id)
                           .where(Source.project_id == project_id)).all()
    return pd.DataFrame([(sid, case or "") for sid, case in rows], columns=["source_id", "case"])


def source_texts(session: Session, project_id: int) -> dict[int, str]:
    return dict(session.execute(select(Source.id, Source.text).where(Source.project_id == project_id)).all())


def codebook_code_ids(session: Session, project_id: int, codebook: str | int | None) -> list[int] | None:
    """Ids of every code of a codebook (None: no filter)."""
    if codebook is None:
        return None
    cb = get_codebook(session, project_id, codebook)
    return [c.id for c in cb.codes]


def coding_counts(session: Session, project_id: int, *, code_ids: list[int] | None = None,
                  coder_ids: list[int] | None = None) -> pd.DataFrame:
    """Codings per code and source, counted in the database: code, source_id, case, n.

    What crosstabs need without loading a million codings (no speaker-role filter: that needs
    the turns, see :func:`coded_quotes`).
    """
    stmt = (select(Coding.code_id, Coding.source_id, Case.name, func.count(Coding.id))
            .join(Source, Source.id == Coding.source_id).outerjoin(Case, Case.id == Source.case_id)
            .where(Source.project_id == project_id).group_by(Coding.code_id, Coding.source_id, Case.name))
    if code_ids:
        stmt = stmt.where(Coding.code_id.in_(code_ids))
    if coder_ids:
        stmt = stmt.where(Coding.coder_id.in_(coder_ids))
    rows = session.execute(stmt).all()
    paths = {c.id: " › ".join(code_path(c)) for c in session.scalars(select(Code).where(
        Code.id.in_({r[0] for r in rows} or {-1})))}
    return pd.DataFrame([(paths[code], src, case or "", n) for code, src, case, n in rows],
                        columns=["code", "source_id", "case", "n"])


def coding_count(session: Session, project_id: int, *, code_ids: list[int] | None = None,
                 coder_ids: list[int] | None = None) -> int:
    """How many codings the project holds (of these codes and coders; one COUNT, for empty states
    and captions)."""
    stmt = select(func.count(Coding.id)).join(Source).where(Source.project_id == project_id)
    if code_ids is not None:
        stmt = stmt.where(Coding.code_id.in_(code_ids or [-1]))
    if coder_ids is not None:
        stmt = stmt.where(Coding.coder_id.in_(coder_ids or [-1]))
    return session.scalar(stmt) or 0
