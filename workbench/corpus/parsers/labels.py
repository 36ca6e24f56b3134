"""The grammar of speaker labels in typed transcripts: ``Name:``, ``[Name]``, ``Q:``/``A:``,
with optional timestamps, and which candidates are really speakers (not ``Note:`` in prose)."""
from __future__ import annotations

import re
from array import array

_TS = r"[\[(]?(?P<{n}>\d{{1,2}}:\d{{2}}(?::\d{{2}})?(?:[.,]\d{{1,3}})?)[\])]?"

_TS1, _TS2 = _TS.format(n="ts1"), _TS.format(n="ts2")

_BRACKET_LABEL = re.compile(rf"^(?:{_TS1}\s+)?\[(?P<label>[^\]\d:][^\]]{{0,60}})\]\s*:?\s*(?:{_TS2}\s*)?(?P<rest>.*)$")

# A colon label is read in two linear steps, never by one pattern over the whole line: the
# label's end is the first colon not followed by two digits (so "10:30" stays a time), and the
# text before it, with its whitespace runs collapsed, must be a label. One pattern with
# "label \s* (time)? \s* :" backtracked quadratically over long runs of spaces (88 s for one
# line of 40,000).
_LABEL_END = re.compile(r":(?!\d{2})")
_COLON_HEAD = re.compile(rf"(?:{_TS1} )?(?P<label>[^\W\d_][\w .'’()\-]{{0,60}}?) ?(?:{_TS2})?")
_AFTER_COLON = re.compile(r"\s*+(?:[\[(]?(?P<ts3>\d{1,2}:\d{2}(?::\d{2})?)[\])]?\s*+)?")
_HEAD_CHARS = 200     # a label with its timestamps is far shorter; beyond this a colon is prose


_MAX_INDENT = 4       # " Interviewee: No." is a turn; a deeper indent is a quoted or listed block


def _indent(line: str) -> int:
    """How far a label may start into the line: its leading spaces and tabs, when few."""
    n = len(line) - len(line.lstrip(" \t"))
    return n if n <= _MAX_INDENT else -1


def _colon_label(line: str):
    """(label, timestamp, where the rest of the line starts) for ``Name [time]: text``, or None."""
    lead = _indent(line)
    if lead < 0:
        return None
    end = _LABEL_END.search(line, lead, lead + _HEAD_CHARS)
    if end is None:
        return None
    m = _COLON_HEAD.fullmatch(" ".join(line[lead:end.start()].split()))
    if m is None:
        return None
    after = _AFTER_COLON.match(line, end.end())
    return m.group("label"), m.group("ts1") or m.group("ts2") or after.group("ts3"), after.end()


# Markdown exports: **Name:** text, **Name**: text.
_BOLD_LABEL = re.compile(r"[ \t]{0,4}\*\*(?P<label>[^*\n:]{1,60}?)(?::\*\*|\*\*:)[ \t]*")
# Otter and similar exports: the label and its time alone on a line, the words below.
_HEADING_LABEL = re.compile(r"(?P<label>[^\W\d_][\w .'’-]{0,60}?)[ \t]+"
                            r"(?P<ts>\d{1,2}:\d{2}(?::\d{2})?)[ \t]*")


TS_ONLY = re.compile(rf"^{_TS1}\s*(?P<rest>.*)$")

# Labels that say the role. Numbers may follow with or without a space (Interviewer1, P 2);
# "P"/"R" alone are Portuguese and Spanish transcripts' Pergunta/Resposta, "P1" a participant.
INTERVIEWER_LABELS = re.compile(
    r"^(q|p|pergunta|question)$|^(i|int|interviewer|interviewers|moderator|moderador(a)?|facilitator|"
    r"researcher|entrevistador(a)?|investigador(a)?)( ?\d{1,2})?$", re.IGNORECASE)
INTERVIEWEE_LABELS = re.compile(
    r"^(a|r|interviewee|respondent|participant|informant|answer|resposta|entrevistad[oa]|"
    r"inquirid[oa]|participante)( ?\d{1,3})?$|^(p|r) ?\d{1,3}$", re.IGNORECASE)

_SHORT_LABELS = re.compile(r"^(q|a|p|r|i)$", re.IGNORECASE)


def guess_role(label: str) -> str | None:
    """``interviewer`` for labels like Q, Interviewer1, Moderator, Entrevistadora; ``interviewee``
    for A, R, Respondent, Interviewee 2, P1, Participant 3, Entrevistado; None for names."""
    label = " ".join(label.split())
    if INTERVIEWER_LABELS.match(label):
        return "interviewer"
    if INTERVIEWEE_LABELS.match(label):
        return "interviewee"
    return None


_STAGE = {"laughs", "laughter", "laughing", "pause", "inaudible", "crosstalk", "silence", "unclear",
          "risos", "ri", "pausa", "impercetível", "imperceptível", "inaudível", "silêncio", "interrupção",
          "overlapping", "cough", "phone rings", "music", "noise"}


def label_parts(line: str):
    """(label, timestamp or None, offset where the rest of the line starts) when the line opens
    with a speaker label, else None. The offset, not a copy of the rest: a long transcript holds
    one of these per line."""
    m = _BRACKET_LABEL.match(line)
    found = None
    if m:
        label = m.group("label").strip()
        if not (label.casefold() in _STAGE or not label[:1].isupper()):    # [laughs] is a note
            found = (label, m.group("ts1") or m.group("ts2"), m.start("rest"))
    if found is None and "**" in line[:8]:
        bold = _BOLD_LABEL.match(line)
        found = (bold.group("label"), None, bold.end()) if bold else None
    if found is None and len(line) < 80:
        heading = _HEADING_LABEL.fullmatch(line)
        found = (heading.group("label"), heading.group("ts"), len(line)) if heading else None
    found = found or _colon_label(line)
    if found:
        label = found[0].strip()
        words = label.split()
        if 1 <= len(words) <= 5 and not label.endswith((".", "?", "!", ",", ";")) \
                and not label.lower().startswith("http"):
            return label, found[1], found[2]
    return None


def match_label(line: str):
    """(label, timestamp or None, rest of the line) when the line opens with a speaker label."""
    parts = label_parts(line)
    return None if parts is None else (parts[0], parts[1], line[parts[2]:])


PROSE_LEADS = {"note", "nota", "notes", "example", "exemplo", "e.g", "ps", "p.s", "obs", "source",
                "fonte", "remark", "update", "important", "warning", "tip", "re", "subject", "assunto",
                "date", "data", "time", "hora", "location", "local", "duration", "duração"}


class LabelColumns:
    """The label candidates of a text's lines, a few machine words per line: a tuple per line
    cost more than the lines of a transcript of short turns. Labels are numbered by their
    case-folded form; ``names`` keeps each one's first spelling (which names the speaker)."""

    def __init__(self):
        self.ids = array("i")               # per line: the label's number, -1 for none
        self.rest = array("i")              # per line: where the words after the label start
        self.starts = bytearray()           # per line: 1 where a turn can begin (after a blank line)
        self.times: dict[int, str] = {}     # line -> the label's timestamp
        self.names: list[str] = []
        self.counts: list[int] = []
        self.first_line: list[int] = []
        self.timed: set[int] = set()        # labels seen with a timestamp
        self.untimed: set[int] = set()      # ... and without one
        self._number: dict[str, int] = {}

    def add(self, candidate, starts_paragraph: bool = True) -> None:
        """Append the next line's candidate (``label_parts``'s answer, or None)."""
        line = len(self.ids)
        self.starts.append(starts_paragraph)
        if candidate is None:
            self.ids.append(-1)
            self.rest.append(0)
            return
        label, ts, rest = candidate
        key = label.casefold()
        k = self._number.get(key)
        if k is None:
            k = self._number[key] = len(self.names)
            self.names.append(label)
            self.counts.append(0)
            self.first_line.append(line)
        self.counts[k] += 1
        self.ids.append(k)
        self.rest.append(rest)
        if ts is None:
            self.untimed.add(k)
        else:
            self.times[line] = ts
            self.timed.add(k)


def accept_numbers(cols: LabelColumns, use_paragraphs: bool = True) -> set[int]:
    """Which labels (by number) are speakers; see :func:`accept_labels`."""
    names, ids = cols.names, cols.ids
    strong = {k for k, name in enumerate(names) if cols.counts[k] >= 2 or k in cols.timed
              or _SHORT_LABELS.match(name) or guess_role(name)}
    strong -= {k for k in cols.untimed if names[k].casefold() in PROSE_LEADS}
    accepted = set(strong)

    def weak(j: int) -> bool:
        return 0 <= j < len(ids) and ids[j] >= 0 and ids[j] not in strong

    if not accepted:
        return accepted
    # A label outside ``strong`` was seen once (twice makes it strong): look only at its line.
    for k, name in enumerate(names):
        if k in accepted or name.casefold() in PROSE_LEADS:
            continue
        i = cols.first_line[k]
        if use_paragraphs:
            after_turn = cols.starts[i] or (i > 0 and ids[i - 1] in strong)
            if not after_turn or weak(i - 1) or weak(i + 1):
                continue      # "Germany: 40%" / "Spain: 20%" in a row is a list, not a dialogue
        words = name.split()
        if len(words) <= 4 and all(w[0].isupper() for w in words if w[0].isalpha()):
            accepted.add(k)
    return accepted


def accept_labels(candidates: list, starts_paragraph: list[bool] | None = None) -> set[str]:
    """Which label candidates are speakers (compared case-insensitively).

    A label counts when it recurs, is a Q/A-style or interviewer label, or carries a
    timestamp. Once a text has such speakers, a one-off label that looks like a name
    (at most four capitalised words, not "Note" or "Date") counts too - but only where a
    turn can begin (after a blank line), so "Germany: 40 percent" inside an answer stays text.
    """
    cols = LabelColumns()
    for i, c in enumerate(candidates):
        cols.add(c and (c[0], c[1], 0), True if starts_paragraph is None else starts_paragraph[i])
    return {cols.names[k].casefold() for k in accept_numbers(cols, starts_paragraph is not None)}
