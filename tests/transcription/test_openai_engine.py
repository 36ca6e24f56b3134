"""The optional openai-whisper engine, run on the packaged CTranslate2 model converted to a
checkpoint (workbench.ct2_to_openai): it loads, it transcribes, and with greedy decoding it
writes the same text as faster-whisper on the same weights."""
from __future__ import annotations

import struct
from pathlib import Path

import pytest

from tests.helpers import wer

whisper = pytest.importorskip(
    "whisper", reason="openai-whisper is not installed (optional engine: CPU torch, then "
                      "numba tiktoken more-itertools tqdm, then openai-whisper --no-deps)")
if not hasattr(whisper, "load_model"):      # another package called "whisper" (graphite's)
    pytest.skip("the installed 'whisper' module is not openai-whisper", allow_module_level=True)

import torch  # noqa: E402  (only importable with the optional engine)

from tests.paths import FIXTURES
from workbench.transcription.ct2_to_openai import ConversionError, checkpoint_for, convert, read_ct2  # noqa: E402
from workbench.transcription.engines import get_engine  # noqa: E402
from workbench.transcription.models import cache_dir, resolve  # noqa: E402
from workbench.transcription.options import Options  # noqa: E402
from workbench.transcription.transcribe import transcribe_file  # noqa: E402

JFK = "And so, my fellow Americans, ask not what your country can do for you, ask what you can do for your country."


def test_packaged_model_converts_to_a_checkpoint_openai_whisper_loads(tmp_path):
    folder = resolve("base")
    out = convert(folder, tmp_path / "base.pt")
    checkpoint = torch.load(out, weights_only=True)
    assert checkpoint["dims"] == dict(n_mels=80, n_audio_ctx=1500, n_audio_state=512, n_audio_head=8,
                                      n_audio_layer=6, n_vocab=51865, n_text_ctx=448, n_text_state=512,
                                      n_text_head=8, n_text_layer=6)
    model = whisper.load_model(str(out), device="cpu")      # strict load_state_dict: every name matches
    assert model.is_multilingual
    # The first rows of the fused self-attention projection are the query.
    ct2 = read_ct2(Path(folder) / "model.bin")
    fused = ct2.weight("encoder/layer_0/self_attention/linear_0/weight")
    assert torch.equal(model.encoder.blocks[0].attn.query.weight.half(), torch.from_numpy(fused[:512]).half())
    assert torch.equal(model.encoder.blocks[0].attn.value.weight.half(), torch.from_numpy(fused[1024:]).half())

    first = checkpoint_for("base")                           # converted once into the cache, then reused
    mtime = first.stat().st_mtime_ns
    assert checkpoint_for("base") == first and first.stat().st_mtime_ns == mtime
    assert first.parent == cache_dir()


def test_converter_refuses_what_it_cannot_read(tmp_path):
    (tmp_path / "model.bin").write_bytes(struct.pack("<I", 99) + b"\0" * 16)
    with pytest.raises(ConversionError, match="binary version 99"):
        convert(tmp_path, tmp_path / "x.pt")
    (tmp_path / "model.bin").write_bytes(Path(resolve("base"), "model.bin").read_bytes()[:4096])
    with pytest.raises(ConversionError, match="does not fit|truncated"):
        convert(tmp_path, tmp_path / "x.pt")
    assert not list(tmp_path.glob("x.pt*"))                  # nothing half-written left behind


def test_openai_whisper_transcribes_jfk_and_detects_english():
    t = transcribe_file(FIXTURES / "jfk.flac", Options(engine="openai-whisper", cpu_threads=2))
    text = " ".join(s.text for s in t.segments)
    assert wer(JFK, text) <= 0.1, text
    assert t.engine == "openai-whisper" and t.language == "en" and t.language_probability > 0.5
    words = [w for s in t.segments for w in s.words]
    assert words and all(a.start <= b.start for a, b in zip(words, words[1:]))
    assert 9.0 < t.segments[-1].end <= 11.5


def test_greedy_decoding_gives_the_same_text_in_both_engines():
    from faster_whisper import WhisperModel

    from workbench.transcription.audio import decode
    audio = decode(FIXTURES / "jfk.flac")
    options = Options(engine="openai-whisper", beam_size=1, vad_filter=False, language="en",
                      word_timestamps=False, batch_size=1, cpu_threads=2)
    segments, language, _ = get_engine("openai-whisper").transcribe(audio, options)
    reference = " ".join(s.text for s in segments)

    fw = WhisperModel(resolve("base"), device="cpu", compute_type="float32", cpu_threads=2)
    fw_segments, info = fw.transcribe(audio, beam_size=1, temperature=0.0, vad_filter=False, language="en",
                                      word_timestamps=False)
    fast = " ".join(s.text.strip() for s in fw_segments)
    assert language == info.language == "en"
    assert fast == reference
    assert wer(JFK, fast) <= 0.1
