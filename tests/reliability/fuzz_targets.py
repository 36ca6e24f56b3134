"""Property-based fuzzing of the parsers (Hypothesis), run by test_fuzz.py in a child process
with an address-space limit, each example under a time limit: a blow-up fails the test, never
the machine.

Each target states what must hold for every input: the parser returns or refuses with one of our
errors (never another exception), and nothing is dropped silently - every word of the input is
in what it returns.
"""
from __future__ import annotations

import functools
import re
import signal
import sys
import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.errors import WorkbenchError

PER_EXAMPLE_SECONDS = 60      # far beyond any linear parse of these few kilobytes
FUZZ = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))
WORD = re.compile(r"[^\W\d_]+")


class TookTooLong(Exception):
    pass


def _alarm(signum, frame):
    raise TookTooLong(f"one example ran past {PER_EXAMPLE_SECONDS} s")


def bounded(fn):
    """Run ``fn`` under the per-example time limit."""
    @functools.wraps(fn)
    def run(*args, **kwargs):
        signal.signal(signal.SIGALRM, _alarm)
        signal.alarm(PER_EXAMPLE_SECONDS)
        try:
            return fn(*args, **kwargs)
        finally:
            signal.alarm(0)
    return run


def words(text: str) -> set[str]:
    return {w.casefold() for w in WORD.findall(unicodedata.normalize("NFC", text))}


# -- typed transcripts ------------------------------------------------------------------------
PIECES = ["Anna", "Interviewer", "Q", "A", "Dr. Silva", "[Anna]", "[laughs]", "00:01:02", "[00:01]",
          "(00:01:02)", "10:30", " ", "   ", "\t", ":", ": ", "\n", "\n\n", "Note", "Germany", "José", "-",
          "’s", "x", "?", ".", "**", "P1", "R"]
line_text = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=12)), max_size=12).map("".join)
transcripts = st.lists(line_text, max_size=40).map("\n".join)


@FUZZ
@given(transcripts)
@bounded
def transcript(text: str) -> None:
    from workbench.corpus.parsers import plain_text
    try:
        parsed = plain_text.parse(text.encode("utf-8", "surrogatepass"), "fuzz.txt")
    except WorkbenchError:
        return
    assert all(seg.text for seg in parsed.segments), "an empty turn was returned"
    out = set().union(*(words(seg.text) | words(seg.speaker or "") for seg in parsed.segments)) \
        if parsed.segments else set()
    lost = words(text) - out
    assert not lost, f"words lost: {sorted(lost)[:5]}"


# -- subtitles --------------------------------------------------------------------------------
cue = st.tuples(st.integers(-5_000, 4_000_000), st.integers(-5_000, 4_000_000),
                st.sampled_from(["", "Anna: ", "Bob: ", "<i>", "Note: "]), st.text(
                    st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30))


def _clock(ms: int, sep: str) -> str:
    sign, ms = ("-", -ms) if ms < 0 else ("", ms)
    return f"{sign}{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}{sep}{ms % 1000:03d}"


@FUZZ
@given(st.lists(cue, min_size=1, max_size=25), st.booleans())
@bounded
def subtitles(cues, vtt: bool) -> None:
    from workbench.corpus.parsers import subtitles as parser
    sep = "." if vtt else ","
    texts = [lead + " ".join(body.split()) or "x" for _, _, lead, body in cues]
    texts = [t if t.strip() else "x" for t in texts]
    blocks = [f"{'' if vtt else str(i) + chr(10)}{_clock(a, sep)} --> {_clock(b, sep)}\n{t}"
              for i, ((a, b, _, _), t) in enumerate(zip(cues, texts), start=1)]
    data = (("WEBVTT\n\n" if vtt else "") + "\n\n".join(blocks) + "\n").encode()
    bad_time = any(a < 0 or b < 0 or b < a for a, b, _, _ in cues)
    try:
        parsed = parser.parse(data, "fuzz.vtt" if vtt else "fuzz.srt")
    except WorkbenchError:
        return
    assert not bad_time, "a cue with a negative or reversed time was accepted"
    out = set().union(*(words(s.text) | words(s.speaker or "") for s in parsed.segments))
    expected = set().union(*(words(re.sub(r"</?[a-zA-Z][^<>]*>", "", t)) for t in texts))
    lost = expected - out
    assert not lost, f"words lost: {sorted(lost)[:5]}"


# -- codebooks --------------------------------------------------------------------------------
@st.composite
def parent_lists(draw):
    n = draw(st.integers(1, 8))
    return draw(st.lists(st.one_of(st.none(), st.none(), st.integers(0, n - 1), st.just("Nowhere")),
                         min_size=n, max_size=n))


@FUZZ
@given(parent_lists())
@bounded
def codebook(parents) -> None:
    """Codes C0..Cn, each maybe naming a parent: refused with a reason, or every code kept."""
    from workbench.codebook.format import check_text
    lines = ["workbench_codebook: 1", "name: Fuzz", "codes:"]
    for i, p in enumerate(parents):
        lines += [f"  - name: C{i}", "    definition: d"]
        if p is not None:
            lines.append(f"    parent: {'C' + str(p) if isinstance(p, int) else p}")
    spec, problems = check_text("\n".join(lines) + "\n", "fuzz.yaml")
    if problems:
        assert spec is None and all(p.line for p in problems), [str(p) for p in problems]
        return
    kept = [c.name for c, *_ in _walk(spec.codes)]
    assert sorted(kept) == sorted(f"C{i}" for i in range(len(parents))), kept


def _walk(codes, depth=0):
    for c in codes:
        yield c, depth
        yield from _walk(c.children, depth + 1)


TARGETS = {"transcript": transcript, "subtitles": subtitles, "codebook": codebook}

if __name__ == "__main__":
    TARGETS[sys.argv[1]]()
    print("ok")
