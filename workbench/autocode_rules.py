"""Autocoding rules: validated when a codebook is read, compiled into spaCy matchers per language.

The rule language is documented in ``docs/autocoding-rules.md``. Validation happens at load
time, with the codebook file and the rule's line: a regex that does not compile, can match the
empty string or nests quantifiers (catastrophic backtracking), an unknown token attribute, a
language without a pipeline. Matching itself bounds every regex with a timeout as well.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import compress

import regex

UNITS = ("sentence", "turn", "match")
MATCH_ON = ("lemma", "lower")
REGEX_TIMEOUT = 0.5        # seconds per turn; a slower regex is stopped and reported
LANGUAGES = {"en", "pt", "es", "fr", "de", "it", "nl", "ca", "da", "sv", "nb", "pl", "ro", "ru", "el", "tr", "fa"}
TOKEN_KEYS = {"ORTH", "TEXT", "LOWER", "LEMMA", "NORM", "POS", "TAG", "MORPH", "DEP", "ENT_TYPE", "SHAPE", "PREFIX",
              "SUFFIX", "LENGTH", "IS_ALPHA", "IS_ASCII", "IS_DIGIT", "IS_LOWER", "IS_UPPER", "IS_TITLE", "IS_PUNCT",
              "IS_SPACE", "IS_STOP", "IS_SENT_START", "LIKE_NUM", "LIKE_URL", "LIKE_EMAIL", "SPACY", "OP",
              "ENT_IOB", "ENT_ID", "ENT_KB_ID", "SENT_START", "_"}
_NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*](?:[^()\\]|\\.)*\)\s*(?:[+*]|\{\d*,\})")
RULE_KEYS = {"id", "language", "phrases", "match_on", "patterns", "regex", "unit", "speaker_role", "within", "exclude"}


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
    if _NESTED_QUANTIFIER.search(pattern):
        raise RuleProblem(f"regex {pattern!r} nests quantifiers like (a+)+, which can take exponential time; "
                          "rewrite it without the nesting")


def check_pattern(pattern) -> None:
    if not isinstance(pattern, list) or not pattern:
        raise RuleProblem("a token pattern is a non-empty list of token descriptions")
    for token in pattern:
        if not isinstance(token, dict):
            raise RuleProblem(f"token {token!r} must be a mapping such as {{LEMMA: fair}}")
        for key in token:
            if str(key).upper() not in TOKEN_KEYS:
                raise RuleProblem(f"unknown token attribute {key!r} (use LEMMA, LOWER, ORTH, POS, IS_PUNCT, OP, ...)")
    from .autocode_anchors import token_op
    if all(token_op(t) in ("?", "*") for t in pattern):
        raise RuleProblem("a token pattern whose every token is optional matches the empty string")


def parse_rule(raw: dict, *, code: str, index: int, default_languages: list[str]) -> Rule:
    """A rule from its YAML mapping, or RuleProblem saying what is wrong."""
    if not isinstance(raw, dict):
        raise RuleProblem("a rule must be a mapping (phrases, patterns or regex, and options)")
    unknown = set(raw) - RULE_KEYS
    if unknown:
        raise RuleProblem(f"unknown rule field {sorted(unknown)[0]!r} (allowed: {', '.join(sorted(RULE_KEYS))})")
    for p in _as_list(raw.get("phrases")) + _as_list(raw.get("exclude")):
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
                within=raw.get("within"), exclude=[str(x) for x in _as_list(raw.get("exclude"))])


def rules_of_files(paths) -> list[Rule]:
    """Every rule of the codebook files ``paths``, parsed, numbered by ``code_id`` in file order
    (for benchmarks and checks that run rules without a project)."""
    from .codebook import read_codebook
    rules = []
    for path in paths:
        spec = read_codebook(path)
        for _, code in spec.walk():
            for i, raw in enumerate(code.rules):
                rule = parse_rule(raw, code=code.name, index=i, default_languages=spec.languages)
                rule.code_id = len(rules)
                rules.append(rule)
    return rules


@lru_cache(maxsize=None)
def pipeline(lang: str):
    _register_components()
    return _build(lang)


def _build(lang: str):
    """A spaCy pipeline for ``lang``, built once: a trained one when installed, else a blank one
    with lookup lemmas (spacy-lookups-data), which works offline.

    The blank pipeline has no sentence splitter in it: sentences are only needed around a match,
    so :func:`sentences` splits a turn when it has one (most of a corpus never needs splitting).
    """
    import spacy
    trained = {"en": "en_core_web_sm", "pt": "pt_core_news_sm"}.get(lang)
    if trained:
        try:
            return spacy.load(trained, exclude=["ner", "textcat"])
        except OSError:
            pass                                   # not installed: fall back to the blank pipeline
    try:
        nlp = spacy.blank(lang)
    except Exception as exc:
        raise RuleProblem(f"no spaCy language {lang!r}") from exc
    # No parser or tagger here, so a long text costs only its tokens: lift spaCy's guard against
    # running those on huge texts (an unsegmented recording transcript can pass a million characters).
    nlp.max_length = 50_000_000
    table = _lookup_table(nlp)
    if table is not None:
        _LEMMA_IDS[lang] = _lemma_ids(nlp, table)
        nlp.add_pipe("workbench_lookup_lemmas")
    nlp.initialize()
    return nlp


def _lookup_table(nlp):
    """The language's lemma lookup table from spacy-lookups-data, or None when it has none."""
    try:
        lemmatizer = nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        nlp.initialize()
        return lemmatizer.lookups.get_table("lemma_lookup")
    except Exception:                              # a language without lookup tables: lower-case only
        return None
    finally:
        if "lemmatizer" in nlp.pipe_names:
            nlp.remove_pipe("lemmatizer")


def _lemma_ids(nlp, table) -> dict[int, int]:
    """Lower-case form id -> lemma id, every lemma interned in the vocabulary's strings.

    The table is keyed by the id of a word form; looking a token up by its lower-case form also
    gives "Shared" at a sentence start the lemma of "shared"."""
    strings = nlp.vocab.strings
    # Some languages' tables (fr, ca) list several lemmas: spaCy's lookup lemmatizer takes the first.
    return {key: strings.add(value if isinstance(value, str) else value[0])
            for key, value in table.items() if isinstance(value, str) or value}


@lru_cache(maxsize=None)
def _punct_ids(lang: str) -> frozenset[int]:
    """Ids of the characters that end a sentence (spaCy's Sentencizer defaults)."""
    from spacy.pipeline import Sentencizer
    strings = pipeline(lang).vocab.strings
    return frozenset(strings.add(ch) for ch in Sentencizer.default_punct_chars)


@lru_cache(maxsize=None)
def _splits_sentences(lang: str) -> bool:
    """True when the language's pipeline sets sentence boundaries itself (a trained one)."""
    return bool({"parser", "senter", "sentencizer"} & set(pipeline(lang).pipe_names))


def sentences(doc, lang: str, start: int = 0, end: int | None = None,
              orth: list[int] | None = None) -> list[tuple[int, int]]:
    """``(start_char, end_char)`` of each sentence of ``doc``, or of its tokens ``start`` to
    ``end`` (one turn of several joined in a doc: the first sentence starts at ``start``);
    ``orth`` is the doc's ORTH array as a list when the caller has it already.

    A trained pipeline's parser or senter has split it already; otherwise it is split here by
    spaCy's Sentencizer rule (a sentence ends after . ! ? and the like, and the punctuation
    that follows them), read from arrays instead of Token objects - only turns with a match
    need it."""
    if _splits_sentences(lang):
        return [(sent.start_char, sent.end_char) for sent in doc[start:end].sents]
    end = len(doc) if end is None else end
    if orth is None:
        from spacy.attrs import ORTH
        orth = doc.to_array(ORTH).tolist()
    orth = orth[start:end]
    if not orth:
        return []
    punct = _punct_ids(lang)
    n = len(orth)
    # A sentence ends at one of the punctuation marks; the next one starts at the first token
    # after it that is neither punctuation nor another end mark (closing quotes stay behind).
    # Only the few tokens after an end mark are looked at one by one.
    starts, k = [0], 0
    for e in compress(range(n), map(punct.__contains__, orth)):
        if e < k:
            continue                              # this end mark is part of the run just passed
        k = e + 1
        while k < n and (orth[k] in punct or doc[start + k].is_punct):
            k += 1
        if k < n:
            starts.append(k)
    bounds = starts + [n]
    return [(doc[start + a].idx, doc[start + b - 1].idx + len(doc[start + b - 1])) for a, b in zip(bounds, bounds[1:])]


def _register_components() -> None:
    from spacy.language import Language
    if "workbench_lookup_lemmas" in Language.factories:
        return

    @Language.component("workbench_lookup_lemmas")
    def lookup_lemmas(doc):
        """Every token's lemma from the lookup table by its lower-case form, in one pass over
        arrays: no Python object per token (the library's lookup lemmatizer makes one per token
        and was a third of autocoding's time)."""
        import numpy as np
        from spacy.attrs import LEMMA, LOWER
        ids = _LEMMA_IDS.get(doc.lang_)
        if ids is None or not len(doc):
            return doc
        lower = doc.to_array(LOWER).tolist()
        lemmas = np.array(list(map(ids.get, lower, lower)), dtype=np.uint64)   # get(h, h): the form itself when unlisted
        doc.from_array([LEMMA], lemmas.reshape(-1, 1))
        return doc


_LEMMA_IDS: dict[str, dict[int, int]] = {}


def lookup_lemma_ids(lang: str) -> dict[int, int] | None:
    """Lower-case form id -> lemma id when ``lang``'s pipeline is the blank one with lookup
    lemmas (a token's lemma then depends on its lower-case form alone), else None."""
    return _LEMMA_IDS.get(lang) if "workbench_lookup_lemmas" in pipeline(lang).pipe_names else None


def has_lemmas(lang: str) -> bool:
    names = pipeline(lang).pipe_names
    return "workbench_lookup_lemmas" in names or "lemmatizer" in names
