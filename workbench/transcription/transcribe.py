"""Transcribing one recording: a stereo file with one speaker per channel gives two speakers
(turns interleaved by time); a mono file gives one turn per sentence for the user to label."""
from __future__ import annotations

from pathlib import Path

from workbench.corpus.parsers.parsed import ParsedSegment, ParsedSource
from workbench.errors import TranscriptionFailed
from workbench.transcription.audio import SAMPLE_RATE, channels_are_separate, check_not_silent, decode, probe
from workbench.transcription.engines import get_engine
from workbench.transcription.options import Options, Progress, Transcript


def transcribe_file(path: str | Path, options: Options | None = None, progress: Progress | None = None) -> Transcript:
    """Transcribe one recording; stereo with one speaker per channel gives two speakers."""
    options = options or Options()
    duration, channels = probe(path)
    if duration > options.max_duration:
        raise TranscriptionFailed(f"is {duration / 60:.0f} minutes long, above the limit of "
                                  f"{options.max_duration / 60:.0f} minutes", file=str(path))
    engine = get_engine(options.engine)
    if channels == 2 and options.split_stereo:
        left, right = decode(path, split_stereo=True, max_seconds=options.max_duration)
        if channels_are_separate(left, right):
            total = (len(left) + len(right)) / SAMPLE_RATE

            def part(done_before: float):
                return (lambda done, _t: progress(done_before + done, total)) if progress else None
            a, lang, prob = engine.transcribe(left, options, part(0.0))
            b, lang_b, prob_b = engine.transcribe(right, options, part(len(left) / SAMPLE_RATE))
            for s in a:
                s.speaker = "Speaker 1 (left)"
            for s in b:
                s.speaker = "Speaker 2 (right)"
            segments = sorted(a + b, key=lambda s: (s.start, s.end))
            if prob_b > prob:
                lang, prob = lang_b, prob_b
            return _finish(path, segments, lang, prob, len(left) / SAMPLE_RATE, engine, options)
        audio = (left + right) / 2
    else:
        audio = decode(path, max_seconds=options.max_duration)
    check_not_silent(audio, path)
    segments, lang, prob = engine.transcribe(audio, options, progress)
    return _finish(path, segments, lang, prob, len(audio) / SAMPLE_RATE, engine, options)


def _finish(path, segments, lang, prob, duration, engine, options) -> Transcript:
    segments = [s for s in segments if s.text]
    if not segments:
        raise TranscriptionFailed(f"has no speech that the model could hear ({duration / 60:.1f} minutes "
                                  "of audio); is it silent?", file=str(path))
    return Transcript(segments, lang, prob, duration, engine.name, options.model or "default")


def to_parsed_source(transcript: Transcript) -> ParsedSource:
    """Turns for the database: consecutive segments of one speaker are one turn."""
    turns: list[ParsedSegment] = []
    for seg in transcript.segments:
        if seg.speaker and turns and turns[-1].speaker == seg.speaker:
            turns[-1].text += " " + seg.text
            turns[-1].t_end = seg.end
        else:
            turns.append(ParsedSegment(seg.text, speaker=seg.speaker, t_start=round(seg.start, 2),
                                       t_end=round(seg.end, 2)))
    parsed = ParsedSource("audio", turns)
    parsed.kind = "transcript"
    parsed.language = transcript.language
    return parsed
