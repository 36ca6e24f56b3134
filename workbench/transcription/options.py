"""Transcription settings and what a transcription returns."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field


@dataclass
class Options:
    """Transcription settings; the defaults are the measured default (see bench/transcription.py)."""
    model: str = ""                     # "" = the packaged default (multilingual base)
    engine: str = "faster-whisper"
    language: str | None = None         # None = detect
    # The language may change during the recording (an interviewer's English, a manager's
    # Portuguese): detected per stretch of speech, each stretch transcribed in its own language
    # (workbench.transcription.languages). expected_languages narrows detection to those named.
    languages_may_change: bool = False
    expected_languages: list[str] = field(default_factory=list)
    # None = chosen by language, as bench/transcription.py measured it: greedy (beam 1) for
    # English - 6.8x openai-whisper's speed on the same weights, with a lower WER than its beam 5 -
    # and beam 5 for other languages, where greedy decoding loses much more (Portuguese clip: WER
    # 0.61 greedy, 0.35 beam 5). The temperature fallback re-decodes a chunk that comes out
    # repetitive or improbable either way. A number forces that beam size.
    beam_size: int | None = None
    compute_type: str = "int8"          # int8 / float32 on CPU; float16 on CUDA
    device: str = "auto"
    vad_filter: bool = True
    word_timestamps: bool = True
    initial_prompt: str | None = None   # glossary: names and jargon the model should expect
    # faster-whisper's batched pipeline (VAD chunks) one chunk at a time: the memory of sequential
    # decoding; batch_size 8 is faster at twice the memory; "sequential" is the classic decoder.
    pipeline: str = "batched"           # batched | sequential
    batch_size: int = 1
    cpu_threads: int = 0                # 0 = all cores
    split_stereo: bool = True           # stereo with one speaker per channel -> two speakers
    max_duration: float = 4 * 3600      # seconds; longer recordings are refused


@dataclass
class Word:
    start: float
    end: float
    word: str


@dataclass
class Segment:
    start: float
    end: float
    text: str
    speaker: str | None = None
    words: list[Word] = field(default_factory=list)
    language: str | None = None         # set when the recording's language may change


@dataclass
class Transcript:
    segments: list[Segment]
    language: str
    language_probability: float
    duration: float
    engine: str
    model: str
    notes: list[str] = field(default_factory=list)      # what the job result says about languages

    def to_json(self) -> dict:
        return asdict(self)


Progress = Callable[[float, float], None]     # (audio seconds done, total)
