"""The autocoding rule language: a code's rules as written in its codebook, validated when the
codebook is read (no spaCy here; matching is in ``workbench.autocode``).

The language is documented in ``docs/autocoding-rules.md``. A rule is refused with the reason
(the caller adds the codebook file and line): a regex that does not compile, can match the empty
string or has a shape that backtracks catastrophically (regex_safety), an unknown token attribute, a language
without a pipeline. Matching bounds every regex with a timeout as well.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import regex

from workbench.codebook.regex_safety import backtracking_problem

UNITS = ("sentence", "turn", "match")

MATCH_ON = ("lemma", "lower")

REGEX_TIMEOUT = 0.5        # seconds per turn; a slower regex is stopped and reported

LANGUAGES = {"en", "pt", "es", "fr", "de", "it", "nl", "ca", "da", "sv", "nb", "pl", "ro", "ru", "el", "tr", "fa"}

TOKEN_KEYS = {"ORTH", "TEXT", "LOWER", "LEMMA", "NORM", "POS", "TAG", "MORPH", "DEP", "ENT_TYPE", "SHAPE", "PREFIX",
              "SUFFIX", "LENGTH", "IS_ALPHA", "IS_ASCII", "IS_DIGIT", "IS_LOWER", "IS_UPPER", "IS_TITLE", "IS_PUNCT",
              "IS_SPACE", "IS_STOP", "IS_SENT_START", "LIKE_NUM", "LIKE_URL", "LIKE_EMAIL", "SPACY", "OP",
              "ENT_IOB", "ENT_ID", "ENT_KB_ID", "SENT_START", "_"}

RULE_KEYS = {"id", "language", "phrases", "match_on", "patterns", "regex", "unit", "speaker_role", "within", "exclude",
             "context"}


class RuleProblem(Exception):
    """A rule that cannot be used; turned into InvalidCodebook with file and line by the caller."""


@dataclass
class Rule:
    id: str
    code_id: int | None
    code: str
    languages: frozenset[str] | None
    phrases: list[str] = field(default_factory=list)
    match_on: str = "lemma"
    patterns: list[list[dict]] = field(default_factory=list)
    regexes: list[str] = field(default_factory=list)
    unit: str = "sentence"
    roles: frozenset[str] | None = None
    within: str | None = None
    exclude: list[str] = field(default_factory=list)
    context: list[str] = field(default_factory=list)     # the turn must hold one of these words


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def check_regex(pattern: str) -> None:
    """Refuse regexes that do not compile, match nothing-at-all, or can backtrack catastrophically."""
    try:
        compiled = regex.compile(pattern, regex.IGNORECASE | regex.V1)
    except regex.error as exc:
        raise RuleProblem(f"regex {pattern!r} is invalid: {exc}") from exc
    if compiled.fullmatch("") is not None or compiled.search("") is not None:
        raise RuleProblem(f"regex {pattern!r} matches the empty string (it would match everywhere)")
    problem = backtracking_problem(pattern)
    if problem:
        raise RuleProblem(f"regex {pattern!r} {problem}, which can take exponential time; rewrite it "
                          "(a possessive a++ or an atomic group (?>...) cannot backtrack)")


def token_op(token) -> str:
    """A token description's operator (``OP``, which spaCy also reads written ``op``), or ""."""
    if not isinstance(token, dict):
        return ""
    return next((str(v).strip() for k, v in token.items() if str(k).upper() == "OP"), "")


def check_pattern(pattern) -> None:
    if not isinstance(pattern, list) or not pattern:
        raise RuleProblem("a token pattern is a non-empty list of token descriptions")
    for token in pattern:
        if not isinstance(token, dict):
            raise RuleProblem(f"token {token!r} must be a mapping such as {{LEMMA: fair}}")
        for key in token:
            if str(key).upper() not in TOKEN_KEYS:
                raise RuleProblem(f"unknown token attribute {key!r} (use LEMMA, LOWER, ORTH, POS, IS_PUNCT, OP, ...)")
    if all(token_op(t) in ("?", "*") for t in pattern):
        raise RuleProblem("a token pattern whose every token is optional matches the empty string")


def parse_rule(raw: dict, *, code: str, index: int, default_languages: list[str],
               default_context: list[str] | None = None) -> Rule:
    """A rule from its YAML mapping, or RuleProblem saying what is wrong."""
    if not isinstance(raw, dict):
        raise RuleProblem("a rule must be a mapping (phrases, patterns or regex, and options)")
    unknown = set(raw) - RULE_KEYS
    if unknown:
        raise RuleProblem(f"unknown rule field {sorted(unknown)[0]!r} (allowed: {', '.join(sorted(RULE_KEYS))})")
    for p in _as_list(raw.get("phrases")) + _as_list(raw.get("exclude")) + _as_list(raw.get("context")):
        if not isinstance(p, (str, int, float)) or isinstance(p, bool):
            raise RuleProblem(f"phrase {p!r} is not text; quote it in the YAML (a bare no/yes/on/off is read as "
                              "true or false)")
    phrases = [str(p).strip() for p in _as_list(raw.get("phrases")) if str(p).strip()]
    patterns = _as_list(raw.get("patterns"))
    if patterns and isinstance(patterns[0], dict):      # one pattern written without the outer list
        patterns = [patterns]
    regexes = [str(r) for r in _as_list(raw.get("regex"))]
    if not (phrases or patterns or regexes):
        raise RuleProblem("a rule needs phrases, patterns or regex")
    for p in patterns:
        check_pattern(p)
    for r in regexes:
        check_regex(r)
    languages = [str(x).lower() for x in _as_list(raw.get("language"))] or [x.lower() for x in default_languages]
    for lang in languages:
        if lang not in LANGUAGES:
            raise RuleProblem(f"no language pipeline for {lang!r} (available: {', '.join(sorted(LANGUAGES))})")
    unit = raw.get("unit", "sentence")
    if unit not in UNITS:
        raise RuleProblem(f"unit must be one of {', '.join(UNITS)}, not {unit!r}")
    match_on = raw.get("match_on", "lemma")
    if match_on not in MATCH_ON:
        raise RuleProblem(f"match_on must be lemma or lower, not {match_on!r}")
    roles = [str(r) for r in _as_list(raw.get("speaker_role"))]
    bad = [r for r in roles if r not in ("interviewer", "interviewee", "other")]
    if bad:
        raise RuleProblem(f"speaker_role {bad[0]!r} is not interviewer, interviewee or other")
    return Rule(id=str(raw.get("id") or f"{code} #{index + 1}"), code_id=None, code=code,
                languages=frozenset(languages) if languages else None, phrases=phrases, match_on=match_on,
                patterns=patterns, regexes=regexes, unit=unit, roles=frozenset(roles) if roles else None,
                within=raw.get("within"), exclude=[str(x) for x in _as_list(raw.get("exclude"))],
                context=[str(x).strip() for x in (_as_list(raw.get("context")) or default_context or []) if str(x).strip()])
