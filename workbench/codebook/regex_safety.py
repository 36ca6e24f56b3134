"""Which rule regexes could backtrack catastrophically: read from the pattern's structure, not
from its text, so that ``((a+))+b``, ``(a+){1,1000}b`` and ``(a|aa)*b`` are caught as well as
``(a+)+b``.

The shapes refused are the classic exponential ones: a repeated group holding something
repeated (nested quantifiers), and a repeated group whose alternatives can begin with the same
character (``(a|aa)*``, ``(\\w|_)+``). A possessive quantifier (``a++``) or an atomic group
(``(?>...)``) cannot backtrack into itself and is accepted. Matching still runs under a timeout;
this check is there so a researcher hears about a bad pattern when the codebook is read, not as
missing suggestions later.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import regex

ANY = "any"          # a first character that may be anything (., a class, a negated escape)
_CLASSES = {"d", "w", "s"}


@dataclass
class _Item:
    first: set[str]                     # characters (lower-cased), class escapes (\d) or ANY it can start with
    max_repeat: int | None = 1          # None: unbounded
    min_repeat: int = 1
    repeats_inside: bool = False        # holds an item repeated more than once (a quantifier)
    branches: list[set[str]] = field(default_factory=list)     # for a group: each alternative's first
    last: set[str] | None = None        # what it can end with (a group's; an atom's is its first)
    atomic: bool = False
    quantified_group: bool = False


class _Reader:
    """A reader of the regex syntax just deep enough for the shapes above; ``seen`` is called
    with every quantified item."""

    def __init__(self, pattern: str, seen):
        self.p, self.i, self.seen = pattern, 0, seen

    def peek(self, k: int = 0) -> str:
        # Past the end: a character no test below looks for ("" would be "in" every string).
        return self.p[self.i + k] if self.i + k < len(self.p) else "\x00"

    def sequence(self) -> list[list[_Item]]:
        """Alternatives up to a closing parenthesis (or the end)."""
        branches: list[list[_Item]] = [[]]
        while self.i < len(self.p) and self.peek() != ")":
            c = self.peek()
            if c == "|":
                self.i += 1
                branches.append([])
                continue
            item = self.atom()
            if item is None:
                continue
            self.quantifier(item)
            branches[-1].append(item)
        return branches

    def atom(self) -> _Item | None:
        c = self.peek()
        if c == "\\":
            return self.escape()
        if c == "[":
            self.char_class()
            return _Item({ANY})
        if c == "(":
            return self.group()
        self.i += 1
        if c in "^$":
            return None
        if c == ".":
            return _Item({ANY})
        return _Item({c.lower()})

    def escape(self) -> _Item:
        self.i += 1
        c = self.peek()
        self.i += 1
        if c in "pPNxuUX" and self.peek() == "{":
            while self.i < len(self.p) and self.peek() != "}":
                self.i += 1
            self.i += 1
            return _Item({ANY})
        if c.lower() in _CLASSES:
            return _Item({"\\" + c} if c.islower() else {ANY})
        if c in "bBAZzG":
            return _Item(set(), max_repeat=0, min_repeat=0)     # an anchor: matches no character
        if c.isalnum():
            return _Item({ANY})                         # \x41, \1, \t... : taken as anything
        return _Item({c.lower()})

    def char_class(self) -> None:
        self.i += 1
        depth = 1
        if self.peek() == "^":
            self.i += 1
        if self.peek() == "]":
            self.i += 1
        while self.i < len(self.p) and depth:
            c = self.peek()
            if c == "\\":
                self.i += 2
                continue
            if c == "[":
                depth += 1
            elif c == "]":
                depth -= 1
            self.i += 1

    def group(self) -> _Item | None:
        self.i += 1
        atomic = lookaround = False
        if self.peek() == "?":
            self.i += 1
            c = self.peek()
            if c == "#":                                    # a comment
                while self.i < len(self.p) and self.peek() != ")":
                    self.i += 1
                self.i += 1
                return None
            if c == ">":
                atomic = True
                self.i += 1
            elif c in "=!" or (c == "<" and self.peek(1) in "=!"):
                lookaround = True
                self.i += 2 if c == "<" else 1
            elif c in "P<":
                if c == "P":
                    self.i += 1
                if self.peek() in "<'":
                    close = ">" if self.peek() == "<" else "'"
                    while self.i < len(self.p) and self.peek() != close:
                        self.i += 1
                    self.i += 1
                elif self.peek() in "=>":                    # (?P=name) / (?P>name): a reference
                    while self.i < len(self.p) and self.peek() != ")":
                        self.i += 1
                    self.i += 1
                    return _Item({ANY})
            else:                                           # flags: (?i) or (?i:...)
                while self.i < len(self.p) and self.peek() not in ":)":
                    self.i += 1
                if self.peek() == ")":
                    self.i += 1
                    return None
                self.i += 1
        branches = self.sequence()
        self.i += 1                                         # the closing parenthesis
        if lookaround:
            return None
        firsts = [_first_of(b) for b in branches]
        lasts = [_first_of(b[::-1], last=True) for b in branches]
        inside = any(not it.atomic and (it.max_repeat is None or it.max_repeat > 1 or it.repeats_inside)
                     for b in branches for it in b)
        return _Item(set().union(*firsts) if firsts else set(), repeats_inside=inside,
                     branches=firsts if len(branches) > 1 else [], atomic=atomic, quantified_group=True,
                     last=set().union(*lasts) if lasts else set())

    def quantifier(self, item: _Item) -> None:
        c = self.peek()
        if c in "*+?":
            self.i += 1
            item.max_repeat = 1 if c == "?" else None
            item.min_repeat = 1 if c == "+" else 0
        elif c == "{":
            m = regex.match(r"\{(\d*)(?:(,)(\d*))?\}", self.p[self.i:])
            if not m:
                return
            self.i += m.end()
            low, comma, high = m.group(1), m.group(2), m.group(3)
            item.max_repeat = int(high) if high else (None if comma else int(low or 1))
            item.min_repeat = int(low or 0)
        else:
            return
        if self.peek() == "+":                              # possessive: no backtracking into it
            self.i += 1
            item.atomic = True
        elif self.peek() == "?":                            # lazy: backtracks all the same
            self.i += 1
        self.seen(item)


def _first_of(branch: list[_Item], last: bool = False) -> set[str]:
    """What a branch can start with (its first items up to one that must match a character);
    given reversed with ``last``, what it can end with."""
    out: set[str] = set()
    for item in branch:
        out |= item.last if last and item.last is not None else item.first
        if item.first and item.min_repeat > 0:
            break
    return out


def _overlap(a: set[str], b: set[str]) -> bool:
    if ANY in a or ANY in b:
        return bool(a) and bool(b)
    for x in a:
        for y in b:
            if x == y:
                return True
            if x.startswith("\\") and y.startswith("\\"):
                if {x, y} == {"\\d", "\\w"}:
                    return True
            elif x.startswith("\\") or y.startswith("\\"):
                cls, ch = (x, y) if x.startswith("\\") else (y, x)
                if regex.fullmatch(cls, ch):
                    return True
    return False


def backtracking_problem(pattern: str) -> str | None:
    """Why ``pattern`` could take exponential time, or None when its shape is safe."""
    problems: list[str] = []

    def seen(item: _Item) -> None:
        repeated = item.max_repeat is None or item.max_repeat > 1
        if not (repeated and item.quantified_group and not item.atomic):
            return
        if item.repeats_inside and _overlap(item.first, item.last or item.first):
            # Where one round can end as the next begins, the text splits into rounds in
            # exponentially many ways; "(\w+\s+){0,5}" cannot (a round ends with a space and
            # begins with a word character) and is accepted.
            problems.append("repeats a group that holds a repetition, like (a+)+ or (a+){2,100}")
        elif any(_overlap(a, b) for i, a in enumerate(item.branches) for b in item.branches[i + 1:]):
            problems.append("repeats alternatives that can match the same text, like (a|aa)*")

    reader = _Reader(pattern, seen)
    while reader.i < len(pattern):
        reader.sequence()
        reader.i += 1                       # an unbalanced ")" (the compiler refuses it anyway)
    return problems[0] if problems else None
