"""How good are the rules? Suggestions of a run against human codings of the same sources.

Two levels, per code and overall (micro-averaged):
- speaker turn: a (turn, code) pair is predicted when a suggestion touches the turn, and
  true when a human coding touches it;
- character overlap: precision = suggested characters a human also coded / suggested characters,
  recall = human-coded characters that were suggested / human-coded characters.
Pure functions over DataFrames; the lists of false positives and misses carry their text.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.autocode.runs import AUTOCODE, rules_of
from workbench.codebook.lookup import code_path
from workbench.db.models import Code, Coding, CodingOrigin, CodingStatus, Job, Segment, Source, Suggestion
from workbench.errors import NotFound


def _prf(tp: float, fp: float, fn: float) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else float("nan")
    r = tp / (tp + fn) if tp + fn else float("nan")
    f = 2 * p * r / (p + r) if p == p and r == r and p + r else float("nan")
    return p, r, f


def _turn_pairs(spans: pd.DataFrame, segments: pd.DataFrame) -> set[tuple[int, int, int]]:
    """(source, turn, code) for every span, by overlap with the turns."""
    out = set()
    for source_id, group in spans.groupby("source_id"):
        turns = segments[segments["source_id"] == source_id]
        starts, ends, idx = turns["start"].to_numpy(), turns["end"].to_numpy(), turns["idx"].to_numpy()
        for code, a, b in zip(group["code"], group["start"], group["end"]):
            for i in idx[(starts < b) & (ends > a)]:
                out.add((int(source_id), int(i), code))
    return out


def _chars(spans: pd.DataFrame) -> dict[tuple[int, str], np.ndarray]:
    marks: dict[tuple[int, str], list] = {}
    for row in spans.itertuples():
        marks.setdefault((row.source_id, row.code), []).append((row.start, row.end))
    out = {}
    for key, ranges in marks.items():
        size = max(b for _, b in ranges)
        arr = np.zeros(size, dtype=bool)
        for a, b in ranges:
            arr[a:b] = True
        out[key] = arr
    return out


def evaluate(predicted: pd.DataFrame, gold: pd.DataFrame, segments: pd.DataFrame, texts: dict[int, str]
             ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``(scores, false_positives, misses)``; spans have source_id, code, start, end.

    Scores have one row per code and an ``all codes`` row, at turn and character level.
    """
    codes = sorted(set(predicted["code"]) | set(gold["code"]))
    pred_t, gold_t = _turn_pairs(predicted, segments), _turn_pairs(gold, segments)
    pred_c, gold_c = _chars(predicted), _chars(gold)
    rows = []
    totals = np.zeros(6)
    for code in codes + ["all codes"]:
        if code == "all codes":
            tp_t, fp_t, fn_t, tp_c, fp_c, fn_c = totals
        else:
            p = {x for x in pred_t if x[2] == code}
            g = {x for x in gold_t if x[2] == code}
            tp_t, fp_t, fn_t = len(p & g), len(p - g), len(g - p)
            tp_c = fp_c = fn_c = 0
            for key in {k for k in pred_c if k[1] == code} | {k for k in gold_c if k[1] == code}:
                a, b = pred_c.get(key, np.zeros(0, bool)), gold_c.get(key, np.zeros(0, bool))
                n = max(len(a), len(b))
                a, b = np.pad(a, (0, n - len(a))), np.pad(b, (0, n - len(b)))
                tp_c += int(np.sum(a & b))
                fp_c += int(np.sum(a & ~b))
                fn_c += int(np.sum(~a & b))
            totals += (tp_t, fp_t, fn_t, tp_c, fp_c, fn_c)
        pt, rt, ft = _prf(tp_t, fp_t, fn_t)
        pc, rc, fc = _prf(tp_c, fp_c, fn_c)
        rows.append({"code": code, "turn_precision": pt, "turn_recall": rt, "turn_f1": ft,
                     "char_precision": pc, "char_recall": rc, "char_f1": fc,
                     "predicted_turns": int(tp_t + fp_t), "gold_turns": int(tp_t + fn_t)})
    seg = segments.set_index(["source_id", "idx"])

    def listing(pairs):
        out = []
        for source_id, idx, code in sorted(pairs):
            a, b = seg.loc[(source_id, idx), ["start", "end"]]
            out.append({"source_id": source_id, "turn": idx, "code": code, "text": texts.get(source_id, "")[a:b]})
        return pd.DataFrame(out, columns=["source_id", "turn", "code", "text"])
    return pd.DataFrame(rows), listing(pred_t - gold_t), listing(gold_t - pred_t)


def segments_of(session: Session, source_ids: list[int]) -> list[tuple[int, int, int, int]]:
    return [tuple(r) for r in session.execute(select(Segment.source_id, Segment.idx, Segment.start, Segment.end)
                                              .where(Segment.source_id.in_(source_ids)))]


def run_source_ids(session: Session, project_id: int, run_id: int) -> list[int]:
    """The sources an autocoding run went over."""
    job = session.get(Job, run_id)
    if job is None or job.project_id != project_id or job.kind != AUTOCODE:
        raise NotFound(f"no autocoding run {run_id} in this project")
    return list(job.params.get("source_ids") or [])


def judged_sources(session: Session, source_ids: list[int], coder_ids: list[int] | None) -> list[int]:
    """Of ``source_ids``, those the truth's coders (any coder when None) coded by hand or marked
    finished (finished and empty: nothing applies, every suggestion there is wrong)."""
    coded = select(Coding.source_id).where(Coding.source_id.in_(source_ids), Coding.origin == CodingOrigin.manual)
    done = select(CodingStatus.source_id).where(CodingStatus.source_id.in_(source_ids), CodingStatus.done.is_(True))
    if coder_ids:
        coded = coded.where(Coding.coder_id.in_(coder_ids))
        done = done.where(CodingStatus.coder_id.in_(coder_ids))
    judged = set(session.scalars(coded.distinct())) | set(session.scalars(done.distinct()))
    return [sid for sid in source_ids if sid in judged]


def evaluation_inputs(session: Session, project_id: int, run_id: int, gold_coder_ids: list[int] | None = None,
                      source_ids: list[int] | None = None):
    """(predicted, gold, segments, texts) for :func:`autocode_eval.evaluate`.

    Predicted: every suggestion of the run, and what it proposed again without storing it
    (already coded or suggested). Gold: manual codings (of the given coders) of the same
    sources and the codes the run considered (those with rules in a rules-only run). Only the
    sources the truth's coders judged count (:func:`judged_sources`): a source nobody coded by
    hand would make every suggestion in it a false positive.
    """
    job = session.get(Job, run_id)
    if job is None or job.project_id != project_id or job.kind != AUTOCODE:
        raise NotFound(f"no autocoding run {run_id} in this project")
    sources = judged_sources(session, source_ids or job.params.get("source_ids") or [], gold_coder_ids)
    if job.params.get("codes") is not None:      # the codes the run's suggesters considered
        codes = set(job.params["codes"])
    else:                                        # a rules-only run: the codes with rules
        codes = {r.code_id for r in rules_of(session, project_id, job.params.get("codebook_ids"),
                                             job.params.get("code_ids"))}
    names = {c.id: " › ".join(code_path(c)) for c in session.scalars(select(Code).where(Code.id.in_(codes)))}
    pred = session.execute(select(Suggestion.source_id, Suggestion.code_id, Suggestion.start, Suggestion.end)
                           .where(Suggestion.run_id == run_id, Suggestion.source_id.in_(sources))).all()
    wanted = set(sources)
    pred += [tuple(key) for key in (job.result or {}).get("proposed_again", []) if key[0] in wanted and key[1] in names]
    stmt = select(Coding.source_id, Coding.code_id, Coding.start, Coding.end).where(
        Coding.source_id.in_(sources), Coding.code_id.in_(codes), Coding.origin == CodingOrigin.manual)
    if gold_coder_ids:
        stmt = stmt.where(Coding.coder_id.in_(gold_coder_ids))
    gold = session.execute(stmt).all()

    def frame(rows):
        return pd.DataFrame([(src, names[code], a, b) for src, code, a, b in rows],
                            columns=["source_id", "code", "start", "end"])
    segments = pd.DataFrame(segments_of(session, sources), columns=["source_id", "idx", "start", "end"])
    texts = dict(session.execute(select(Source.id, Source.text).where(Source.id.in_(sources))).all())
    return frame(pred), frame(gold), segments, texts
