"""One run, several suggesters, one review queue.

- ``rules``: the codebooks' rules (transparent, high precision where they fire);
- ``learned``: a model learned from the project's own coding, weighing rule hits, closeness to
  the code's texts and to its coded turns (``learned``);
- ``semantic``: closeness by meaning alone, needing no coding (``semantic``);
- ``llm``: a configured OpenAI-compatible model (``llm``).

The default (``auto``) is what measured best on interviews nobody tuned it to
(bench/suggesters.py): the learned suggester for every code it could learn - it already weighs
the rules and the similarities - the rules for the codes it could not, and the LLM when one is
configured. Everything a run proposes is stored in one transaction or not at all; a suggester
that cannot run is skipped with the reason, or fails the run when it was the one asked for.
"""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select

from workbench.autocode import learned as learning
from workbench.autocode import llm as llm_suggester
from workbench.autocode import relevance, rule_cache
from workbench.autocode import semantic as meaning
from workbench.autocode.embeddings import available as embeddings_available
from workbench.autocode.engine import Proposal, Turn
from workbench.autocode.runs import Candidate, RunResult, inside_codings, known_spans, rules_of, store_run
from workbench.autocode.signals import CodeTexts, Signals, code_texts, compute
from workbench.autocode.units import CodedTurns, Units, coded_turns, load_units
from workbench.config import LLMSettings, load_llm_settings
from workbench.db.models import Source
from workbench.errors import NotFound, SuggesterUnavailable

METHODS = ("rules", "learned", "semantic", "llm")
AUTO = "auto"
# Which suggestion of one code in one turn stays when several suggesters make one: the most
# precise span first (a rule's sentence, the LLM's quote), then the learned model, then meaning.
PRIORITY = {"rules": 0, "llm": 1, "learned": 2, "semantic": 3}
Progress = Callable[[str, float], None]


@dataclass
class Context:
    """What every suggester reads, loaded once."""
    units: Units
    coded: CodedTurns
    codes: list[CodeTexts]
    targets: np.ndarray                # rows to propose for (answers in the chosen sources)
    source_ids: list[int]              # the chosen sources
    proposals: list[Proposal]          # the rules' proposals in every source (features of the learned suggester)
    rule_codes: set[int]               # codes that have rules
    candidates_by_rule: list[Candidate]
    rules: int
    known: set
    pool: np.ndarray                   # coded turns learned from and compared with (learned.pool_rows)
    notes: list[str]                   # what the rules could not do (a regex that timed out)


def _turns(units: Units, rows: np.ndarray) -> list[Turn]:
    return [Turn(int(units.source_id[i]), int(units.start[i]), units.text[i], units.role[i], units.language[i])
            for i in rows]


def _context(store, project_id: int, codebook_ids, code_ids, source_ids, say: Progress) -> Context:
    with store.read() as s:
        all_sources = list(s.scalars(select(Source.id).where(Source.project_id == project_id)))
        targets = all_sources if source_ids is None else source_ids
        units = load_units(s, all_sources)
        coded = coded_turns(s, project_id, units)
        codes = code_texts(s, project_id, codebook_ids, code_ids)
        rules = rules_of(s, project_id, codebook_ids, code_ids)
        inside = inside_codings(s, rules, all_sources)
        known = known_spans(s, targets)
    if not codes:
        raise NotFound("the chosen codebooks have no codes")
    wanted = set(targets)
    in_targets = np.isin(units.source_id, list(wanted))
    rows = np.flatnonzero(units.answers(min_words=1) & in_targets)
    pool = learning.pool_rows(units, coded, np.flatnonzero(units.answers()))
    # The rules run where their hits are read: every turn of the chosen sources (their suggestions),
    # and the coded turns learned from with the questions before them (features).
    matched = np.flatnonzero(in_targets)
    matched = np.union1d(matched, np.union1d(pool, units.question[pool][units.question[pool] >= 0]))
    notes: list[str] = []
    proposals = rule_cache.match(store, project_id, _turns(units, matched), rules, inside,
                                 lambda done, total: say("the rules", done / max(total, 1)), notes) if rules else []
    return Context(units, coded, codes, rows, sorted(wanted), proposals, {r.code_id for r in rules},
                   [Candidate.of_rule(p) for p in proposals if p.source_id in wanted], len(rules), known, pool, notes)


def _turn_span(ctx: Context, row: int) -> tuple[int, int, int]:
    return int(ctx.units.source_id[row]), int(ctx.units.start[row]), int(ctx.units.end[row])


def _learned(ctx: Context, sig: Signals, trained: learning.Trained, threshold: float | None,
             say: Progress, best: dict[int, np.ndarray]) -> list[Candidate]:
    out = []
    scored = learning.propose(trained, sig, ctx.targets, ctx.coded, threshold=threshold,
                              progress=lambda share: say("proposing from what was learned", share), best=best)
    reports = {r.code_id: r for r in trained.reports}
    for sc in scored:
        code = sig.codes[sc.code_position]
        source_id, start, end = _turn_span(ctx, sc.row)
        evidence = {"confidence": round(sc.score, 3),
                    "threshold": round(trained.threshold if threshold is None else threshold, 3),
                    "coded_turns": reports[code.code_id].coded_turns,
                    "cv_precision": reports[code.code_id].precision, "cv_recall": reports[code.code_id].recall,
                    "definition_similarity": _rounded(sc.features.get("definition_sentence")),
                    "nearest": learning.nearest_example(sig, trained.pool, sc.row, sc.code_position)}
        rule, matched = "", ""
        hit = sig.rule_hits.get(sc.row, {}).get(code.code_id)
        if hit:
            start, end, rule, matched = hit
            evidence["highlight"] = [start, end]
        elif evidence["nearest"].get("highlight"):
            evidence["highlight"] = evidence["nearest"].pop("highlight")
        out.append(Candidate(source_id, code.code_id, start, end, "learned", rule, matched[:500],
                             round(sc.score, 4), evidence))
    return out


def _rounded(value: float | None) -> float | None:
    return None if value is None or value != value else round(float(value), 3)


def _semantic(ctx: Context, sig: Signals, pool, threshold: float, say: Progress) -> list[Candidate]:
    out = []
    for m in meaning.propose(sig, ctx.targets, ctx.coded, pool, threshold=threshold,
                             progress=lambda share: say("comparing meanings", share)):
        code = sig.codes[m.code_position]
        source_id, start, end = _turn_span(ctx, m.row)
        evidence = {"similarity": round(m.score, 3), "nearest": m.nearest, "nearest_text": m.nearest_text[:300],
                    "highlight": [int(sig.sentences.start[m.sentence]), int(sig.sentences.end[m.sentence])]}
        if m.nearest_where:
            evidence["nearest_source"] = ctx.units.source_name.get(m.nearest_where[0], "")
        out.append(Candidate(source_id, code.code_id, start, end, "semantic", score=round(m.score, 4),
                             evidence=evidence))
    return out


def _llm(ctx: Context, settings: LLMSettings, say: Progress, notes: list[str],
         client: llm_suggester.Client | None) -> list[Candidate]:
    units = ctx.units
    books: dict[int, list[CodeTexts]] = {}
    for c in ctx.codes:
        books.setdefault(c.codebook_id, []).append(c)
    turns = []
    for row in ctx.targets:
        if len(units.text[row].split()) < 3:
            continue
        q = int(units.question[row])
        turns.append(llm_suggester.TurnToCode(int(row), units.text[row], units.text[q] if q >= 0 else None,
                                              f"{units.source_name.get(int(units.source_id[row]), '')}, "
                                              f"offset {int(units.start[row])}"))
    accepted, refused = llm_suggester.propose(settings, books, turns, client=client,
                                              progress=lambda share: say(f"asking {settings.model}", share))
    if refused:
        notes.append(f"llm: {len(refused)} answer item(s) refused")
        notes.extend(f"llm refused - {r}" for r in refused[:50])
    out = []
    for row, item in accepted:
        if item.code.code_id in ctx.coded.labels.get(row, ()) or item.code.code_id in ctx.coded.rejected.get(row, ()):
            continue
        base = int(units.start[row])
        out.append(Candidate(int(units.source_id[row]), item.code.code_id, base + item.start, base + item.end, "llm",
                             matched=item.quote[:500],
                             evidence=llm_suggester.provenance(settings, item.rationale, item.quote)))
    return out


def _merge(candidates: list[Candidate], units: Units) -> list[Candidate]:
    """One suggestion per code and turn: the most precise one, naming the others that agreed."""
    starts: dict[int, tuple[list[int], list[int]]] = {}
    for i in np.argsort(units.start, kind="stable"):
        at, rows = starts.setdefault(int(units.source_id[i]), ([], []))
        at.append(int(units.start[i]))
        rows.append(int(i))
    best: dict[tuple[int, int], Candidate] = {}
    others: dict[tuple[int, int], list[dict]] = {}
    for c in sorted(candidates, key=lambda c: PRIORITY[c.suggester]):
        at, rows = starts.get(c.source_id, ([], []))
        i = bisect_right(at, c.start) - 1
        key = (rows[i] if i >= 0 else -1, c.code_id)
        if key not in best:
            best[key] = c
        elif c.suggester != best[key].suggester:
            others.setdefault(key, []).append({"suggester": c.suggester, "score": c.score})
    for key, also in others.items():
        best[key].evidence = {**(best[key].evidence or {}), "also": also}
    return list(best.values())


def run(store, project_id: int, coder_id: int, *, methods: list[str] | None = None,
        codebook_ids: list[int] | None = None, code_ids: list[int] | None = None,
        source_ids: list[int] | None = None, learned_threshold: float | None = None,
        semantic_threshold: float = meaning.THRESHOLD, llm_settings: LLMSettings | None = None,
        llm_client: llm_suggester.Client | None = None, keep_off_topic: bool = False,
        progress: Progress | None = None) -> RunResult:
    """Run the chosen suggesters (default ``auto``) over the sources and store their suggestions
    (never codings) as one run. Sources the learned model finds off topic (autocode.relevance) get
    no offline suggestions unless ``keep_off_topic``."""
    say = progress or (lambda _stage, _share: None)
    asked = list(methods or [AUTO])
    unknown = [m for m in asked if m not in (*METHODS, AUTO)]
    if unknown:
        raise NotFound(f"unknown suggester {', '.join(unknown)} (choose from {', '.join((AUTO, *METHODS))})")
    auto = AUTO in asked
    settings = llm_settings or load_llm_settings()
    chosen = set(asked) - {AUTO}
    if auto:
        chosen |= {"rules", "learned"} | ({"llm"} if settings.configured else set())
    ctx = _context(store, project_id, codebook_ids, code_ids, source_ids, say)
    notes: list[str] = list(ctx.notes)
    skipped: set[str] = set()

    def skip(method: str, why: str) -> None:
        if not auto and len(chosen) == 1:
            raise SuggesterUnavailable(f"{method}: {why}")
        skipped.add(method)
        notes.append(f"{method} skipped: {why}")

    candidates: list[Candidate] = []
    sig = trained = None
    best: dict[int, np.ndarray] = {}
    if "learned" in chosen:
        missing = learning.missing_coding(ctx.units, ctx.coded, ctx.pool, [c.code_id for c in ctx.codes])
        if missing:        # said before embedding anything: a rules-only project pays nothing for it
            skip("learned", missing)
    if (chosen - skipped) & {"learned", "semantic"}:
        sig = compute(store, ctx.units, ctx.codes, ctx.proposals, rows=np.union1d(ctx.targets, ctx.pool),
                      fit_rows=ctx.pool, progress=say)
        if sig.note:
            notes.append(sig.note)
    if "learned" in chosen - skipped:
        try:
            trained = learning.train(sig, ctx.coded, ctx.pool, progress=say)
            candidates += _learned(ctx, sig, trained, learned_threshold, say, best)
            notes.extend(trained.notes)
            unlearned = [r for r in trained.reports if not r.learned]
            if unlearned:
                notes.append(f"learned: {len(unlearned)} code(s) with too little coding to learn from"
                             + (" (the rules propose them)" if auto else ""))
        except learning.NotEnoughCoding as exc:
            skip("learned", str(exc))
    if "rules" in chosen:
        if not ctx.rules and not auto:
            skip("rules", "the chosen codes have no autocoding rules (see docs/autocoding-rules.md)")
        learned_codes = {sig.codes[i].code_id for i in trained.codes} if auto and trained else set()
        candidates += [c for c in ctx.candidates_by_rule if c.code_id not in learned_codes]
    if "semantic" in chosen:
        if sig.sentence_vectors is None:
            skip("semantic", sig.note or "no sentence-embedding model")
        else:
            pool = trained.pool if trained else learning.make_pool(sig, ctx.coded, ctx.pool)
            candidates += _semantic(ctx, sig, pool, semantic_threshold, say)
    off_topic = _off_topic(ctx, trained, best)
    if off_topic and not keep_off_topic:
        held = [c for c in candidates if c.source_id in off_topic]
        candidates = [c for c in candidates if c.source_id not in off_topic]
        # counted as they would have been stored: one per code and turn, not yet decided or coded
        shown = sum((c.source_id, c.code_id, c.start, c.end) not in ctx.known for c in _merge(held, ctx.units))
        notes.append(_off_topic_note(ctx, trained, off_topic, shown))
    if "llm" in chosen:
        try:
            candidates += _llm(ctx, settings, say, notes, llm_client)
        except SuggesterUnavailable as exc:
            if not auto:
                raise          # asked for by name: a run without it is not what was asked
            skip("llm", exc.message)
    if skipped >= chosen:
        raise SuggesterUnavailable("no suggester could run: " + "; ".join(notes))
    merged = _merge(candidates, ctx.units)
    used = sorted(chosen - skipped, key=METHODS.index)
    return store_run(store, project_id, coder_id, merged, ctx.known,
                     params={"codebook_ids": codebook_ids, "code_ids": code_ids, "source_ids": ctx.source_ids,
                             "rules": ctx.rules, "methods": asked, "used": used,
                             # the codes a person's coding is compared with when the run is evaluated
                             "codes": sorted({c.code_id for c in ctx.codes} if set(used) - {"rules"} else ctx.rule_codes),
                             "learned_threshold": trained.threshold if trained and learned_threshold is None
                             else learned_threshold,
                             "semantic_threshold": semantic_threshold if "semantic" in chosen else None,
                             "off_topic": {str(k): round(v, 3) for k, v in off_topic.items()},
                             "relevance_floor": None if trained is None else trained.relevance_floor,
                             "keep_off_topic": keep_off_topic,
                             "llm": {"model": settings.model, "endpoint": settings.url,
                                     "prompt_version": llm_suggester.PROMPT_VERSION} if "llm" in chosen else None},
                     turns=len(ctx.targets),
                     message=f"{{suggestions}} suggestions ({', '.join(used)}) over {len(ctx.targets)} turns",
                     notes=notes)


def _off_topic(ctx: Context, trained: learning.Trained | None, best: dict[int, np.ndarray]) -> dict[int, float]:
    """The chosen sources whose relevance falls under the floor the coded sources set."""
    if trained is None or trained.relevance_floor is None:
        return {}
    scored = relevance.source_relevance(ctx.units, ctx.targets, best)
    return {sid: r for sid, r in scored.items() if r < trained.relevance_floor}


def _off_topic_note(ctx: Context, trained: learning.Trained, off_topic: dict[int, float], held: int) -> str:
    names = "; ".join(f"{ctx.units.source_name.get(sid, sid)} ({r:.2f})" for sid, r in sorted(off_topic.items()))
    least = min(trained.coded_relevance.values())
    return (f"{len(off_topic)} source(s) look off topic - no offline suggestions there ({held} held back): {names}. "
            f"Relevance under {trained.relevance_floor:.2f}, {relevance.FLOOR_SHARE:.0%} of the least relevant "
            f"coded source's ({least:.2f}). To see them: --keep-off-topic, or tick "
            '"Suggest in sources that look off topic" (Thresholds)')


def learning_report(store, project_id: int, *, codebook_ids: list[int] | None = None,
                    progress: Progress | None = None) -> learning.Trained:
    """What the learned suggester would learn now: each code's cross-validated precision and
    recall on the project's coding, the threshold, and the codes with too little coding."""
    say = progress or (lambda _stage, _share: None)
    ctx = _context(store, project_id, codebook_ids, None, [], say)
    missing = learning.missing_coding(ctx.units, ctx.coded, ctx.pool, [c.code_id for c in ctx.codes])
    if missing:
        raise SuggesterUnavailable(f"learned: {missing}")
    sig = compute(store, ctx.units, ctx.codes, ctx.proposals, rows=ctx.pool, progress=say)
    try:
        return learning.train(sig, ctx.coded, ctx.pool, progress=say)
    except learning.NotEnoughCoding as exc:
        raise SuggesterUnavailable(f"learned: {exc}") from exc


def availability(store, project_id: int) -> dict[str, str | None]:
    """Each suggester: None when it can run here, else why not (for the run form and the CLI)."""
    out: dict[str, str | None] = {}
    with store.read() as s:
        out["rules"] = None if rules_of(s, project_id) else "no code has rules"
        coded_sources = len(set(s.scalars(select(Source.id).join(Source.codings).where(Source.project_id == project_id))))
    out["learned"] = (None if coded_sources >= learning.MIN_TRAINING_SOURCES else
                      f"needs coding in {learning.MIN_TRAINING_SOURCES} sources ({coded_sources} so far)")
    ok, why = embeddings_available()
    out["semantic"] = None if ok else why
    out["llm"] = None if load_llm_settings().configured else "no LLM endpoint configured (Settings)"
    return out
