"""Autocoding runs: the rules of chosen codebooks over chosen sources, stored as suggestions
(never codings) in one run that can be undone whole."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from workbench.autocode.engine import Proposal, Turn, compile_rules, match_turns
from workbench.codebook.format import read_codebook
from workbench.codebook.lookup import code_path, codes_query, find_code
from workbench.codebook.rules import Rule, RuleProblem, parse_rule
from workbench.db.history import discard_rows
from workbench.db.models import Code, Coding, Job, JobStatus, Segment, Source, Speaker, Suggestion, utcnow
from workbench.errors import InvalidCodebook, NotFound

AUTOCODE = "autocode"


def rules_of(session: Session, project_id: int, codebook_ids: list[int] | None = None,
             code_ids: list[int] | None = None) -> list[Rule]:
    """Every rule of the chosen codebooks (or codes), parsed, with its code id."""
    rules = []
    for code in session.scalars(codes_query(project_id, codebook_ids, code_ids).order_by(Code.codebook_id, Code.id)):
        for i, raw in enumerate(code.rules or []):
            try:
                rule = parse_rule(raw, code=" › ".join(code_path(code)), index=i,
                                  default_languages=code.codebook.languages or [],
                                  default_context=code.codebook.rule_context or [])
            except RuleProblem as exc:
                raise InvalidCodebook(f"code {code.name!r}, rule {i + 1}: {exc}", file=code.codebook.source_file) from exc
            rule.code_id = code.id
            if rule.within:
                rule.within = str(find_code(session, project_id, rule.within, str(code.codebook_id)).id)
            rules.append(rule)
    return rules


def rules_of_files(paths) -> list[Rule]:
    """Every rule of the codebook files ``paths``, parsed, numbered by ``code_id`` in file order
    (for benchmarks and checks that run rules without a project)."""
    rules = []
    for path in paths:
        spec = read_codebook(path)
        for _, code in spec.walk():
            for i, raw in enumerate(code.rules):
                rule = parse_rule(raw, code=code.name, index=i, default_languages=spec.languages,
                                  default_context=spec.rule_context)
                rule.code_id = len(rules)
                rules.append(rule)
    return rules


def turns_of(session: Session, source_ids: list[int]) -> Iterator[Turn]:
    """Turns of sources (speaker role and language included), source by source: one query for
    the turns of all of them (not one per source and speaker)."""
    rows = session.execute(
        select(Segment.source_id, Segment.start, Segment.end, Speaker.role)
        .outerjoin(Speaker, Segment.speaker_id == Speaker.id)
        .where(Segment.source_id.in_(source_ids)).order_by(Segment.source_id, Segment.idx)).all()
    by_source: dict[int, list] = {}
    for row in rows:
        by_source.setdefault(row[0], []).append(row)
    for source_id, text, language in session.execute(
            select(Source.id, Source.text, Source.language).where(Source.id.in_(source_ids)).order_by(Source.id)):
        lang = (language or "en").split("-")[0]
        for _, start, end, role in by_source.get(source_id, ()):
            yield Turn(source_id, start, text[start:end], role.value if role else None, lang)


def match_rules(turns: list[Turn], rules: list[Rule], inside: dict[int, list[tuple[int, int, int]]],
                progress: Callable[[int, int], None] | None = None, notes: list[str] | None = None,
                on_chunk: Callable[[list[Turn], list[Proposal], bool], None] | None = None) -> list[Proposal]:
    """What the rules propose in the turns, language by language; a rule restricted ``within`` a
    code proposes only inside that code's codings (``inside``: code id -> (source, start, end)).
    A regex that ran out of time on a turn proposes nothing there, and ``notes`` says so.
    ``on_chunk`` sees each chunk of turns with its proposals (before ``within``) and whether a
    regex timed out in it (autocode.rule_cache keeps the others)."""
    proposals: list[Proposal] = []
    timeouts: dict[str, int] = {}
    by_lang: dict[str, list[Turn]] = {}
    for t in turns:
        by_lang.setdefault(t.language, []).append(t)
    done = 0
    for lang, group in by_lang.items():
        compiled = compile_rules(rules, lang)
        if not compiled.rules:
            done += len(group)
            if on_chunk:
                on_chunk(group, [], False)
            continue
        for i in range(0, len(group), 500):
            chunk = group[i:i + 500]
            before = sum(compiled.regexes.timeouts.values())
            found = list(match_turns(chunk, compiled))
            proposals.extend(found)
            if on_chunk:
                on_chunk(chunk, found, sum(compiled.regexes.timeouts.values()) != before)
            done += len(chunk)
            if progress:
                progress(done, len(turns))
        for rule_id, n in compiled.regexes.timeouts.items():
            timeouts[rule_id] = timeouts.get(rule_id, 0) + n
    if notes is not None:
        notes.extend(f"rule {rule_id} timed out on {n} turn(s) and proposed nothing there: rewrite its regex"
                     for rule_id, n in sorted(timeouts.items()))
    return keep_within(proposals, rules, inside)


def keep_within(proposals: list[Proposal], rules: list[Rule],
                inside: dict[int, list[tuple[int, int, int]]]) -> list[Proposal]:
    """The proposals of a rule restricted ``within`` a code that lie inside that code's codings,
    and every proposal of the other rules."""
    rule_within = {r.id: int(r.within) for r in rules if r.within}
    return [p for p in proposals
            if rule_within.get(p.rule) is None
            or any(src == p.source_id and a < p.end and p.start < b for src, a, b in inside.get(rule_within[p.rule], []))]


@dataclass
class RunResult:
    run_id: int
    suggestions: int
    skipped_known: int
    turns: int
    by_suggester: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)       # what a suggester skipped or refused, and why


@dataclass
class Candidate:
    """A proposed coding before it is stored: where, which code, which suggester and why."""
    source_id: int
    code_id: int
    start: int
    end: int
    suggester: str = "rules"
    rule: str = ""
    matched: str = ""
    score: float | None = None
    evidence: dict | None = None

    @classmethod
    def of_rule(cls, p: Proposal) -> Candidate:
        return cls(p.source_id, p.code_id, p.start, p.end, "rules", p.rule, p.matched[:500])


def known_spans(session: Session, source_ids: list[int]) -> set[tuple[int, int, int, int]]:
    """(source, code, start, end) already suggested or coded: never proposed twice."""
    known = set(session.execute(select(Suggestion.source_id, Suggestion.code_id, Suggestion.start, Suggestion.end)
                                .where(Suggestion.source_id.in_(source_ids))).all())
    known |= set(session.execute(select(Coding.source_id, Coding.code_id, Coding.start, Coding.end)
                                 .where(Coding.source_id.in_(source_ids))).all())
    return known


def store_run(store, project_id: int, coder_id: int, candidates: list[Candidate], known: set, *,
              params: dict, turns: int, message: str, notes: list[str] | None = None) -> RunResult:
    """Store the candidates not already known as one run's suggestions, in one transaction."""
    keep, skipped = [], 0
    # What was proposed again (already coded or already suggested) is not stored twice, but the
    # run remembers it: evaluating the run counts it among its proposals - a span a person coded
    # exactly as a suggester would is a hit of that suggester, not a miss.
    again: list[list[int]] = []
    stored: set = set()
    for c in candidates:
        key = (c.source_id, c.code_id, c.start, c.end)
        if key in known:
            skipped += 1
            if key not in stored:
                again.append(list(key))
            continue
        known.add(key)
        stored.add(key)
        keep.append(c)
    by_suggester: dict[str, int] = {}
    for c in keep:
        by_suggester[c.suggester] = by_suggester.get(c.suggester, 0) + 1
    with store.write() as s:
        job = Job(project_id=project_id, kind=AUTOCODE, coder_id=coder_id, status=JobStatus.done, progress=1.0,
                  params=params, started_at=utcnow(), finished_at=utcnow())
        s.add(job)
        s.flush()
        # A bulk insert: a run writes without an action (it is undone whole by undo_run), so
        # its rows need no unit of work - building an object per suggestion took longer than
        # finding them.
        for i in range(0, len(keep), 5000):
            s.execute(insert(Suggestion), [
                {"run_id": job.id, "source_id": c.source_id, "code_id": c.code_id, "start": c.start, "end": c.end,
                 "rule": c.rule, "matched": c.matched, "suggester": c.suggester, "score": c.score,
                 "evidence": c.evidence} for c in keep[i:i + 5000]])
        job.result = {"suggestions": len(keep), "skipped_known": skipped, "turns": turns, "proposed_again": again,
                      "by_suggester": by_suggester, "notes": notes or []}
        job.message = message.format(suggestions=len(keep))
        if notes:       # the runs list shows the message: a warning must not hide in the result
            job.message += f" - {notes[0]}" + (f" (and {len(notes) - 1} more note(s))" if len(notes) > 1 else "")
        return RunResult(job.id, len(keep), skipped, turns, by_suggester, notes or [])


def inside_codings(session: Session, rules: list[Rule], source_ids: list[int]) -> dict[int, list[tuple[int, int, int]]]:
    """For rules restricted ``within`` a code: that code's codings (source, start, end)."""
    inside = {}
    for code_id in {int(r.within) for r in rules if r.within}:
        inside[code_id] = [(c.source_id, c.start, c.end) for c in session.scalars(
            select(Coding).where(Coding.code_id == code_id, Coding.source_id.in_(source_ids)))]
    return inside


def run(store, project_id: int, coder_id: int, *, codebook_ids: list[int] | None = None,
        code_ids: list[int] | None = None, source_ids: list[int] | None = None,
        progress: Callable[[int, int], None] | None = None) -> RunResult:
    """Run the rules alone over the sources and store suggestions (never codings), as one run
    (``suggest.run`` runs every suggester)."""
    with store.read() as s:
        rules = rules_of(s, project_id, codebook_ids, code_ids)
        if not rules:
            raise NotFound("the chosen codes have no autocoding rules (see docs/autocoding-rules.md)")
        if source_ids is None:
            source_ids = list(s.scalars(select(Source.id).where(Source.project_id == project_id)))
        turns = list(turns_of(s, source_ids))
        inside = inside_codings(s, rules, source_ids)
        known = known_spans(s, source_ids)
    notes: list[str] = []
    proposals = match_rules(turns, rules, inside, progress, notes)
    return store_run(store, project_id, coder_id, [Candidate.of_rule(p) for p in proposals], known, notes=notes,
                     params={"codebook_ids": codebook_ids, "code_ids": code_ids, "source_ids": source_ids,
                             "rules": len(rules), "methods": ["rules"]},
                     turns=len(turns), message=f"{{suggestions}} suggestions from {len(rules)} rules over {len(turns)} turns")


def undo_run(session: Session, project_id: int, run_id: int) -> dict:
    """Remove a run entirely: its suggestions and the codings accepted from it."""
    job = session.get(Job, run_id)
    if job is None or job.project_id != project_id or job.kind != AUTOCODE:
        raise NotFound(f"no autocoding run {run_id} in this project")
    coding_ids = set(session.scalars(select(Coding.id).where(Coding.run_id == run_id)))
    suggestion_ids = set(session.scalars(select(Suggestion.id).where(Suggestion.run_id == run_id)))
    codings = session.execute(delete(Coding).where(Coding.run_id == run_id)).rowcount
    suggestions = session.execute(delete(Suggestion).where(Suggestion.run_id == run_id)).rowcount
    session.execute(update(Job).where(Job.id == run_id).values(status=JobStatus.cancelled, message="undone"))
    # Accepting or rejecting this run's suggestions can no longer be undone (the rows are gone):
    # off the undo stack, so that the next Undo reaches the action before them.
    discarded = discard_rows(session, project_id, {"coding": coding_ids, "suggestion": suggestion_ids})
    return {"codings": codings, "suggestions": suggestions, "actions_discarded": discarded}


def runs(session: Session, project_id: int) -> list[dict]:
    return [{"id": j.id, "when": j.created_at.strftime("%Y-%m-%d %H:%M"), "status": j.status.value,
             "message": j.message} for j in session.scalars(
        select(Job).where(Job.project_id == project_id, Job.kind == AUTOCODE).order_by(Job.id.desc()))]
