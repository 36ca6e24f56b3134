"""Audio in: probing and decoding recordings with PyAV (no system ffmpeg), and telling whether
a stereo recording has one speaker per channel."""
from __future__ import annotations

import gc
import io
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


class _TooLong(Exception):
    pass


def decode(path: str | Path, *, split_stereo: bool = False, max_seconds: float | None = None):
    """16 kHz float32 mono samples (or ``(left, right)`` with ``split_stereo``).

    With ``max_seconds``, decoding stops as soon as more audio than that has come out: the
    limit holds for what is decoded, not for what the header claims (a first frame lying about
    its bitrate made a "2-hour" file decode to 7 GB of samples).
    """
    import av
    channels = 2 if split_stereo else 1
    limit = None if max_seconds is None else int(max_seconds * SAMPLE_RATE) * channels * 2    # s16 bytes
    resampler = av.audio.resampler.AudioResampler(format="s16", layout="stereo" if split_stereo else "mono",
                                                  rate=SAMPLE_RATE)
    raw = io.BytesIO()

    def keep(frame) -> None:
        for out in resampler.resample(frame):
            raw.write(out.to_ndarray().tobytes())
            if limit is not None and raw.tell() > limit:
                raise _TooLong()
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            fifo = av.audio.fifo.AudioFifo()
            frames = container.decode(audio=0)
            while True:
                try:
                    frame = next(frames)
                except StopIteration:
                    break
                except av.error.InvalidDataError:
                    continue                                # a damaged frame: skipped, as players do
                frame.pts = None                            # resampled in batches; times come from counts
                fifo.write(frame)
                if fifo.samples >= 500_000:
                    keep(fifo.read())
            if fifo.samples:
                keep(fifo.read())
            keep(None)                                      # flush the resampler
    except _TooLong:
        limit_text = f"{max_seconds / 60:.0f} minutes" if max_seconds >= 120 else f"{max_seconds:.0f} seconds"
        raise TranscriptionFailed(f"holds more than the limit of {limit_text} of audio "
                                  "(more than its header says); decoding was stopped there",
                                  file=str(path)) from None
    except Exception as exc:
        raise TranscriptionFailed(f"cannot be decoded ({type(exc).__name__}: {exc})", file=str(path)) from exc
    finally:
        gc.collect()            # PyAV's resampler holds native buffers until collected
    audio = np.frombuffer(raw.getbuffer(), dtype=np.int16).astype(np.float32) / 32768.0
    if split_stereo:
        return audio[0::2], audio[1::2]
    return audio


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


def write_wav(samples: np.ndarray, dst: str | Path) -> None:
    """16 kHz mono samples (floats in [-1, 1]) as a 16-bit WAV file."""
    import wave
    with wave.open(str(dst), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes((np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes())
