"""Recordings whose language changes: an interviewer asking in English and a manager answering
in Portuguese. Whisper decodes in one language, detected once from the first 30 seconds, and
renders speech in another language as a (garbled) translation. Here the language is detected
per stretch of speech and each stretch is transcribed in its own language; a recording
transcribed in one language is checked for stretches that sound like another.

Detection costs an encoder pass per 30-second window whatever the stretch's length (1.2 s on
two cores with the base model), so speech is judged in windows of about 30 seconds: the window
as a whole, its first piece and its last piece (the pieces voice-activity detection finds
between pauses). Where the three agree, the window is in that language; where they do not, every
piece of it is judged. A whole window is not enough on its own: JFK's English followed by ten
seconds of German came out as one confident German window (0.81). A short stretch of another
language in the middle of a window whose ends agree is missed; the job result cannot say so.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from workbench.transcription.audio import SAMPLE_RATE

MIN_SILENCE_MS = 500            # a pause this long separates pieces (turns change on such pauses)
WINDOW_SECONDS = 30.0           # Whisper's window: one detection sees this much
UNSURE = 0.5                    # below this a piece's language is said to be uncertain


@dataclass
class Stretch:
    """Speech in one language: ``[start, end)`` in samples, the language and how sure."""
    start: int
    end: int
    language: str
    probability: float


def speech_pieces(audio: np.ndarray) -> list[tuple[int, int]]:
    """``(start, end)`` samples of speech between pauses of at least :data:`MIN_SILENCE_MS`."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps
    found = get_speech_timestamps(audio, VadOptions(min_silence_duration_ms=MIN_SILENCE_MS, speech_pad_ms=100))
    return [(int(t["start"]), int(t["end"])) for t in found if t["end"] > t["start"]]


def windows(pieces: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """Consecutive pieces grouped into windows of at most :data:`WINDOW_SECONDS` (a longer piece
    is a window of its own)."""
    out: list[list[tuple[int, int]]] = []
    for piece in pieces:
        if out and piece[1] - out[-1][0][0] <= WINDOW_SECONDS * SAMPLE_RATE:
            out[-1].append(piece)
        else:
            out.append([piece])
    return out


def best(probabilities: dict[str, float], allowed: list[str]) -> tuple[str, float]:
    """The most likely language, among ``allowed`` when given (their probabilities renormalised:
    a researcher who says "English and German" is not told it sounded Latin)."""
    if allowed:
        subset = {code: probabilities.get(code, 0.0) for code in allowed}
        total = sum(subset.values())
        if total > 0:
            code = max(subset, key=subset.get)
            return code, subset[code] / total
        probabilities = subset
    code = max(probabilities, key=probabilities.get)
    return code, probabilities[code]


def language_stretches(audio: np.ndarray, detect, allowed: list[str]) -> list[Stretch]:
    """The recording's speech as stretches of one language each. ``detect(audio)`` gives the
    probability of every language for a clip (an engine's detector)."""
    judged: list[Stretch] = []

    def piece(a: int, b: int) -> Stretch:
        return Stretch(a, b, *best(detect(audio[a:b]), allowed))
    for window in windows(speech_pieces(audio)):
        first = piece(*window[0])
        if len(window) == 1:
            judged.append(first)
            continue
        last = piece(*window[-1])
        whole = piece(window[0][0], window[-1][1])
        if first.language == last.language == whole.language:
            judged.append(Stretch(whole.start, whole.end, whole.language,
                                  min(first.probability, last.probability, whole.probability)))
            continue
        judged += [first, *(piece(a, b) for a, b in window[1:-1]), last]     # mixed: every piece on its own
    return merge(smooth(judged))


def smooth(stretches: list[Stretch]) -> list[Stretch]:
    """A piece whose language is uncertain, between two pieces that agree with each other,
    takes theirs (a short "yes" is no evidence of a new language)."""
    out = list(stretches)
    for i in range(1, len(out) - 1):
        before, here, after = out[i - 1], out[i], out[i + 1]
        if here.probability < UNSURE and before.language == after.language != here.language:
            out[i] = Stretch(here.start, here.end, before.language, here.probability)
    return out


def merge(stretches: list[Stretch]) -> list[Stretch]:
    """Neighbouring stretches of one language as one (its probability: the least sure part)."""
    out: list[Stretch] = []
    for s in stretches:
        if out and out[-1].language == s.language:
            last = out[-1]
            out[-1] = Stretch(last.start, s.end, s.language, min(last.probability, s.probability))
        else:
            out.append(s)
    return out


def clock(samples: int) -> str:
    """``m:ss`` (or ``h:mm:ss``) of a sample position."""
    seconds = int(samples / SAMPLE_RATE)
    h, rest = divmod(seconds, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


def describe(stretches: list[Stretch]) -> list[str]:
    """What a job result says about the languages found: where each was spoken and where the
    detection was unsure."""
    if not stretches:
        return []
    seconds: dict[str, float] = {}
    for s in stretches:
        seconds[s.language] = seconds.get(s.language, 0.0) + (s.end - s.start) / SAMPLE_RATE
    notes = []
    if len(seconds) > 1:
        where = "; ".join(f"{s.language} {clock(s.start)}-{clock(s.end)}" for s in stretches[:12])
        notes.append(f"languages: {', '.join(f'{k} {v:.0f} s' for k, v in seconds.items())} ({where}"
                     f"{' …' if len(stretches) > 12 else ''})")
    unsure = [s for s in stretches if s.probability < UNSURE]
    if unsure:
        notes.append("language uncertain at " + ", ".join(
            f"{clock(s.start)}-{clock(s.end)} ({s.language} {s.probability:.2f})" for s in unsure[:8])
            + ("; check those turns" if len(unsure) <= 8 else f" and {len(unsure) - 8} more; check those turns"))
    return notes


def consistency(audio: np.ndarray, detect, language: str, allowed: list[str]) -> list[str]:
    """For a recording transcribed in one ``language``: the windows (of up to three, across the
    speech) that sound like another language, as notes suggesting "languages may change"."""
    spread = windows(speech_pieces(audio))
    if len(spread) < 2:
        # One window: judge its first and last pieces (a short recording that changes language)
        pieces = spread[0] if spread else []
        spread = [[pieces[0]], [pieces[-1]]] if len(pieces) >= 2 else []
    picks = {0, len(spread) // 2, len(spread) - 1} if spread else set()
    notes = []
    for i in sorted(picks):
        start, end = spread[i][0][0], spread[i][-1][1]
        code, p = best(detect(audio[start:end]), allowed)
        if code != language and p >= UNSURE:
            notes.append(f"{clock(start)}-{clock(end)} sounds like {code} ({p:.2f}), but the transcript is in "
                         f"{language}: if the language changes, transcribe again with 'languages may change'")
    return notes
