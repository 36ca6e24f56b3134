"""The regexes of autocoding rules, matched so that most of a corpus never reaches them.

Every regex of a language is run the way ``finditer`` runs it, on each turn, bounded by a
timeout - but only where it can match. From each pattern's parse tree come the texts every
match contains (a condition per required part: ``\\b(competitors?|rivals?)`` needs
"competitor" or "rival") and, where there are some, the texts every match starts with. One
Aho-Corasick pass over a turn (pyahocorasick) finds all of those texts at once; a regex runs
only on a turn holding one text of each of its conditions, and one with leading texts is
tried only where they occur. The results are exactly ``finditer``'s.
"""
from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

import regex

from workbench.autocode.anchors import leading_texts, parse_tree, required_literals
from workbench.codebook.rules import REGEX_TIMEOUT


def lowered(pattern: str) -> str:
    """A regex for lower-cased text: literal letters lowered, escapes such as \\B, \\W, \\S kept."""
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out.append(pattern[i:i + 2])
            i += 2
            continue
        out.append(ch.lower())
        i += 1
    return "".join(out)


_PLAIN_ESCAPES = set("bBwWsSdDAZntrfv")     # classes, anchors, control characters


def lower_equivalent(pattern: str) -> bool:
    """True when ``lowered(pattern)`` on lower-cased text matches exactly what ``pattern``
    matches case-insensitively on the text itself - plain syntax only: no inline flags, no
    escapes that spell letters (``\\x41``, ``\\p{Lu}``, ``\\N{...}``), no regex-module extensions,
    letters whose lower case is their case fold (not ß, ſ, µ, ı, İ), character ranges that
    lower-case into one range. Anything else runs as written, only slower."""
    i = 0
    while i < len(pattern):
        if pattern[i] == "\\":
            following = pattern[i + 1:i + 2]
            if following.isalnum() and following not in _PLAIN_ESCAPES:
                return False
            i += 2
            continue
        i += 1
    tree = parse_tree(pattern)
    if tree is None or tree.state.flags & ~re.UNICODE:
        return False
    return _plain(tree)


def _plain(items) -> bool:
    for op, arg in items:
        name = str(op)
        if name in ("LITERAL", "NOT_LITERAL"):
            ok = _foldable(chr(arg))
        elif name == "IN":
            ok = all(_foldable(chr(a)) if str(o) == "LITERAL" else _foldable_range(*a) if str(o) == "RANGE" else True
                     for o, a in arg)
        elif name == "SUBPATTERN":
            ok = not arg[1] and not arg[2] and _plain(arg[3])          # no (?i:...), (?-i:...)
        elif name == "BRANCH":
            ok = all(_plain(branch) for branch in arg[1])
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            ok = _plain(arg[2])
        elif name in ("ASSERT", "ASSERT_NOT"):
            ok = _plain(arg[1])
        elif name == "ATOMIC_GROUP":
            ok = _plain(arg)
        else:
            ok = name in ("AT", "ANY", "CATEGORY", "GROUPREF")
        if not ok:
            return False
    return True


def _foldable(ch: str) -> bool:
    """Lower-casing ``ch`` is what case-insensitive matching does with it."""
    low = ch.lower()
    return len(low) == 1 and low == ch.casefold() and ch.upper().lower() == low and low.upper().lower() == low


def _foldable_range(lo: int, hi: int) -> bool:
    """A character range whose lower-cased copy holds exactly the lower case of what it holds."""
    chars = [chr(c) for c in range(lo, hi + 1)]
    cased = [c for c in chars if c.lower() != c.upper()]
    if all(c == c.lower() and _foldable(c) for c in cased):
        return True                               # lower-case letters and uncased characters: unchanged
    return (len(cased) == len(chars) and all(_foldable(c) for c in chars)
            and len({ord(c.lower()) - ord(c) for c in chars}) == 1)   # A-Z: lowered, one range again


@dataclass
class _Regex:
    rule_id: str
    original: regex.Pattern           # IGNORECASE on the text as it is: what a rule means
    lower: regex.Pattern | None       # the same on lower-cased text (twice as fast), if it can be
    needs: tuple[int, ...]            # one mask per condition: the texts one of which must occur
    leading: int                      # mask of the texts every match starts with (0: none known)


class RegexSet:
    """The regexes of one language's rules; :meth:`hits` matches them all on a turn."""

    def __init__(self, shortcuts: bool = True):
        self.shortcuts = shortcuts
        self.regexes: list[_Regex] = []
        self._bits: dict[str, int] = {}
        self._automaton = None
        self.timeouts: dict[str, int] = {}      # rule id -> turns where its regex ran out of time

    def __len__(self) -> int:
        return len(self.regexes)

    def add(self, rule_id: str, pattern: str) -> None:
        """Add one regex of a rule (already checked when the codebook was read)."""
        original = regex.compile(pattern, regex.IGNORECASE | regex.V1)
        low = lowered(pattern)
        try:
            lower = regex.compile(low, regex.V1) if lower_equivalent(pattern) else None
        except regex.error:
            lower = None
        needs, lead = (), None
        if self.shortcuts and lower is not None:
            needs = tuple(self._mask(c) for c in required_literals(low))
            lead = leading_texts(low)
        self.regexes.append(_Regex(rule_id, original, lower, needs, self._mask(lead) if lead else 0))
        self._automaton = None

    def _mask(self, texts) -> int:
        mask = 0
        for text in texts:
            if text not in self._bits:
                self._bits[text] = 1 << len(self._bits)
            mask |= self._bits[text]
        return mask

    def _texts(self):
        """The Aho-Corasick automaton of every condition and leading text, built once."""
        if self._automaton is None and self._bits:
            import ahocorasick
            automaton = ahocorasick.Automaton()
            for text, bit in self._bits.items():
                automaton.add_word(text, (bit, len(text)))
            automaton.make_automaton()
            self._automaton = automaton
        return self._automaton

    def hits(self, text: str) -> list[tuple[str, int, int]]:
        """``(rule id, start, end)`` of every regex match in ``text``, as ``finditer`` finds them.
        A regex that runs past the timeout on this text gives no match here (no hang)."""
        out: list[tuple[str, int, int]] = []
        lower = text.lower()
        if len(lower) != len(text) or lower != text.casefold() or lower.upper().lower() != lower:
            # Lower-casing moves offsets, or a letter folds to more than its lower case (ß, ς),
            # or its upper case is another letter's too (ı, ſ): case-insensitive matching is
            # only what it means on the text as it is.
            for rx in self.regexes:
                self._collect(out, rx.rule_id, lambda rx=rx: rx.original.finditer(text, timeout=REGEX_TIMEOUT))
            return out
        present, starts = 0, {}
        automaton = self._texts()
        if automaton is not None:
            for end, (bit, size) in automaton.iter(lower):
                present |= bit
                starts.setdefault(bit, []).append(end - size + 1)
        for rx in self.regexes:
            if rx.lower is None:
                self._collect(out, rx.rule_id, lambda rx=rx: rx.original.finditer(text, timeout=REGEX_TIMEOUT))
                continue
            for condition in rx.needs:
                if not present & condition:
                    break                         # a text every match needs is not in this turn
            else:
                if rx.leading:
                    where = sorted({s for bit, found in starts.items() if bit & rx.leading for s in found})
                    self._collect(out, rx.rule_id, lambda rx=rx, where=where: _matches_at(rx.lower, lower, where))
                else:
                    self._collect(out, rx.rule_id, lambda rx=rx: rx.lower.finditer(lower, timeout=REGEX_TIMEOUT))
        return out

    def _collect(self, out: list, rule_id: str, matches) -> None:
        try:
            out.extend((rule_id, m.start(), m.end()) for m in matches())
        except TimeoutError:                      # a pathological regex on this turn: no match, no hang,
            self.timeouts[rule_id] = self.timeouts.get(rule_id, 0) + 1     # but the run says so


def _matches_at(pattern: regex.Pattern, text: str, starts: list[int]) -> Iterator[regex.Match]:
    """The matches ``pattern.finditer(text)`` gives when every match starts at one of the
    sorted positions ``starts``: tried there only, left to right, each after the end of the
    last match (as finditer continues). All tries together get ``REGEX_TIMEOUT``, as one
    finditer over the text would: TimeoutError when it is spent."""
    end = 0
    deadline = time.monotonic() + REGEX_TIMEOUT
    for start in starts:
        if start < end:
            continue
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"regex {pattern.pattern!r} ran out of time")
        m = pattern.match(text, start, timeout=left)
        if m is not None:
            yield m
            end = m.end()


def context_pattern(words: list[str]) -> re.Pattern:
    """Words (or phrases) one of which a turn must hold; each matches any word it begins
    ("export" matches exports, exporting), case-insensitively."""
    alternatives = "|".join(sorted((re.escape(w.strip()).replace(r"\ ", r"\s+") for w in words), key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})", re.IGNORECASE)
