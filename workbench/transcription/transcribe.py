"""Transcribing one recording: a stereo file with one speaker per channel gives two speakers
(turns interleaved by time); a mono file gives one turn per sentence for the user to label."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from workbench.corpus.parsers.parsed import ParsedSegment, ParsedSource
from workbench.errors import TranscriptionFailed
from workbench.transcription.audio import SAMPLE_RATE, channels_are_separate, check_not_silent, decode, probe
from workbench.transcription.engines import get_engine
from workbench.transcription.languages import UNSURE, Stretch, consistency, describe, language_stretches
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
            a, lang, prob, notes = _transcribe(engine, left, options, part(0.0))
            b, lang_b, prob_b, notes_b = _transcribe(engine, right, options, part(len(left) / SAMPLE_RATE))
            for s in a:
                s.speaker = "Speaker 1 (left)"
            for s in b:
                s.speaker = "Speaker 2 (right)"
            segments = sorted(a + b, key=lambda s: (s.start, s.end))
            if prob_b > prob:
                lang, prob = lang_b, prob_b
            notes = [f"left channel: {n}" for n in notes] + [f"right channel: {n}" for n in notes_b]
            return _finish(path, segments, lang, prob, len(left) / SAMPLE_RATE, engine, options, notes)
        audio = (left + right) / 2
    else:
        audio = decode(path, max_seconds=options.max_duration)
    check_not_silent(audio, path)
    segments, lang, prob, notes = _transcribe(engine, audio, options, progress)
    return _finish(path, segments, lang, prob, len(audio) / SAMPLE_RATE, engine, options, notes)


def _transcribe(engine, audio, options: Options, progress: Progress | None):
    """``(segments, language, probability, notes)`` of one channel: in one language, checked for
    stretches that sound like another; or, when the language may change, stretch by stretch."""
    allowed = list(dict.fromkeys([*options.expected_languages, *([options.language] if options.language else [])]))

    def detect(clip):
        return engine.language_probabilities(clip, options)
    if options.languages_may_change and len(allowed) == 1 and not options.language:
        options = replace(options, language=allowed[0])     # one language named: it is the language
    elif options.languages_may_change and len(allowed) != 1:
        stretches = language_stretches(audio, detect, allowed)
        if stretches:
            return _by_stretch(engine, audio, options, stretches, progress)
    segments, lang, prob = engine.transcribe(audio, options, progress)
    notes = [] if options.language else consistency(audio, detect, lang, allowed)
    if not options.language and prob < UNSURE:
        notes.append(f"the language was detected as {lang} with probability {prob:.2f}; say the language "
                     "when you know it")
    return segments, lang, prob, notes


def _by_stretch(engine, audio, options: Options, stretches: list[Stretch], progress: Progress | None):
    """Each stretch transcribed in its own language, its segments marked with it."""
    total = len(audio) / SAMPLE_RATE
    segments = []
    seconds: dict[str, float] = {}
    for stretch in stretches:
        offset = stretch.start / SAMPLE_RATE

        def part(done: float, _total: float, offset: float = offset) -> None:
            if progress:
                progress(min(offset + done, total), total)
        found, _, _ = engine.transcribe(audio[stretch.start:stretch.end], replace(options, language=stretch.language),
                                        part, offset=offset)
        for seg in found:
            seg.language = stretch.language
        segments.extend(found)
        seconds[stretch.language] = seconds.get(stretch.language, 0.0) + (stretch.end - stretch.start)
    main = max(seconds, key=seconds.get)
    probability = min(s.probability for s in stretches if s.language == main)
    return segments, main, probability, describe(stretches)


def _finish(path, segments, lang, prob, duration, engine, options, notes=()) -> Transcript:
    segments = [s for s in segments if s.text]
    if not segments:
        raise TranscriptionFailed(f"has no speech that the model could hear ({duration / 60:.1f} minutes "
                                  "of audio); is it silent?", file=str(path))
    return Transcript(segments, lang, prob, duration, engine.name, options.model or "default", list(notes))


def to_parsed_source(transcript: Transcript) -> ParsedSource:
    """Turns for the database: consecutive segments of one speaker are one turn."""
    turns: list[ParsedSegment] = []
    for seg in transcript.segments:
        if seg.speaker and turns and turns[-1].speaker == seg.speaker and turns[-1].language == seg.language:
            turns[-1].text += " " + seg.text
            turns[-1].t_end = seg.end
        else:
            turns.append(ParsedSegment(seg.text, speaker=seg.speaker, t_start=round(seg.start, 2),
                                       t_end=round(seg.end, 2), language=seg.language))
    parsed = ParsedSource.from_segments("audio", turns)
    parsed.kind = "transcript"
    parsed.language = transcript.language
    return parsed
