"""Read transcripts and documents into normalised text with segments (pure; no database).

Every format ends as :class:`ParsedSource`: the text (NFC, ``\\n`` line endings) and its
segments - speaker turns with optional times, or pages. Speaker labels and timestamps are
*not* part of the stored text: they live on the segments, so renaming a speaker never moves
a coding (see ARCHITECTURE.md). Turns are separated by a blank line.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InvalidSource
from .safety import MAX_SOURCE_BYTES, check_zip, read_limited

TRANSCRIPT_EXTENSIONS = {".txt", ".docx", ".srt", ".vtt", ".html", ".htm", ".pdf", ".md"}
SEPARATOR = "\n\n"


@dataclass
class ParsedSegment:
    text: str
    speaker: str | None = None
    t_start: float | None = None
    t_end: float | None = None
    page: int | None = None


@dataclass
class ParsedSource:
    """A file read into segments; ``text`` and spans are derived from them."""
    format: str
    segments: list[ParsedSegment]
    kind: str = "transcript"            # or "document"
    language: str | None = None
    spans: list[tuple[int, int]] = field(default_factory=list)
    text: str = ""

    def __post_init__(self):
        parts, spans, pos = [], [], 0
        for i, seg in enumerate(self.segments):
            if i:
                parts.append(SEPARATOR)
                pos += len(SEPARATOR)
            parts.append(seg.text)
            spans.append((pos, pos + len(seg.text)))
            pos += len(seg.text)
        self.text = "".join(parts)
        self.spans = spans
        if not any(s.speaker for s in self.segments) and self.format != "pdf":
            self.kind = "document" if not any(s.t_start is not None for s in self.segments) else self.kind
        if self.format == "pdf":
            self.kind = "document"

    @property
    def speakers(self) -> list[str]:
        """Speaker labels in order of first appearance."""
        return list(dict.fromkeys(s.speaker for s in self.segments if s.speaker))


# -- text decoding and normalisation ------------------------------------------------------

def normalise(text: str) -> str:
    """NFC, ``\\n`` line endings, no trailing spaces at line ends, no BOM."""
    text = text.replace("\ufeff", "").replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", text)
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


def looks_binary(data: bytes) -> int | None:
    """The offset of the first NUL or other binary control byte, or None for text."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None        # UTF-16 with BOM: NUL bytes are expected
    for i, b in enumerate(data[:65536]):
        if b == 0 or (b < 9) or (13 < b < 27 and b != 0x1B):
            return i
    return None


def decode_text(data: bytes, file: str, encoding: str | None = None) -> str:
    """Decode, then refuse NUL characters (binary content; PostgreSQL cannot store them)."""
    text = _decode(data, file, encoding)
    nul = text.find("\x00")
    if nul >= 0:
        raise InvalidSource("holds NUL characters: binary content, not a transcript", file=file, offset=nul)
    return text


def _decode(data: bytes, file: str, encoding: str | None = None) -> str:
    """Decode a text file: UTF-8 (with or without BOM), UTF-16 with BOM, or ``encoding``.

    Anything else is refused with the offset of the first bad byte and a suggested
    encoding: guessing silently would store mangled accents that nobody notices until the
    quotes are in a paper.
    """
    if encoding:
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError) as exc:
            raise InvalidSource(f"cannot be read as {encoding}: {exc}", file=file) from exc
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InvalidSource(f"is not valid UTF-16: {exc.reason}", file=file, offset=exc.start) from exc
    bad = looks_binary(data)
    if bad is not None:
        raise InvalidSource("is a binary file, not text", file=file, offset=bad)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        from charset_normalizer import from_bytes
        best = from_bytes(data).best()
        hint = f"; it looks like {best.encoding} - import it with --encoding {best.encoding}" if best else ""
        raise InvalidSource(f"is not UTF-8 (byte 0x{data[exc.start]:02x}){hint}",
                            file=file, offset=exc.start) from exc


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- speaker turns in plain text ----------------------------------------------------------

_TS = r"[\[(]?(?P<{n}>\d{{1,2}}:\d{{2}}(?::\d{{2}})?(?:[.,]\d{{1,3}})?)[\])]?"
_TS1, _TS2 = _TS.format(n="ts1"), _TS.format(n="ts2")
_BRACKET_LABEL = re.compile(rf"^(?:{_TS1}\s+)?\[(?P<label>[^\]\d:][^\]]{{0,60}})\]\s*:?\s*(?:{_TS2}\s*)?(?P<rest>.*)$")
_COLON_LABEL = re.compile(
    rf"^(?:{_TS1}\s+)?(?P<label>[^\W\d_][\w .'’()\-]{{0,60}}?)\s*(?:{_TS2})?\s*:(?!\d{{2}})\s*(?:[\[(]?(?P<ts3>\d{{1,2}}:\d{{2}}(?::\d{{2}})?)[\])]?\s*)?(?P<rest>.*)$")
_TS_ONLY = re.compile(rf"^{_TS1}\s*(?P<rest>.*)$")

INTERVIEWER_LABELS = re.compile(
    r"^(q|p|i|int|interviewer|interviewers|interviewer \d+|entrevistador(a)?( \d+)?|moderator|"
    r"moderador(a)?|researcher|investigador(a)?|pergunta|question)$", re.IGNORECASE)
_SHORT_LABELS = re.compile(r"^(q|a|p|r|i)$", re.IGNORECASE)


def parse_timestamp(ts: str | None) -> float | None:
    """``hh:mm:ss``, ``mm:ss`` or ``hh:mm:ss.mmm`` (comma or dot) to seconds."""
    if not ts:
        return None
    ts = ts.replace(",", ".")
    parts = ts.split(":")
    seconds = float(parts[-1])
    minutes = int(parts[-2]) if len(parts) >= 2 else 0
    hours = int(parts[-3]) if len(parts) >= 3 else 0
    return hours * 3600 + minutes * 60 + seconds


def guess_role(label: str) -> str | None:
    """``interviewer`` for labels like Q, Interviewer 1, Entrevistadora; None otherwise."""
    return "interviewer" if INTERVIEWER_LABELS.match(label.strip()) else None


_STAGE = {"laughs", "laughter", "laughing", "pause", "inaudible", "crosstalk", "silence", "unclear",
          "risos", "ri", "pausa", "impercetível", "imperceptível", "inaudível", "silêncio", "interrupção",
          "overlapping", "cough", "phone rings", "music", "noise"}


def _match_label(line: str):
    for pattern in (_BRACKET_LABEL, _COLON_LABEL):
        m = pattern.match(line)
        if m:
            label = m.group("label").strip()
            if pattern is _BRACKET_LABEL and (label.casefold() in _STAGE or not label[:1].isupper()):
                continue      # [laughs], [inaudible]: a transcriber's note, not a speaker
            words = label.split()
            if 1 <= len(words) <= 5 and not re.search(r"[.?!,;]$", label) and not label.lower().startswith("http"):
                ts = m.group("ts1") or m.group("ts2") or m.groupdict().get("ts3")
                return label, ts, m.group("rest")
    return None


_PROSE_LEADS = {"note", "nota", "notes", "example", "exemplo", "e.g", "ps", "p.s", "obs", "source",
                "fonte", "remark", "update", "important", "warning", "tip", "re", "subject", "assunto",
                "date", "data", "time", "hora", "location", "local", "duration", "duração"}


def accept_labels(candidates: list, starts_paragraph: list[bool] | None = None) -> set[str]:
    """Which label candidates are speakers (compared case-insensitively).

    A label counts when it recurs, is a Q/A-style or interviewer label, or carries a
    timestamp. Once a text has such speakers, a one-off label that looks like a name
    (at most four capitalised words, not "Note" or "Date") counts too - but only where a
    turn can begin (after a blank line), so "Germany: 40 percent" inside an answer stays text.
    """
    counts: dict[str, int] = {}
    for c in candidates:
        if c:
            counts[c[0].casefold()] = counts.get(c[0].casefold(), 0) + 1
    accepted = {c[0].casefold() for c in candidates if c and (
        counts[c[0].casefold()] >= 2 or c[1] is not None or _SHORT_LABELS.match(c[0]) or guess_role(c[0]))}
    accepted -= {c[0].casefold() for c in candidates if c and c[0].casefold() in _PROSE_LEADS and c[1] is None}
    strong = set(accepted)

    def weak(j: int) -> bool:
        return 0 <= j < len(candidates) and bool(candidates[j]) and candidates[j][0].casefold() not in strong

    if accepted:
        for i, c in enumerate(candidates):
            if not c or c[0].casefold() in accepted or c[0].casefold() in _PROSE_LEADS:
                continue
            if starts_paragraph is not None:
                after_turn = starts_paragraph[i] or (i > 0 and bool(candidates[i - 1])
                                                     and candidates[i - 1][0].casefold() in strong)
                if not after_turn or weak(i - 1) or weak(i + 1):
                    continue      # "Germany: 40%" / "Spain: 20%" in a row is a list, not a dialogue
            words = c[0].split()
            if len(words) <= 4 and all(w[0].isupper() for w in words if w[0].isalpha()):
                accepted.add(c[0].casefold())
    return accepted


def parse_turns(text: str, fmt: str) -> ParsedSource:
    """Split lines into speaker turns: ``Name:``, ``[Name]``, ``Q:``/``A:``, with timestamps.

    A label counts as a speaker when it recurs, is a short Q/A-style label, names an
    interviewer, or has a timestamp; a one-off ``Note:`` in prose stays text.
    """
    lines = normalise(text).split("\n")
    candidates = [_match_label(line) for line in lines]
    starts = [i == 0 or not lines[i - 1].strip() for i in range(len(lines))]
    accepted = accept_labels(candidates, starts)
    spelling: dict[str, str] = {}     # the first spelling of a label names the speaker
    for c in candidates:
        if c and c[0].casefold() in accepted:
            spelling.setdefault(c[0].casefold(), c[0])

    def is_speaker(c) -> bool:
        return c[0].casefold() in accepted

    segments: list[ParsedSegment] = []
    current: ParsedSegment | None = None
    body: list[str] = []

    def close():
        nonlocal current, body
        if current is not None:
            current.text = "\n".join(body).strip("\n")
            current.text = re.sub(r"\n{2,}", "\n", current.text)
            if current.text:
                segments.append(current)
        current, body = None, []

    any_speaker = any(c and is_speaker(c) for c in candidates)
    for line, cand in zip(lines, candidates):
        if cand and is_speaker(cand):
            close()
            label, ts, rest = cand
            current = ParsedSegment("", speaker=spelling[label.casefold()], t_start=parse_timestamp(ts))
            body = [rest.strip()]
            continue
        ts_only = _TS_ONLY.match(line) if any_speaker else None
        if not any_speaker:
            # No speakers: paragraphs (blank-line separated) are the segments.
            if not line.strip():
                close()
                continue
            if current is None:
                current = ParsedSegment("")
            body.append(line.strip())
            continue
        if current is None:
            current = ParsedSegment("", t_start=parse_timestamp(ts_only.group("ts1")) if ts_only else None)
        body.append((ts_only.group("rest") if ts_only else line).strip())
    close()
    for seg, nxt in zip(segments, segments[1:]):
        if seg.t_start is not None and nxt.t_start is not None and nxt.t_start >= seg.t_start:
            seg.t_end = nxt.t_start
    return ParsedSource(fmt, segments)


# -- formats ------------------------------------------------------------------------------

def parse_docx(data: bytes, file: str) -> ParsedSource:
    """Paragraphs of a Word file, then speaker turns as in plain text."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    check_zip(data, file)
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError) as exc:
        raise InvalidSource(f"is not a readable Word document ({exc})", file=file) from exc
    except Exception as exc:   # lxml and zipfile raise a zoo of types on damaged files
        raise InvalidSource(f"is a damaged Word document ({type(exc).__name__}: {exc})", file=file) from exc
    # Body order matters: transcripts are often a table of speaker | text rows.
    from docx.table import Table
    from docx.text.paragraph import Paragraph
    lines: list[str] = []
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(Paragraph(child, document).text)
        elif tag == "tbl":
            for row in Table(child, document).rows:
                cells = [c.text.strip() for c in row.cells]
                cells = [c for i, c in enumerate(cells) if c and c not in cells[:i]]   # merged cells repeat
                if len(cells) >= 2 and len(cells[0].split()) <= 5 and ":" not in cells[0]:
                    lines.append(f"{cells[0]}: {' '.join(cells[1:])}")
                elif cells:
                    lines.append(" ".join(cells))
                lines.append("")
    return parse_turns("\n".join(lines), "docx")


def _strip_tags(text: str) -> str:
    return re.sub(r"</?[a-zA-Z][^>]*>", "", text)


def _cues_to_source(cues: list[tuple[float, float, str | None, str]], fmt: str) -> ParsedSource:
    """Consecutive cues of one speaker become one turn; cues without speakers stay apart."""
    labels = [_match_label(text.split("\n", 1)[0]) for _, _, _, text in cues]
    accepted = accept_labels(labels)
    if sum(1 for lab in labels if lab) * 2 >= len(labels):
        # Most cues open with "Name:": in subtitles that is the speaker, even when said once.
        accepted |= {lab[0].casefold() for lab in labels if lab and lab[0].casefold() not in _PROSE_LEADS}
    spelling = {}
    for lab in labels:
        if lab and lab[0].casefold() in accepted:
            spelling.setdefault(lab[0].casefold(), lab[0])
    segments: list[ParsedSegment] = []
    for (start, end, voice, text), lab in zip(cues, labels):
        speaker = voice
        if speaker is None and lab and lab[0].casefold() in accepted:
            speaker, text = spelling[lab[0].casefold()], lab[2] + text[len(text.split("\n", 1)[0]):]
        text = " ".join(normalise(text).split("\n")).strip()
        if not text:
            continue
        if segments and speaker and segments[-1].speaker == speaker:
            segments[-1].text += " " + text
            segments[-1].t_end = end
        else:
            segments.append(ParsedSegment(text, speaker=speaker, t_start=start, t_end=end))
    return ParsedSource(fmt, segments)


def parse_srt(text: str, file: str) -> ParsedSource:
    """SubRip cues (times; a recurring ``Name:`` at the start of a cue is its speaker)."""
    import srt
    text = normalise(text) + "\n"
    try:
        subs = list(srt.parse(text))
    except srt.SRTParseError as exc:
        line = text.count("\n", 0, exc.expected_start) + 1
        raise InvalidSource("is not a valid SRT file (cue expected here)", file=file, line=line) from exc
    cues = [(s.start.total_seconds(), s.end.total_seconds(), None, _strip_tags(s.content)) for s in subs]
    if not cues:
        raise InvalidSource("holds no subtitle cues", file=file)
    return _cues_to_source(cues, "srt")


def parse_vtt(text: str, file: str) -> ParsedSource:
    """WebVTT cues with ``<v Name>`` voice tags as speakers."""
    import webvtt
    from webvtt.errors import MalformedFileError
    try:
        captions = webvtt.from_buffer(io.StringIO(normalise(text) + "\n"))
    except MalformedFileError as exc:
        raise InvalidSource(f"is not a valid WebVTT file ({exc})", file=file) from exc
    cues = [(parse_timestamp(c.start), parse_timestamp(c.end), c.voice or None, c.text) for c in captions]
    if not cues:
        raise InvalidSource("holds no cues", file=file)
    return _cues_to_source(cues, "vtt")


_NOSCRIBE_TS = re.compile(r"^ts_(\d+)_(\d+)_(.*)$")


def parse_noscribe(data: bytes, file: str) -> ParsedSource:
    """noScribe's HTML: each paragraph is a turn; ``ts_<start ms>_<end ms>_<speaker>`` anchors
    give its times and speaker. Paragraphs without anchors (title, header) are skipped."""
    import lxml.html
    parser = lxml.html.HTMLParser(no_network=True, remove_comments=True, remove_pis=True)
    try:
        # noScribe writes UTF-8; without a <meta charset> lxml would guess Latin-1.
        try:
            markup: str | bytes = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            markup = data
        root = lxml.html.fromstring(markup, parser=parser)
    except Exception as exc:
        raise InvalidSource(f"is not readable HTML ({exc})", file=file) from exc
    segments = []
    for p in root.iter("p"):
        anchors = [(a, _NOSCRIBE_TS.match(a.get("name") or "")) for a in p.iter("a")]
        anchors = [(a, m) for a, m in anchors if m]
        if not anchors:
            continue
        speaker = anchors[0][1].group(3).strip() or None
        text = normalise(p.text_content())
        text = re.sub(r"\s*\[\d{1,2}:\d{2}(?::\d{2})?\]\s*", " ", text)
        if speaker and text.startswith(speaker + ":"):
            text = text[len(speaker) + 1:]
        text = re.sub(r"[ \t]+", " ", text).strip()
        if text:
            segments.append(ParsedSegment(text, speaker=speaker,
                                          t_start=int(anchors[0][1].group(1)) / 1000,
                                          t_end=int(anchors[-1][1].group(2)) / 1000))
    if not segments:
        raise InvalidSource("is HTML without noScribe timestamps (ts_<start>_<end>_<speaker> "
                            "anchors); export the transcript from noScribe as HTML", file=file)
    return ParsedSource("noscribe", segments)


def parse_pdf(data: bytes, file: str) -> ParsedSource:
    """The text layer of a PDF, one segment per page (for literature reviews)."""
    from pypdf import PdfReader
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise InvalidSource("is an encrypted PDF; remove the password first", file=file)
        pages = [page.extract_text() or "" for page in reader.pages]
    except InvalidSource:
        raise
    except Exception as exc:   # pypdf raises many types (incl. AttributeError) on damaged files
        raise InvalidSource(f"is not a readable PDF ({type(exc).__name__}: {exc})", file=file) from exc
    segments = [ParsedSegment(re.sub(r"\n{2,}", "\n", normalise(t)), page=i + 1)
                for i, t in enumerate(pages) if normalise(t)]
    if not segments:
        raise InvalidSource("has no text layer (a scanned PDF? run OCR on it first)", file=file)
    return ParsedSource("pdf", segments)


def parse_bytes(data: bytes, filename: str, *, encoding: str | None = None) -> ParsedSource:
    """Parse a file's bytes by its extension (and content, for HTML)."""
    file = filename
    ext = Path(filename).suffix.lower()
    if not data.strip():
        raise InvalidSource("is empty", file=file)
    if ext not in TRANSCRIPT_EXTENSIONS:
        raise InvalidSource(f"has an unsupported type {ext or '(no extension)'}; the workbench "
                            f"imports {', '.join(sorted(TRANSCRIPT_EXTENSIONS))}", file=file)
    if ext == ".docx":
        parsed = parse_docx(data, file)
    elif ext == ".pdf":
        if not data.startswith(b"%PDF"):
            raise InvalidSource("is not a PDF (no %PDF header)", file=file)
        parsed = parse_pdf(data, file)
    elif ext in (".html", ".htm"):
        parsed = parse_noscribe(data, file)
    else:
        text = decode_text(data, file, encoding)
        if ext == ".srt":
            parsed = parse_srt(text, file)
        elif ext == ".vtt":
            parsed = parse_vtt(text, file)
        else:
            parsed = parse_turns(text, "txt")
    if not parsed.text.strip():
        raise InvalidSource("contains no text", file=file)
    parsed.language = guess_language(parsed.text)
    return parsed


def parse_file(path: str | Path, *, encoding: str | None = None) -> tuple[ParsedSource, bytes]:
    """Read and parse one file; returns the parsed source and the raw bytes (for hashing)."""
    path = Path(path)
    data = read_limited(path, MAX_SOURCE_BYTES)
    return parse_bytes(data, str(path), encoding=encoding), data


# -- language ---------------------------------------------------------------------------

_STOPWORDS = {
    "en": "the and of to is that it in we you they was for with have not but this are",
    "pt": "que de não uma os as para com mas é muito isso também nós eles foi são está",
    "es": "que de no una los las para con pero es muy eso también nosotros ellos fue son está",
    "fr": "que de ne une les des pour avec mais est très cela aussi nous ils été sont",
    "de": "und der die das nicht ist ein eine mit für aber wir sie auch sehr war sind",
}
_STOP_SETS = {lang: set(words.split()) for lang, words in _STOPWORDS.items()}


def guess_language(text: str) -> str | None:
    """A cheap guess (en, pt, es, fr, de) from stop-word counts over the first 5,000 words."""
    words = re.findall(r"\w+", text[:40000].lower())
    if len(words) < 5:
        return None
    scores = {lang: sum(w in stops for w in words) for lang, stops in _STOP_SETS.items()}
    best = max(scores, key=scores.get)
    return best if scores[best] >= max(2, len(words) // 50) else None


def seconds_to_clock(seconds: float | None) -> str:
    """``hh:mm:ss`` for display and citations."""
    if seconds is None:
        return ""
    return str(dt.timedelta(seconds=int(seconds))).rjust(8, "0")
