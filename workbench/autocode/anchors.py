"""Anchors of token patterns: a word without which a pattern cannot match.

A spaCy ``Matcher`` tries every pattern at every token, so its time grows with patterns times
tokens. Most patterns in a codebook name their words (``{LEMMA: {IN: [share, split]}}``,
``{LOWER: association}``); a pattern can only match in a turn that holds one of the words of
each required token. Picking the most selective such token as the pattern's anchor lets the
matcher skip every turn without it - a necessary condition, so results stay exactly the same.
"""
from __future__ import annotations

import re

from workbench.codebook.rules import token_op

# Token keys whose value a turn's words can be checked against: LOWER and LEMMA directly,
# ORTH/TEXT through their lower-case form (a necessary condition for the exact form).
_LITERAL_KEYS = {"LOWER": False, "LEMMA": False, "ORTH": True, "TEXT": True}
_REGEX_KEYS = {"LOWER", "LEMMA"}
_QUANTIFIER = re.compile(r"^\{(\d*)(?:,(\d*))?\}$")


def _required(token: dict) -> bool:
    """True when the token must occur at least once for the pattern to match."""
    op = token_op(token)
    if op in ("", "+", "1"):
        return True
    if op in ("?", "*", "!"):
        return False
    m = _QUANTIFIER.match(op)
    return bool(m and m.group(1) and int(m.group(1)) >= 1)


def _options(token: dict):
    """``(score, anchor)`` for each way this token can anchor a pattern; lower scores are
    more selective. An anchor is a set of words or a regex (str) a word must match."""
    for key, value in token.items():
        name = str(key).upper()
        if name in _LITERAL_KEYS:
            lower = _LITERAL_KEYS[name]
            if isinstance(value, str):
                words = {value.lower() if lower else value}
            elif isinstance(value, dict) and isinstance(value.get("IN"), list) and value["IN"] \
                    and all(isinstance(v, str) for v in value["IN"]):
                words = {v.lower() if lower else v for v in value["IN"]}
            elif isinstance(value, dict) and isinstance(value.get("REGEX"), str) and name in _REGEX_KEYS \
                    and len(value) == 1:
                yield 50, value["REGEX"]
                continue
            else:
                continue
            yield len(words), words


def required_words(pattern: list[dict], nlp=None) -> list[set[str] | str]:
    """For each token a pattern requires, the words (a set) or the regex (a str) one of which
    must be there for the pattern to match - most selective first. A match holds all of them,
    so a window of text without one of them cannot hold a match. Common words (stop words,
    one or two letters) rank last: they are everywhere."""
    ranked = []
    for token in pattern:
        if not isinstance(token, dict) or not _required(token):
            continue
        best = None
        for score, anchor in _options(token):
            if isinstance(anchor, set):
                score += 100 * common_words(anchor, nlp)
            if best is None or score < best[0]:
                best = (score, anchor)
        if best is not None:
            ranked.append(best)
    ranked.sort(key=lambda pair: pair[0])            # stable: ties keep the pattern's order
    return [anchor for _, anchor in ranked]


def common_words(words: set[str], nlp=None) -> int:
    """How many of ``words`` are common: stop words of the language, or one or two letters."""
    stop = getattr(getattr(nlp, "Defaults", None), "stop_words", set()) if nlp is not None else set()
    return sum(1 for w in words if w.lower() in stop or len(w) <= 2)


def pattern_length(pattern: list[dict]) -> int | None:
    """The most tokens a match of ``pattern`` can span, or None when unbounded (``*``, ``+``)."""
    total = 0
    for token in pattern:
        op = token_op(token)
        if op in ("*", "+"):
            return None
        m = _QUANTIFIER.match(op)
        if m:
            if m.group(2) is None and "," not in op:
                total += int(m.group(1) or 0)
            elif m.group(2):
                total += int(m.group(2))
            else:
                return None                 # {n,}: unbounded
        else:
            total += 1                      # one token ("!" too: it consumes a token)
    return total


def required_literals(pattern: str, most: int = 3) -> list[tuple[str, ...]]:
    """Texts every match of ``pattern`` contains: a list of conditions, each a tuple of
    alternatives one of which must occur (``\\b(competitors?|rivals?)`` needs "competitor" or
    "rival"). Read from the pattern's parse tree: text in optional parts does not count, an
    alternative counts only when each of its branches needs a text. Alternatives shorter than
    three characters are left out (they occur everywhere). The most selective ``most``
    conditions come first; a turn failing one cannot match, so the regex need not run there."""
    tree = parse_tree(pattern)
    if tree is None:
        return []
    try:
        found = [c for c in _conditions(tree) if min(map(len, c)) >= 3]
    except (TypeError, ValueError, IndexError):  # a tree of another shape (see parse_tree): no shortcut
        return []
    found.sort(key=_selectivity)
    return found[:most]


# Syntax of the regex module's version 1 that the standard parser reads differently (nested
# and combined character sets): such patterns get no shortcut.
_V1_SETS = re.compile(r"\[[^\]]*\[|--|&&|\|\||~~")
_ODD_BRACES = re.compile(r"(?<!\\)\{(?![\d,]*\})")  # {e<=1} (fuzzy), { 1} (verbose): not a count


def parse_tree(pattern: str):
    """The standard library's parse tree of ``pattern``, or None when its reading could differ
    from the regex module's (which runs it): version-1 sets, fuzzy or verbose counts in braces."""
    if _V1_SETS.search(pattern) or _ODD_BRACES.search(pattern) or "(?V" in pattern:
        return None
    try:
        # The standard library's own regex parser: a private module of CPython (``re._parser``
        # since 3.11, ``sre_parse`` before), so pinned by a test of the tree's shape
        # (tests/autocode/test_engine.py). Shortcuts only ever skip work: a parser that is
        # missing or reads differently means no shortcut (None here, or a tree the readers
        # below do not understand and treat as "nothing known"), never a wrong match.
        import re._parser as sre_parse
        tree = sre_parse.parse(pattern)
    except Exception:                             # syntax only the regex module knows: no shortcut
        return None
    return None if tree.state.flags & re.VERBOSE else tree      # white space is read differently


def leading_texts(pattern: str, most: int = 64) -> tuple[str, ...] | None:
    """Texts one of which every match of ``pattern`` starts with - ``\\b(competitors?|rivals?)``
    starts with "competitor" or "rival" - or None when there are none of three characters or
    more (or more than ``most``). A match can then only start where one of them occurs, so the
    regex need only be tried there instead of at every position of the text."""
    tree = parse_tree(pattern)
    if tree is None:
        return None
    try:
        texts, _ = _leading(list(tree), [""], most)
    except (TypeError, ValueError, IndexError):  # a tree of another shape (see parse_tree): no shortcut
        return None
    if not texts or min(map(len, texts)) < 3:
        return None
    return tuple(sorted(set(texts)))


def _leading(items, prefixes: list[str], most: int) -> tuple[list[str] | None, bool]:
    """``prefixes`` extended through the parsed ``items`` as far as they are plain text, and
    whether all of them were (so that what follows extends them further)."""
    out = prefixes
    for op, arg in items:
        name = str(op)
        if name in ("AT", "ASSERT", "ASSERT_NOT"):
            continue                              # zero-width: consumes no text
        if name == "LITERAL":
            out = [p + chr(arg) for p in out]
        elif name == "SUBPATTERN":
            out, complete = _leading(arg[-1], out, most)
            if out is None or not complete:
                return out, False
        elif name == "BRANCH":
            grown, complete = [], True
            for branch in arg[1]:
                texts, done = _leading(branch, out, most)
                if texts is None:
                    return None, False
                grown += texts
                complete = complete and done
            if len(grown) > most:
                return None, False
            out = grown
            if not complete:
                return out, False
        else:
            return out, False
    return out, True


def _selectivity(condition: tuple[str, ...]) -> tuple[int, int]:
    """Fewer and longer alternatives are rarer in text."""
    return len(condition), -min(map(len, condition))


def _conditions(items) -> list[tuple[str, ...]]:
    """The conditions (see :func:`required_literals`) of a sequence of parsed regex items."""
    out: list[tuple[str, ...]] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            out.append(("".join(run),))
            run.clear()
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            run.append(chr(arg))
            continue
        flush()
        if name == "SUBPATTERN":
            out.extend(_conditions(arg[-1]))      # a group: its content is required
        elif name in ("MAX_REPEAT", "MIN_REPEAT") and arg[0] >= 1:
            out.extend(_conditions(arg[2]))       # repeated at least once
        elif name == "BRANCH":
            alternatives: list[str] = []
            for branch in arg[1]:
                usable = [c for c in _conditions(branch) if min(map(len, c)) >= 3]
                if not usable:                    # this branch needs no text: no condition
                    alternatives = []
                    break
                alternatives.extend(min(usable, key=_selectivity))
            if alternatives:
                out.append(tuple(dict.fromkeys(alternatives)))
    flush()
    return out
