"""The rule engine: a codebook's rules compiled into spaCy matchers per language, and matched
over speaker turns as fast as the rules allow, with exactly the results of the plain way.

Turns stream through one spaCy pipeline per language (``nlp.pipe``); phrases match on lemmas
or lower-case forms, token patterns and regexes only where they can (see ``anchors`` and
``regexes``); each match expands to its unit (sentence, turn or the words), and the rule's
restrictions (speaker role, exclusion phrases) apply. The result is a stream of
:class:`Proposal`; storing them as suggestions is ``runs``' work.
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import compress, repeat
from operator import and_, or_

from workbench.autocode.pipelines import has_lemmas, lookup_lemma_ids, pipeline
from workbench.autocode.pipelines import sentences as sentences_of
from workbench.autocode.regexes import RegexSet, context_pattern
from workbench.codebook.rules import Rule
from workbench.errors import InvalidCodebook


@dataclass
class Turn:
    """What matching needs of one speaker turn."""
    source_id: int
    start: int
    text: str
    role: str | None
    language: str


@dataclass
class Proposal:
    source_id: int
    code_id: int
    start: int
    end: int
    rule: str
    matched: str


@dataclass
class _Gate:
    """When one token pattern of a rule can match around a word: the word has the pattern's
    anchor (``anchor`` bit) and a window of ``size`` tokens each side of it holds a word for
    every token the pattern requires (``needs`` bits); ``size`` None is the whole turn."""
    rule_id: str
    anchor: int
    needs: int
    size: int | None


class _WordBits(dict):
    """word id -> the bits of the required words it is; learned on first sight (a corpus has a
    finite vocabulary, so this stays small and most lookups are plain dict hits)."""

    def __init__(self, learn: Callable[[int], int]):
        super().__init__()
        self._learn = learn

    def __missing__(self, word_id: int) -> int:
        self[word_id] = bits = self._learn(word_id)
        return bits


@dataclass
class CompiledLanguage:
    nlp: object
    lemma_matcher: object
    lower_matcher: object
    rules: dict[str, Rule]
    language: str = "en"
    # Token patterns, one spaCy Matcher per rule, run only on short windows that can hold a
    # match: around a word of the pattern's anchor, and only when every other word the
    # pattern requires is near it too (see autocode_anchors.py). The Matcher makes a Python
    # object per token it looks at; one Matcher for every rule over every turn was three
    # quarters of autocoding's time.
    token_matchers: dict[str, object] = field(default_factory=dict)
    words: list[frozenset[str] | re.Pattern] = field(default_factory=list)   # bit i: words[i]
    gates: list[_Gate] = field(default_factory=list)
    always: set[str] = field(default_factory=set)
    regexes: RegexSet = field(default_factory=RegexSet)
    _anchor_bits: int = 0
    _bits: _WordBits | None = None
    _lemma_ids: dict[int, int] | None = None
    _gates_of: dict[int, list[_Gate]] = field(default_factory=dict)
    # Several turns may share one doc: true for the blank pipeline when no pattern looks at
    # where a doc starts (IS_SENT_START) or at custom attributes.
    bundles: bool = True
    lower_texts: _LowerText | None = None          # string id -> lower-case text, for exclusions
    contexts: dict[str, re.Pattern] = field(default_factory=dict)   # rule id -> words one of which the turn needs

    def add_words(self, words: set[str] | str) -> int:
        """The bit of a required word set (or word regex), added on first use. A word regex is
        compiled by the standard library, as spaCy's Matcher compiles it."""
        key = frozenset(words) if isinstance(words, set) else re.compile(words)
        for i, known in enumerate(self.words):
            if known == key:
                return 1 << i
        self.words.append(key)
        return 1 << (len(self.words) - 1)

    def _learn(self, word_id: int) -> int:
        word, bits = self.nlp.vocab.strings[word_id], 0
        for i, words in enumerate(self.words):
            if (word in words) if isinstance(words, frozenset) else words.search(word):
                bits |= 1 << i
        return bits

    def _learn_with_lemma(self, lower_id: int) -> int:
        """The bits of a lower-case form and of its lemma, for pipelines whose lemma is a
        function of the lower-case form (one lookup per token instead of two)."""
        lemma_id = self._lemma_ids.get(lower_id, lower_id)
        bits = self._learn(lower_id)
        return bits if lemma_id == lower_id else bits | self._learn(lemma_id)

    def _gates_for(self, bits: int) -> list[_Gate]:
        if bits not in self._gates_of:
            self._gates_of[bits] = [g for g in self.gates if bits & g.anchor]
        return self._gates_of[bits]

    def token_hits(self, doc) -> set[tuple[str, int, int]]:
        """``(rule id, start token, end token)`` of every token-pattern match in ``doc``: exactly
        those of one Matcher over the whole turn, found by running each rule's Matcher only on
        the windows its gates let through (a match holds its anchor, every word its pattern
        requires, and is at most as long as its pattern)."""
        if not self.token_matchers:
            return set()
        from spacy.attrs import LEMMA, LOWER
        if self._bits is None:
            self._lemma_ids = lookup_lemma_ids(self.language)
            self._bits = _WordBits(self._learn if self._lemma_ids is None else self._learn_with_lemma)
            self._anchor_bits = 0
            for gate in self.gates:
                self._anchor_bits |= gate.anchor
        look, anchor_bits = self._bits.__getitem__, self._anchor_bits
        # map() and compress() walk the tokens in C; Python runs only at anchor words.
        if self._lemma_ids is not None:
            bits = list(map(look, doc.to_array(LOWER).tolist()))
        else:
            rows = doc.to_array([LOWER, LEMMA])
            bits = list(map(or_, map(look, rows[:, 0].tolist()), map(look, rows[:, 1].tolist())))
        n = len(bits)
        windows: dict[str, list[tuple[int, int]]] = {rule_id: [(0, n)] for rule_id in self.always}
        whole = None
        for i in compress(range(n), map(and_, bits, repeat(anchor_bits))):
            for gate in self._gates_for(bits[i] & anchor_bits):
                if gate.size is None:
                    if whole is None:
                        whole = 0
                        for x in bits:
                            whole |= x
                    have, lo, hi = whole, 0, n
                else:
                    lo, hi = max(0, i - gate.size + 1), min(n, i + gate.size)
                    have = 0
                    for x in bits[lo:hi]:
                        have |= x
                if have & gate.needs == gate.needs:
                    windows.setdefault(gate.rule_id, []).append((lo, hi))
        found: set[tuple[str, int, int]] = set()
        for rule_id, spans in windows.items():
            matcher = self.token_matchers[rule_id]
            for lo, hi in _merged(spans):
                found.update((rule_id, lo + s, lo + e) for _, s, e in matcher(doc[lo:hi] if (lo, hi) != (0, n) else doc))
        return found


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Token windows ``[lo, hi)`` with the overlapping ones joined."""
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(spans):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


_CONTEXT_KEYS = {"IS_SENT_START", "SENT_START", "_"}

_CONTEXT_FREE_PIPES = {"workbench_lookup_lemmas"}


def _context_keys(patterns: list[list[dict]]) -> bool:
    """True when a token pattern looks at something that depends on where its doc starts."""
    return any(str(key).upper() in _CONTEXT_KEYS for pattern in patterns for token in pattern
               if isinstance(token, dict) for key in token)


def compile_rules(rules: list[Rule], language: str) -> CompiledLanguage:
    """Matchers for the rules that apply to ``language``."""
    from spacy.matcher import Matcher, PhraseMatcher

    from workbench.autocode.anchors import pattern_length, required_words
    nlp = pipeline(language)
    lemmas = has_lemmas(language)
    compiled = CompiledLanguage(nlp, PhraseMatcher(nlp.vocab, attr="LEMMA") if lemmas else None,
                                PhraseMatcher(nlp.vocab, attr="LOWER"), {}, language)
    # A trained pipeline tags, parses and splits sentences from context: one doc per turn.
    compiled.bundles = set(nlp.pipe_names) <= _CONTEXT_FREE_PIPES
    compiled.lower_texts = _LowerText(nlp.vocab.strings)
    for rule in rules:
        if rule.languages and language not in rule.languages:
            continue
        compiled.rules[rule.id] = rule
        if rule.phrases:
            if rule.match_on == "lemma" and lemmas:
                compiled.lemma_matcher.add(rule.id, list(nlp.pipe(rule.phrases)))
            else:
                compiled.lower_matcher.add(rule.id, [nlp.make_doc(p) for p in rule.phrases])
        if rule.patterns:
            if _context_keys(rule.patterns):
                compiled.bundles = False
            matcher = Matcher(nlp.vocab, validate=True)
            try:
                matcher.add(rule.id, rule.patterns)
            except Exception as exc:
                raise InvalidCodebook(f"rule {rule.id!r} of {rule.code!r}: {exc}") from exc
            compiled.token_matchers[rule.id] = matcher
            lengths = [pattern_length(p) for p in rule.patterns]
            for pattern, size in zip(rule.patterns, lengths):
                required = required_words(pattern, nlp)
                if not required:
                    compiled.always.add(rule.id)
                    continue
                needs = 0
                for words in required:
                    needs |= compiled.add_words(words)
                compiled.gates.append(_Gate(rule.id, compiled.add_words(required[0]), needs, size))
        for r in rule.regexes:
            compiled.regexes.add(rule.id, r)
        if rule.context:
            compiled.contexts[rule.id] = context_pattern(rule.context)
    return compiled


def _unit(text: str, rule: Rule, start_char: int, end_char: int, sentences: list[tuple[int, int]]) -> tuple[int, int]:
    if rule.unit == "turn":
        return 0, len(text)
    if rule.unit == "match":
        return start_char, end_char
    i = bisect_right(sentences, (start_char, len(text) + 1)) - 1
    if i >= 0 and sentences[i][0] <= start_char < sentences[i][1]:
        return sentences[i][0], max(sentences[i][1], end_char)
    return start_char, end_char


def _vetoed(doc, text: str, rule: Rule, a: int, b: int, cache: dict, base: int = 0,
            tokens: tuple[int, int] | None = None, lower_texts: _LowerText | None = None) -> bool:
    """True when an exclusion phrase of ``rule`` is in the unit ``[a, b)`` of the turn ``text``:
    in its words or in its lemmas (read from arrays, once per unit and only when the words hold
    none). The turn starts at character ``base`` of ``doc`` and spans its ``tokens``."""
    if not rule.exclude:
        return False
    words = cache.get((base + a, base + b))
    if words is None:
        cache[(base + a, base + b)] = words = text[a:b].lower()
    excluded = [x.lower() for x in rule.exclude]
    if any(x in words for x in excluded):
        return True
    lemmas = cache.get(("lemmas", base + a, base + b))
    if lemmas is None:
        if "lemma ids" not in cache:
            from spacy.attrs import LEMMA, LOWER
            ids = doc.to_array(LEMMA).tolist()
            if 0 in ids:                            # a token without a lemma: its lower-case form
                ids = [lemma or lower for lemma, lower in zip(ids, doc.to_array(LOWER).tolist())]
            cache["lemma ids"] = ids
        span = doc.char_span(base + a, base + b, alignment_mode="expand")
        lo, hi = (span.start, span.end) if span is not None else (tokens or (0, len(doc)))
        cache[("lemmas", base + a, base + b)] = lemmas = " ".join(
            map((lower_texts if lower_texts is not None else _LowerText(doc.vocab.strings)).__getitem__,
                cache["lemma ids"][lo:hi]))
    return any(x in lemmas for x in excluded)


class _LowerText(dict):
    """String id -> its text in lower case, looked up in the vocabulary once per id."""

    def __init__(self, strings):
        super().__init__()
        self.strings = strings

    def __missing__(self, key: int) -> str:
        self[key] = text = self.strings[key].lower()
        return text


SEPARATOR = "\n\n"           # between turns joined in one doc: its own token, never part of a word

BUNDLE_TURNS = 8             # turns per doc: fewer, larger docs cost less per word

BUNDLE_CHARS = 100_000       # and never more text than this in one (spaCy refuses docs over nlp.max_length)


def _bundles(turns: list[Turn], size: int) -> Iterator[list[Turn]]:
    """Consecutive turns to match as one doc. A turn with white space at either end goes
    alone: only between non-space characters does the separator tokenize as it would alone."""
    group: list[Turn] = []
    chars = 0
    for turn in turns:
        if size > 1 and turn.text and turn.text == turn.text.strip() and len(turn.text) < BUNDLE_CHARS:
            if group and chars + len(SEPARATOR) + len(turn.text) > BUNDLE_CHARS:
                yield group
                group, chars = [], 0
            group.append(turn)
            chars += len(turn.text) + len(SEPARATOR)
            if len(group) == size:
                yield group
                group, chars = [], 0
            continue
        if group:
            yield group
            group = []
        yield [turn]
    if group:
        yield group


def match_turns(turns: Iterable[Turn], compiled: CompiledLanguage, *, batch_size: int = 256) -> Iterator[Proposal]:
    """Proposals for a stream of turns of one language (nlp.pipe keeps memory flat).

    Consecutive turns are joined into one doc (``BUNDLE_TURNS`` at a time, separated by a
    blank line) when nothing the rules look at depends on where a doc starts or on its
    neighbours: the tokens of each turn are then exactly its own, and a match that would
    reach across from one turn into the next is dropped."""
    turns = list(turns) if not isinstance(turns, list) else turns
    size = BUNDLE_TURNS if compiled.bundles else 1
    groups = list(_bundles(turns, size))
    docs = compiled.nlp.pipe((SEPARATOR.join(t.text for t in group) for group in groups),
                             batch_size=max(1, batch_size // size))
    for group, doc in zip(groups, docs):
        yield from _match_doc(group, doc, compiled)


def _match_doc(group: list[Turn], doc, compiled: CompiledLanguage) -> Iterator[Proposal]:
    """Proposals for the turns of ``group``, joined in ``doc``."""
    from spacy.attrs import IDX, LENGTH
    strings = compiled.nlp.vocab.strings
    spans: list[tuple[str, int, int]] = []          # (rule, first token, end token) in doc
    for matcher in (compiled.lemma_matcher, compiled.lower_matcher):
        if matcher is not None and len(matcher):
            spans += [(strings[match_id], s, e) for match_id, s, e in matcher(doc)]
    spans += compiled.token_hits(doc)
    bases, base = [], 0                             # where each turn starts in the doc's text
    for turn in group:
        bases.append(base)
        base += len(turn.text) + len(SEPARATOR)
    # Token starts and lengths as flat lists (a list per token would cost more than the rest).
    starts = doc.to_array(IDX).tolist() if spans or len(group) > 1 else []
    lengths = doc.to_array(LENGTH).tolist() if spans else []
    if len(group) == 1:
        firsts, ends = [0], [len(doc)]
    else:
        firsts = [bisect_left(starts, b) for b in bases]                    # each turn's first token
        ends = [bisect_left(starts, b + len(t.text)) for b, t in zip(bases, group)]
    by_turn: list[list[tuple[str, int, int]]] = [[] for _ in group]
    for rule_id, s, e in spans:
        i = bisect_right(firsts, s) - 1
        if e <= ends[i]:                            # not reaching over into the next turn
            base = bases[i]
            by_turn[i].append((rule_id, starts[s] - base, starts[e - 1] + lengths[e - 1] - base))
    cache: dict = {}
    for i, turn in enumerate(group):
        text, hits = turn.text, by_turn[i]
        if compiled.regexes:
            hits += compiled.regexes.hits(text)
        if not hits:
            continue
        # Sentence spans once per turn, and only for a turn with hits.
        base = bases[i]
        if "orth" not in cache:
            from spacy.attrs import ORTH
            cache["orth"] = doc.to_array(ORTH).tolist()
        sentences = [(a - base, b - base) for a, b in sentences_of(doc, compiled.language, firsts[i], ends[i],
                                                                    cache["orth"])]
        seen: set = set()
        in_context: dict[str, bool] = {}
        for rule_id, s, e in sorted(hits, key=lambda h: (h[1], h[0], h[2])):   # shortest first, in every process
            rule = compiled.rules[rule_id]
            if rule.roles and turn.role not in rule.roles:
                continue
            if rule_id in compiled.contexts:
                if rule_id not in in_context:
                    in_context[rule_id] = compiled.contexts[rule_id].search(text) is not None
                if not in_context[rule_id]:
                    continue                        # the turn is not about the rule's subject
            a, b = _unit(text, rule, s, e, sentences)
            if a >= b:
                continue                            # an empty unit (a zero-width regex match) codes nothing
            if (rule.code_id, a, b) in seen or _vetoed(doc, text, rule, a, b, cache, base, (firsts[i], ends[i]),
                                                       compiled.lower_texts):
                continue
            seen.add((rule.code_id, a, b))
            yield Proposal(turn.source_id, rule.code_id, turn.start + a, turn.start + b, rule.id, text[s:e])
