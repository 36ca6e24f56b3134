"""Local transcription: Whisper engines behind one interface, audio decoding, speakers by channel.

``faster-whisper`` (CTranslate2) is the default engine: the Whisper models, several times
faster on a CPU with int8, voice-activity filtering, word timestamps, and audio decoded by
PyAV (no system ffmpeg). ``openai-whisper`` (the reference implementation) is optional.
A stereo recording with one speaker per channel is transcribed channel by channel and the
turns interleaved by time; mono recordings give one turn per segment for the user to label.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .errors import WorkbenchError
from .sources import ParsedSegment, ParsedSource

SAMPLE_RATE = 16_000
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


class TranscriptionFailed(WorkbenchError):
    """Audio that cannot be transcribed (unreadable, silent, too long, unknown language...)."""


@dataclass
class Options:
    """Transcription settings; the defaults are the measured default (see bench/transcription.py)."""
    model: str = ""                     # "" = the packaged default (multilingual base)
    engine: str = "faster-whisper"
    language: str | None = None         # None = detect
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


@dataclass
class Transcript:
    segments: list[Segment]
    language: str
    language_probability: float
    duration: float
    engine: str
    model: str

    def to_json(self) -> dict:
        return asdict(self)


Progress = Callable[[float, float], None]     # (audio seconds done, total)


# -- audio -----------------------------------------------------------------------------------

def probe(path: str | Path) -> tuple[float, int]:
    """``(duration in seconds, channels)`` of the first audio stream, or TranscriptionFailed."""
    import av
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            streams = [s for s in container.streams if s.type == "audio"]
            if not streams:
                raise TranscriptionFailed("has no audio stream", file=str(path))
            stream = streams[0]
            duration = None
            if stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            elif container.duration is not None:
                duration = container.duration / 1_000_000
            return (duration or 0.0), (stream.codec_context.channels or 1)
    except TranscriptionFailed:
        raise
    except Exception as exc:        # PyAV raises its own error family for every broken file
        raise TranscriptionFailed(f"is not a readable audio file ({type(exc).__name__}: {exc})",
                                  file=str(path)) from exc


def decode(path: str | Path, *, split_stereo: bool = False):
    """16 kHz float32 mono samples (or ``(left, right)`` with ``split_stereo``)."""
    from faster_whisper.audio import decode_audio
    try:
        return decode_audio(str(path), sampling_rate=SAMPLE_RATE, split_stereo=split_stereo)
    except Exception as exc:
        raise TranscriptionFailed(f"cannot be decoded ({type(exc).__name__}: {exc})", file=str(path)) from exc


def channels_are_separate(left: np.ndarray, right: np.ndarray) -> bool:
    """True when the two channels carry different signals (one speaker per microphone)."""
    n = min(len(left), len(right))
    if n < SAMPLE_RATE // 10:
        return False
    a, b = left[:n].astype(np.float64), right[:n].astype(np.float64)
    if a.std() < 1e-6 or b.std() < 1e-6:
        return (a.std() >= 1e-6) != (b.std() >= 1e-6)   # one silent channel: still one speaker each
    return abs(float(np.corrcoef(a, b)[0, 1])) < 0.5


# -- engines ---------------------------------------------------------------------------------

class Engine:
    """One interface for Whisper implementations."""
    name = "engine"

    def transcribe(self, audio: np.ndarray, options: Options, progress: Progress | None = None,
                   offset: float = 0.0) -> tuple[list[Segment], str, float]:
        raise NotImplementedError


_MODEL_CACHE: dict[tuple, object] = {}


class FasterWhisper(Engine):
    name = "faster-whisper"

    def _model(self, options: Options):
        from faster_whisper import WhisperModel

        from .whisper_models import default_model, resolve
        where = resolve(options.model or default_model())
        device = options.device
        if device == "auto":
            try:
                import ctranslate2
                device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
            except Exception:
                device = "cpu"
        compute = options.compute_type if device == "cpu" or options.compute_type != "int8" else "int8_float16"
        key = (where, device, compute, options.cpu_threads)
        if key not in _MODEL_CACHE:
            try:
                _MODEL_CACHE[key] = WhisperModel(where, device=device, compute_type=compute,
                                                 cpu_threads=options.cpu_threads, local_files_only=Path(where).is_dir())
            except Exception as exc:
                raise TranscriptionFailed(f"model {options.model or where!r} cannot be loaded ({exc})") from exc
        return _MODEL_CACHE[key]

    def transcribe(self, audio, options, progress=None, offset=0.0):
        from faster_whisper import BatchedInferencePipeline
        from faster_whisper.tokenizer import _LANGUAGE_CODES
        if options.language and options.language not in _LANGUAGE_CODES:
            raise TranscriptionFailed(f"unknown language code {options.language!r}; use a Whisper code "
                                      "such as en, pt, es, de, fr (or leave it empty to detect)")
        model = self._model(options)
        language, probability = options.language, None
        if options.beam_size is None and language is None:
            # The beam depends on the language: detect it here (as the pipeline would on the first
            # 30 s of speech) and hand it on, so it is not detected twice.
            language, probability, _ = model.detect_language(audio, vad_filter=options.vad_filter)
        kwargs = dict(language=language, beam_size=beam_for(options, language), vad_filter=options.vad_filter,
                      word_timestamps=options.word_timestamps, initial_prompt=options.initial_prompt or None)
        batched = options.pipeline == "batched"
        if batched:
            runner = BatchedInferencePipeline(model=model)
            segments, info = runner.transcribe(audio, batch_size=max(1, options.batch_size), **kwargs)
        else:
            segments, info = model.transcribe(audio, **kwargs)
        total = len(audio) / SAMPLE_RATE
        out = []
        for seg in segments:        # a generator: decoding happens while we iterate
            words = [Word(float(w.start) + offset, float(w.end) + offset, w.word) for w in (seg.words or [])]
            whole = Segment(float(seg.start) + offset, float(seg.end) + offset, seg.text.strip(), words=words)
            # Batched inference returns ~30 s chunks; sentences make better turns and citations.
            out.extend(split_sentences(whole) if batched else [whole])
            if progress:
                progress(min(float(seg.end), total), total)
        return out, info.language, float(probability if probability is not None else info.language_probability)


def beam_for(options: Options, language: str | None) -> int:
    """The beam size to decode with: the option, or by language when it is None (see Options)."""
    if options.beam_size is not None:
        return max(1, options.beam_size)
    return 1 if language == "en" else 5


def split_sentences(segment: Segment) -> list[Segment]:
    """Cut a long segment after words that end a sentence, keeping word times."""
    if not segment.words:
        return [segment]
    out, current = [], []
    for word in segment.words:
        current.append(word)
        if word.word.strip().endswith((".", "?", "!", "…")):
            out.append(current)
            current = []
    if current:
        out.append(current)
    return [Segment(ws[0].start, ws[-1].end, "".join(w.word for w in ws).strip(), segment.speaker, ws)
            for ws in out if "".join(w.word for w in ws).strip()]


class OpenAIWhisper(Engine):
    """The reference implementation (optional: needs torch), run on the same weights as the
    default engine: the CTranslate2 model is converted once into an openai-whisper checkpoint
    (``workbench.ct2_to_openai``). Audio arrives already decoded by PyAV, so no ffmpeg is needed.
    It has no voice-activity filter and no batching: ``vad_filter`` and ``batch_size`` are ignored."""
    name = "openai-whisper"

    def _model(self, options: Options):
        import whisper

        from .ct2_to_openai import alignment_heads, checkpoint_for
        from .whisper_models import default_model, resolve
        name = options.model or default_model()
        try:
            checkpoint = checkpoint_for(name)
        except WorkbenchError:
            raise
        except Exception as exc:
            raise TranscriptionFailed(f"model {name!r} cannot be converted for openai-whisper ({exc})") from exc
        key = ("openai", str(checkpoint))
        if key not in _MODEL_CACHE:
            try:
                model = whisper.load_model(str(checkpoint), device="cpu")
            except Exception as exc:
                raise TranscriptionFailed(f"openai-whisper cannot load {name!r} ({exc})") from exc
            # load_model only knows the word-timing heads of OpenAI's named downloads; take this
            # model's own from its config, as faster-whisper does.
            heads = alignment_heads(resolve(name), model.dims.n_text_layer, model.dims.n_text_head)
            if heads is not None:
                model.set_alignment_heads(heads)
            _MODEL_CACHE[key] = model
        return _MODEL_CACHE[key]

    def transcribe(self, audio, options, progress=None, offset=0.0):
        try:
            import torch
            from whisper.tokenizer import LANGUAGES
        except ImportError as exc:
            raise TranscriptionFailed("engine openai-whisper is not installed (install the CPU torch wheel, "
                                      "then numba tiktoken more-itertools tqdm, then openai-whisper with "
                                      "--no-deps; see scripts/test.sh)") from exc
        if options.language and options.language not in LANGUAGES:
            raise TranscriptionFailed(f"unknown language code {options.language!r}; use a Whisper code "
                                      "such as en, pt, es, de, fr (or leave it empty to detect)")
        if options.cpu_threads > 0:
            torch.set_num_threads(options.cpu_threads)
        model = self._model(options)
        audio = np.ascontiguousarray(audio, dtype=np.float32)
        language, probability = options.language, 1.0
        if language is None:
            language, probability = _detect_language(model, audio)
        # Beam 1 means plain greedy decoding: openai-whisper's beam search with one beam is not
        # the same search, and its temperature fallback would re-sample; both are off here.
        beam = beam_for(options, language)
        decoding = {"beam_size": None, "temperature": 0.0} if beam <= 1 else {"beam_size": beam}
        with torch.inference_mode():
            result = model.transcribe(
                audio, language=language, fp16=False, verbose=None, word_timestamps=options.word_timestamps,
                initial_prompt=options.initial_prompt or None, **decoding)
        total = len(audio) / SAMPLE_RATE
        out = []
        for seg in result["segments"]:
            words = [Word(float(w["start"]) + offset, float(w["end"]) + offset, w["word"])
                     for w in seg.get("words", [])]
            out.append(Segment(float(seg["start"]) + offset, float(seg["end"]) + offset, seg["text"].strip(),
                               words=words))
            if progress:
                progress(min(float(seg["end"]), total), total)
        return out, result.get("language") or language, probability


def _detect_language(model, audio: np.ndarray) -> tuple[str, float]:
    """``(code, probability)`` from the first 30 seconds, the window openai-whisper itself uses
    (its ``transcribe`` detects too, but does not return the probability)."""
    import whisper
    if not model.is_multilingual:
        return "en", 1.0
    mel = whisper.log_mel_spectrogram(audio[:whisper.audio.N_SAMPLES], model.dims.n_mels,
                                      padding=whisper.audio.N_SAMPLES)
    mel = whisper.pad_or_trim(mel, whisper.audio.N_FRAMES).to(model.device)
    _, probs = whisper.detect_language(model, mel)
    code = max(probs, key=probs.get)
    return code, float(probs[code])


ENGINES: dict[str, type[Engine]] = {"faster-whisper": FasterWhisper, "openai-whisper": OpenAIWhisper}


def get_engine(name: str) -> Engine:
    if name not in ENGINES:
        raise TranscriptionFailed(f"unknown engine {name!r}; use {' or '.join(ENGINES)}")
    return ENGINES[name]()


# -- the whole file --------------------------------------------------------------------------

def transcribe_file(path: str | Path, options: Options | None = None, progress: Progress | None = None) -> Transcript:
    """Transcribe one recording; stereo with one speaker per channel gives two speakers."""
    options = options or Options()
    duration, channels = probe(path)
    if duration > options.max_duration:
        raise TranscriptionFailed(f"is {duration / 60:.0f} minutes long, above the limit of "
                                  f"{options.max_duration / 60:.0f} minutes", file=str(path))
    engine = get_engine(options.engine)
    if channels == 2 and options.split_stereo:
        left, right = decode(path, split_stereo=True)
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
        audio = decode(path)
    _check_not_silent(audio, path)
    segments, lang, prob = engine.transcribe(audio, options, progress)
    return _finish(path, segments, lang, prob, len(audio) / SAMPLE_RATE, engine, options)


def _check_not_silent(audio: np.ndarray, path) -> None:
    """Fail fast on a silent recording instead of running the model over an hour of nothing."""
    if audio.size == 0 or float(np.abs(audio).max()) < 1e-4:
        raise TranscriptionFailed(f"is silent ({audio.size / SAMPLE_RATE / 60:.1f} minutes without sound)",
                                  file=str(path))


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
