"""Turn a CTranslate2 Whisper model folder into an openai-whisper checkpoint.

The packaged models are CTranslate2 folders (for faster-whisper); openai-whisper wants a
``.pt`` file holding ``{"dims": ..., "model_state_dict": ...}``. Converting the same weights
lets the two engines be compared on equal terms, offline. ``ctranslate2`` has no API to read
weights back, so ``model.bin`` is parsed here; the layout is the one CTranslate2 writes:

    u32 binary version | (v>=2) u16 len + spec name, u32 spec revision | u32 variable count
    per variable: u16 len + name | u8 rank | u32 dims... | (v>=4) u8 dtype id, u32 byte count
                  (v<4: u8 item size, u32 element count) | data
    (v>=3) u32 alias count, per alias: u16 len + alias name, u16 len + target name

Strings are NUL-terminated inside their length; numbers are little-endian.
"""
from __future__ import annotations

import base64
import gzip
import hashlib
import json
import mmap
import os
import re
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from workbench.errors import ModelNotFound
from workbench.transcription.models import cache_dir, resolve

# Highest layout understood; CTranslate2 4.x writes 6. A later one may move fields around.
MAX_BINARY_VERSION = 6
# CTranslate2's DataType ids, in its own order; bfloat16 is read as raw 16-bit words.
_DTYPES = (np.float32, np.int8, np.int16, np.int32, np.float16, np.uint16)
_BF16 = 5
_ITEM_SIZE_DTYPES = {4: 0, 2: 2, 1: 1}     # binary versions < 4 stored an item size instead
_GELU = 3                                  # CTranslate2's ActivationType.GELU (erf form)
# Scale that int16 models without a stored one were quantised with (CTranslate2's default).
_GLOBAL_INT16_SCALE = 1000.0


class ConversionError(ModelNotFound):
    """A model folder that cannot be turned into an openai-whisper checkpoint."""


@dataclass
class Ct2Model:
    """The variables of a ``model.bin`` (numpy arrays viewing the file) and its header."""
    version: int
    spec: str
    revision: int
    variables: dict[str, np.ndarray]
    aliases: dict[str, str]

    def get(self, name: str) -> np.ndarray:
        name = self.aliases.get(name, name)
        if name not in self.variables:
            raise ConversionError(f"model.bin has no variable {name!r}; not a Whisper model this "
                                  "converter knows")
        return self.variables[name]

    def has(self, name: str) -> bool:
        return self.aliases.get(name, name) in self.variables

    def weight(self, name: str) -> np.ndarray:
        """A float32 weight, dequantised when the file holds int8/int16 with a ``_scale``."""
        value = self.get(name)
        if value.dtype == np.float32:
            return value
        if value.dtype in (np.float16,):
            return value.astype(np.float32)
        if value.dtype == np.uint16:                  # bfloat16: the top half of a float32
            return (value.astype(np.uint32) << 16).view(np.float32)
        if value.dtype in (np.int8, np.int16):
            scale_name = name + "_scale"
            if self.has(scale_name):
                scale = self.get(scale_name).astype(np.float32)
            elif value.dtype == np.int16:
                scale = np.float32(_GLOBAL_INT16_SCALE)
            else:
                raise ConversionError(f"int8 variable {name!r} has no {scale_name!r}")
            # Quantisation multiplied each output row by its scale; divide it back out.
            flat = value.reshape(value.shape[0], -1).astype(np.float32)
            if scale.ndim == 0:
                return (flat / scale).reshape(value.shape)
            return (flat / scale.reshape(-1, 1)).reshape(value.shape)
        raise ConversionError(f"variable {name!r} has dtype {value.dtype}, not a weight")

    def scalar(self, name: str, default: int | None = None) -> int | None:
        if not self.has(name):
            return default
        return int(self.get(name).reshape(-1)[0])


def read_ct2(path: str | Path) -> Ct2Model:
    """Parse a CTranslate2 ``model.bin``. Arrays are views of a read-only memory map, so a
    model is not read into memory twice; copy what you keep."""
    path = Path(path)
    if path.stat().st_size < 12:                 # also: mmap cannot map an empty file
        raise ConversionError(f"{path} is too short to be a CTranslate2 model", file=str(path))
    with path.open("rb") as fh:
        data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    pos = 0

    def take(fmt: str):
        nonlocal pos
        try:
            values = struct.unpack_from("<" + fmt, data, pos)
        except struct.error as exc:
            raise ConversionError(f"{path} is truncated at byte {pos}", file=str(path)) from exc
        pos += struct.calcsize("<" + fmt)
        return values if len(fmt) > 1 else values[0]

    def text() -> str:
        nonlocal pos
        n = take("H")
        raw = bytes(data[pos:pos + n])
        pos += n
        return raw.split(b"\0", 1)[0].decode("utf-8")

    version = take("I")
    if not 1 <= version <= MAX_BINARY_VERSION:
        raise ConversionError(f"{path} has CTranslate2 binary version {version}; this converter reads "
                              f"versions 1 to {MAX_BINARY_VERSION}", file=str(path))
    spec, revision = (text(), take("I")) if version >= 2 else ("", 1)
    variables: dict[str, np.ndarray] = {}
    for _ in range(take("I")):
        name = text()
        rank = take("B")
        shape = tuple(take(f"{rank}I"))            # "0I" and "1I" unpack to tuples too
        if version >= 4:
            type_id, nbytes = take("B"), take("I")
        else:
            item_size, count = take("B"), take("I")
            if item_size not in _ITEM_SIZE_DTYPES:
                raise ConversionError(f"variable {name!r} has an unknown item size {item_size}", file=str(path))
            type_id, nbytes = _ITEM_SIZE_DTYPES[item_size], count * item_size
        if type_id >= len(_DTYPES):
            raise ConversionError(f"variable {name!r} has an unknown dtype id {type_id}", file=str(path))
        dtype = np.dtype(_DTYPES[type_id])
        if pos + nbytes > len(data) or nbytes != dtype.itemsize * int(np.prod(shape, dtype=np.int64)):
            raise ConversionError(f"variable {name!r} does not fit its shape {shape} or the file", file=str(path))
        variables[name] = np.frombuffer(data, dtype=dtype, count=nbytes // dtype.itemsize,
                                        offset=pos).reshape(shape)
        pos += nbytes
    aliases: dict[str, str] = {}
    if version >= 3:
        for _ in range(take("I")):
            alias = text()
            aliases[alias] = text()
    if pos != len(data):
        raise ConversionError(f"{path} has {len(data) - pos} unexpected bytes at its end", file=str(path))
    return Ct2Model(version, spec, revision, variables, aliases)


def _layers(model: Ct2Model, prefix: str) -> int:
    found = {int(m.group(1)) for name in model.variables
             if (m := re.match(rf"{prefix}/layer_(\d+)/", name))}
    if found != set(range(len(found))) or not found:
        raise ConversionError(f"{prefix} layers are missing or not numbered 0..n")
    return len(found)


def _split(fused: np.ndarray, parts: int, axis_len: int) -> list[np.ndarray]:
    if fused.shape[0] != parts * axis_len:
        raise ConversionError(f"a fused projection has {fused.shape[0]} rows, expected {parts} x {axis_len}")
    return [fused[i * axis_len:(i + 1) * axis_len] for i in range(parts)]


def state_dict(model: Ct2Model) -> tuple[dict, dict[str, np.ndarray]]:
    """``(dims, {openai-whisper name: float32 array})`` for a parsed Whisper model."""
    if model.spec and model.spec != "WhisperSpec":
        raise ConversionError(f"model.bin holds a {model.spec}, not a Whisper model")
    # Flags openai-whisper cannot express: it always pre-norms, never scales embeddings, uses erf GELU.
    if model.scalar("decoder/scale_embeddings", 0) or not model.scalar("decoder/pre_norm", 1) \
            or model.scalar("decoder/activation", _GELU) != _GELU or model.scalar("decoder/alibi", 0):
        raise ConversionError("this decoder's settings (scaled embeddings, post-norm, another "
                              "activation or ALiBi) have no openai-whisper equivalent")
    w = model.weight
    out: dict[str, np.ndarray] = {}
    conv1 = w("encoder/conv1/weight")
    embeddings = w("decoder/embeddings/weight")
    dims = dict(
        n_mels=int(conv1.shape[1]),
        n_audio_ctx=int(model.get("encoder/position_encodings/encodings").shape[0]),
        n_audio_state=int(conv1.shape[0]),
        n_audio_head=model.scalar("encoder/num_heads"),
        n_audio_layer=_layers(model, "encoder"),
        n_vocab=int(embeddings.shape[0]),
        n_text_ctx=int(model.get("decoder/position_encodings/encodings").shape[0]),
        n_text_state=int(embeddings.shape[1]),
        n_text_head=model.scalar("decoder/num_heads"),
        n_text_layer=_layers(model, "decoder"),
    )
    if not dims["n_audio_head"] or not dims["n_text_head"]:
        raise ConversionError("model.bin does not say its number of attention heads")

    # openai-whisper ties the output projection to the token embedding; CTranslate2 stores it as
    # an alias (or a copy). A different matrix could not be represented, so refuse it.
    if model.has("decoder/projection/weight") and model.aliases.get("decoder/projection/weight") \
            != "decoder/embeddings/weight" and not np.array_equal(w("decoder/projection/weight"), embeddings):
        raise ConversionError("the output projection differs from the token embedding")
    if model.has("decoder/projection/bias") and np.any(w("decoder/projection/bias")):
        raise ConversionError("the output projection has a bias, which openai-whisper lacks")

    def norm(src: str, dst: str):
        out[f"{dst}.weight"] = w(f"{src}/gamma")
        out[f"{dst}.bias"] = w(f"{src}/beta")

    def linear(src: str, dst: str, bias: bool = True):
        out[f"{dst}.weight"] = w(f"{src}/weight")
        if bias:
            out[f"{dst}.bias"] = w(f"{src}/bias")

    def split_linear(src: str, names: list[str], state: int):
        # CTranslate2 fuses projections into one matrix (rows stacked in order). openai-whisper's
        # key has no bias: a key bias only adds q.b to every score of a query, which softmax
        # cancels, so dropping it is exact (converted Hugging Face models carry zeros there).
        weights = _split(w(f"{src}/weight"), len(names), state)
        biases = _split(w(f"{src}/bias"), len(names), state)
        for name, weight, bias in zip(names, weights, biases):
            out[f"{name}.weight"] = weight
            if not name.endswith(".key"):
                out[f"{name}.bias"] = bias

    def mlp(src: str, dst: str):
        norm(f"{src}/layer_norm", f"{dst}.mlp_ln")
        linear(f"{src}/linear_0", f"{dst}.mlp.0")
        linear(f"{src}/linear_1", f"{dst}.mlp.2")

    a = dims["n_audio_state"]
    linear("encoder/conv1", "encoder.conv1")
    linear("encoder/conv2", "encoder.conv2")
    out["encoder.positional_embedding"] = w("encoder/position_encodings/encodings")
    for i in range(dims["n_audio_layer"]):
        src, dst = f"encoder/layer_{i}", f"encoder.blocks.{i}"
        norm(f"{src}/self_attention/layer_norm", f"{dst}.attn_ln")
        split_linear(f"{src}/self_attention/linear_0", [f"{dst}.attn.{p}" for p in ("query", "key", "value")], a)
        linear(f"{src}/self_attention/linear_1", f"{dst}.attn.out")
        mlp(f"{src}/ffn", dst)
    norm("encoder/layer_norm", "encoder.ln_post")

    t = dims["n_text_state"]
    out["decoder.token_embedding.weight"] = embeddings
    out["decoder.positional_embedding"] = w("decoder/position_encodings/encodings")
    for i in range(dims["n_text_layer"]):
        src, dst = f"decoder/layer_{i}", f"decoder.blocks.{i}"
        norm(f"{src}/self_attention/layer_norm", f"{dst}.attn_ln")
        split_linear(f"{src}/self_attention/linear_0", [f"{dst}.attn.{p}" for p in ("query", "key", "value")], t)
        linear(f"{src}/self_attention/linear_1", f"{dst}.attn.out")
        norm(f"{src}/attention/layer_norm", f"{dst}.cross_attn_ln")
        linear(f"{src}/attention/linear_0", f"{dst}.cross_attn.query")
        split_linear(f"{src}/attention/linear_1", [f"{dst}.cross_attn.{p}" for p in ("key", "value")], t)
        linear(f"{src}/attention/linear_2", f"{dst}.cross_attn.out")
        mlp(f"{src}/ffn", dst)
    norm("decoder/layer_norm", "decoder.ln")
    return dims, out


def alignment_heads(ct2_folder: str | Path, n_text_layer: int, n_text_head: int) -> bytes | None:
    """The cross-attention heads used for word timestamps, from the folder's ``config.json``, in
    the form ``Whisper.set_alignment_heads`` takes (a gzipped boolean mask, base85). Without
    them openai-whisper falls back to all heads of the upper half, which aligns worse."""
    config = Path(ct2_folder) / "config.json"
    try:
        pairs = json.loads(config.read_text()).get("alignment_heads") or []
    except (OSError, ValueError):
        return None
    mask = np.zeros((n_text_layer, n_text_head), dtype=bool)
    for layer, head in pairs:
        if 0 <= layer < n_text_layer and 0 <= head < n_text_head:
            mask[layer, head] = True
    return base64.b85encode(gzip.compress(mask.tobytes())) if mask.any() else None


def convert(ct2_folder: str | Path, out_path: str | Path) -> Path:
    """Write an openai-whisper checkpoint (float16 weights, like OpenAI's own) for a CTranslate2
    Whisper folder; atomic, so an interrupted run never leaves a half-written file."""
    import torch

    folder, out_path = Path(ct2_folder), Path(out_path)
    if not (folder / "model.bin").is_file():
        raise ConversionError(f"folder {folder} holds no model.bin", file=str(folder))
    model = read_ct2(folder / "model.bin")
    dims, weights = state_dict(model)
    checkpoint = {
        "dims": dims,
        # float16 halves the file; load_state_dict casts back into the float32 parameters.
        "model_state_dict": {k: torch.from_numpy(np.ascontiguousarray(v, dtype=np.float16))
                             for k, v in weights.items()},
        "source": str(folder),
    }
    heads = alignment_heads(folder, dims["n_text_layer"], dims["n_text_head"])
    if heads is not None:
        checkpoint["alignment_heads"] = heads.decode("ascii")   # str: torch.load(weights_only=True) takes it
    del weights, model
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=out_path.name + ".", suffix=".partial", dir=out_path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            torch.save(checkpoint, fh)
        os.replace(tmp, out_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out_path


def checkpoint_for(model_name_or_folder: str) -> Path:
    """The openai-whisper checkpoint for a packaged model name or a CTranslate2 folder, converted
    once into the model cache (next to the joined packaged models) and reused after."""
    where = Path(resolve(model_name_or_folder))
    if not where.is_dir():
        raise ConversionError(f"model {model_name_or_folder!r} is not installed locally; the openai-whisper "
                              "engine needs a packaged model or a CTranslate2 folder to convert")
    stat = (where / "model.bin").stat()
    # The key changes when the source changes (another folder, or a rewritten model.bin).
    digest = hashlib.sha256(f"{where.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:12]
    target = cache_dir() / f"openai-whisper-{where.name}-{digest}.pt"
    if not target.exists():
        convert(where, target)
    return target
