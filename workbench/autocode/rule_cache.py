"""What the rules found in each turn, kept in the project: a rerun of the suggesters matches only
the turns that changed (or every turn, once the rules changed).

A turn's hits are kept under two keys: the **fingerprint** of everything that decides them (the
rules of the turn's language as parsed, the language, the versions of spaCy and its lemma data,
and the source of the matching code itself) and the **turn's hash** (its speaker role and text).
Anything else changes nothing a rule sees: a rule's hits in a turn do not depend on its neighbours
(autocode.engine bundles turns only where that holds). A turn where a regex ran out of time is
not kept: its next run may finish. The newest few fingerprints of a language are kept, older
ones dropped.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
from bisect import bisect_right
from collections.abc import Callable
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from sqlalchemy import delete, func, select

from workbench.autocode.engine import Proposal, Turn
from workbench.autocode.runs import keep_within, match_rules
from workbench.codebook.rules import Rule
from workbench.db.keyed import insert_new, rows_by_key
from workbench.db.models import RuleHit

KEPT_FINGERPRINTS = 4         # per project and language: a run over some codes does not evict the run over all
_MATCHING_CODE = ("autocode/engine.py", "autocode/pipelines.py", "autocode/regexes.py", "autocode/anchors.py",
                  "codebook/rules.py")
_PACKAGES = ("spacy", "thinc", "spacy-lookups-data", "en-core-web-sm", "pt-core-news-sm", "regex", "pyahocorasick")


@lru_cache(maxsize=1)
def _matching_version() -> str:
    """The matching code and the packages it reads, as one hash: an upgrade starts the cache anew."""
    digest = hashlib.sha256(sys.version.encode())      # str.lower and re follow Python's Unicode tables
    root = Path(__file__).resolve().parent.parent
    for name in _MATCHING_CODE:
        digest.update((root / name).read_bytes())
    for package in _PACKAGES:
        try:
            digest.update(f"{package}={metadata.version(package)};".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{package}=-;".encode())
    return digest.hexdigest()


def _plain(value):
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"cannot fingerprint {type(value).__name__}")


def fingerprint(rules: list[Rule], language: str) -> str:
    """The key of everything that decides the rules' hits in a turn of ``language``."""
    applying = [dataclasses.asdict(r) for r in rules if not r.languages or language in r.languages]
    payload = json.dumps([language, _matching_version(), applying], default=_plain, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def turn_hash(turn: Turn) -> str:
    """The key of a turn's hits under a fingerprint: its role and text."""
    return hashlib.sha256(f"{turn.role or ''}\x00{turn.text}".encode("utf-8")).hexdigest()


def _prune(session, project_id: int, language: str) -> None:
    newest = session.execute(select(RuleHit.fingerprint)
                             .where(RuleHit.project_id == project_id, RuleHit.language == language)
                             .group_by(RuleHit.fingerprint).order_by(func.max(RuleHit.id).desc())).scalars().all()
    if len(newest) > KEPT_FINGERPRINTS:
        session.execute(delete(RuleHit).where(RuleHit.project_id == project_id, RuleHit.language == language,
                                              RuleHit.fingerprint.in_(newest[KEPT_FINGERPRINTS:])))


def _checked(kept: str | None, turn: Turn, codes_of: dict[str, int | None]) -> list | None:
    """A turn's kept hits when every one is sound - a rule of these rules with its own code, inside
    the turn, the words it matched - else None: matched again, as if nothing were kept (the table
    comes back with a restored project, whatever its file held)."""
    if kept is None:
        return None
    try:
        hits = json.loads(kept)
        for code_id, a, b, rule, matched in hits:
            if (codes_of.get(rule, -1) != code_id or not isinstance(a, int) or not isinstance(b, int)
                    or not 0 <= a < b <= len(turn.text) or not isinstance(matched, str)):
                return None
    except (ValueError, TypeError):
        return None
    return hits


def _by_turn(turns: list[Turn], proposals: list[Proposal]) -> list[list[Proposal]]:
    """Each turn's proposals (a proposal lies inside the turn it was found in)."""
    order = sorted(range(len(turns)), key=lambda i: (turns[i].source_id, turns[i].start))
    keys = [(turns[i].source_id, turns[i].start) for i in order]
    out: list[list[Proposal]] = [[] for _ in turns]
    for p in proposals:
        out[order[bisect_right(keys, (p.source_id, p.start)) - 1]].append(p)
    return out


def match(store, project_id: int, turns: list[Turn], rules: list[Rule], inside: dict[int, list[tuple[int, int, int]]],
          progress: Callable[[int, int], None] | None = None, notes: list[str] | None = None) -> list[Proposal]:
    """:func:`workbench.autocode.runs.match_rules`, with the hits of turns matched before under the
    same rules read from the project instead of matched again."""
    keys = {lang: fingerprint(rules, lang) for lang in {t.language for t in turns}}
    hashes = [turn_hash(t) for t in turns]
    with store.read() as s:
        kept: dict[str, dict[str, str]] = {}
        for lang, key in keys.items():
            kept[lang] = dict(rows_by_key(s, RuleHit.turn_hash, RuleHit.hits, RuleHit.fingerprint == key,
                                          (h for t, h in zip(turns, hashes) if t.language == lang)))
    found: list[Proposal] = []
    todo: list[Turn] = []
    hash_of = {(t.source_id, t.start): h for t, h in zip(turns, hashes)}
    codes_of = {r.id: r.code_id for r in rules}
    for t, h in zip(turns, hashes):
        hits = _checked(kept[t.language].get(h), t, codes_of)
        if hits is None:
            todo.append(t)
            continue
        found.extend(Proposal(t.source_id, code_id, t.start + a, t.start + b, rule, matched)
                     for code_id, a, b, rule, matched in hits)
    if progress:
        progress(len(turns) - len(todo), len(turns))
    if not todo:
        return keep_within(found, rules, inside)
    rows: list[dict] = []

    def keep(chunk: list[Turn], proposals: list[Proposal], timed_out: bool) -> None:
        if timed_out:
            return
        for t, own in zip(chunk, _by_turn(chunk, proposals)):
            rows.append({"project_id": project_id, "fingerprint": keys[t.language], "language": t.language,
                         "turn_hash": hash_of[(t.source_id, t.start)],
                         "hits": json.dumps([[p.code_id, p.start - t.start, p.end - t.start, p.rule, p.matched]
                                             for p in own], ensure_ascii=False)})

    done = len(turns) - len(todo)
    fresh = match_rules(todo, rules, inside, None if progress is None else
                        (lambda d, _total: progress(done + d, len(turns))), notes, on_chunk=keep)
    # One row per key (many turns say the same "Yes."), in key order: two runs storing the same
    # turns then take their locks in the same order and cannot deadlock each other on PostgreSQL.
    rows = sorted({(r["fingerprint"], r["turn_hash"]): r for r in rows}.values(),
                  key=lambda r: (r["fingerprint"], r["turn_hash"]))
    with store.write() as s:
        for i in range(0, len(rows), 5000):
            s.execute(insert_new(s, RuleHit, ["fingerprint", "turn_hash"]), rows[i:i + 5000])
        for lang in {r["language"] for r in rows}:
            _prune(s, project_id, lang)
    return keep_within(found, rules, inside) + fresh
