"""Whisper engines behind one interface, in a registry (:data:`ENGINES`).

``faster-whisper`` (CTranslate2) is the default engine: the Whisper models, several times
faster on a CPU with int8, voice-activity filtering and word timestamps. ``openai-whisper``
(the reference implementation) is optional and runs the same weights, converted once.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from workbench.errors import TranscriptionFailed, WorkbenchError
from workbench.transcription.audio import SAMPLE_RATE
from workbench.transcription.models import default_model, resolve
from workbench.transcription.options import Options, Progress, Segment, Word

os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


class Engine:
    """One interface for Whisper implementations."""
    name = "engine"

    def transcribe(self, audio: np.ndarray, options: Options, progress: Progress | None = None,
                   offset: float = 0.0) -> tuple[list[Segment], str, float]:
        raise NotImplementedError

    def language_probabilities(self, audio: np.ndarray, options: Options) -> dict[str, float]:
        """The probability of each language for a clip (its first 30 seconds)."""
        raise NotImplementedError


_MODEL_CACHE: dict[tuple, object] = {}


class FasterWhisper(Engine):
    name = "faster-whisper"

    def _model(self, options: Options):
        from faster_whisper import WhisperModel

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

    def language_probabilities(self, audio, options):
        model = self._model(options)
        if not model.model.is_multilingual:
            return {"en": 1.0}
        _, _, probabilities = model.detect_language(np.ascontiguousarray(audio, dtype=np.float32), vad_filter=False)
        return dict(probabilities)

    def transcribe(self, audio, options, progress=None, offset=0.0):
        from faster_whisper import BatchedInferencePipeline
        model = self._model(options)
        if options.language and options.language not in model.supported_languages:
            raise TranscriptionFailed(f"unknown language code {options.language!r}; use a Whisper code "
                                      "such as en, pt, es, de, fr (or leave it empty to detect)")
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

        from workbench.transcription.ct2_to_openai import alignment_heads, checkpoint_for
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

    def language_probabilities(self, audio, options):
        return _language_probabilities(self._model(options), audio)


def _detect_language(model, audio: np.ndarray) -> tuple[str, float]:
    """``(code, probability)`` from the first 30 seconds, the window openai-whisper itself uses
    (its ``transcribe`` detects too, but does not return the probability)."""
    probs = _language_probabilities(model, audio)
    code = max(probs, key=probs.get)
    return code, float(probs[code])


def _language_probabilities(model, audio: np.ndarray) -> dict[str, float]:
    import torch
    import whisper
    if not model.is_multilingual:
        return {"en": 1.0}
    mel = whisper.log_mel_spectrogram(np.ascontiguousarray(audio[:whisper.audio.N_SAMPLES], dtype=np.float32),
                                      model.dims.n_mels, padding=whisper.audio.N_SAMPLES)
    mel = whisper.pad_or_trim(mel, whisper.audio.N_FRAMES).to(model.device)
    with torch.inference_mode():
        _, probs = whisper.detect_language(model, mel)
    return {code: float(p) for code, p in probs.items()}


ENGINES: dict[str, type[Engine]] = {"faster-whisper": FasterWhisper, "openai-whisper": OpenAIWhisper}


def get_engine(name: str) -> Engine:
    """The engine registered under ``name``, or TranscriptionFailed naming the known ones."""
    if name not in ENGINES:
        raise TranscriptionFailed(f"unknown engine {name!r}; use {' or '.join(ENGINES)}")
    return ENGINES[name]()
