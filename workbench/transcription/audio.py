"""Audio in: probing and decoding recordings with PyAV (no system ffmpeg), and telling whether
a stereo recording has one speaker per channel."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from workbench.errors import TranscriptionFailed

SAMPLE_RATE = 16_000


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


def check_not_silent(audio: np.ndarray, path) -> None:
    """Fail fast on a silent recording instead of running the model over an hour of nothing."""
    if audio.size == 0 or float(np.abs(audio).max()) < 1e-4:
        raise TranscriptionFailed(f"is silent ({audio.size / SAMPLE_RATE / 60:.1f} minutes without sound)",
                                  file=str(path))
