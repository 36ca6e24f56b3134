"""Embeddings kept in the project database, keyed by the text's hash: a text is embedded once,
a corrected turn is embedded again and nothing else is."""
from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np

from workbench.autocode.embeddings import DIMENSIONS, Embedder, load_embedder
from workbench.db.keyed import insert_new, rows_by_key
from workbench.db.models import Embedding

_WRITE_CHUNK = 2000          # texts embedded and stored per transaction: an interrupted run keeps its work


def text_hash(text: str) -> str:
    """The key of a text's embedding (SHA-256 of its UTF-8 bytes)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def stored(store, model: str, hashes: list[str]) -> tuple[dict[str, int], np.ndarray]:
    """The stored vectors of those hashes that have one: each found hash's row in the matrix."""
    with store.read() as s:
        found = list(rows_by_key(s, Embedding.text_hash, Embedding.vector, Embedding.model == model, hashes))
    # One conversion of every blob at once: a conversion per vector cost seconds on a rerun.
    matrix = (np.frombuffer(b"".join(blob for _, blob in found), dtype="<f2").astype(np.float32)
              .reshape(len(found), DIMENSIONS) if found else np.zeros((0, DIMENSIONS), dtype=np.float32))
    return {h: i for i, (h, _) in enumerate(found)}, matrix


def embed_texts(store, texts: list[str], *, embedder: Embedder | None = None,
                progress: Callable[[int, int], None] | None = None) -> tuple[np.ndarray, int]:
    """Unit vectors of ``texts`` (``len(texts)`` x 384) and how many had to be computed; the new
    ones are stored. ModelNotFound when the model is not installed."""
    embedder = embedder or load_embedder()
    hashes = [text_hash(t) for t in texts]
    position, matrix = stored(store, embedder.name, sorted(set(hashes)))
    missing = sorted({h for h in hashes if h not in position})
    first_text = {}
    for h, t in zip(hashes, texts):
        first_text.setdefault(h, t)
    computed = [matrix]
    for i in range(0, len(missing), _WRITE_CHUNK):
        chunk = missing[i:i + _WRITE_CHUNK]
        vectors = embedder.embed([first_text[h] for h in chunk]).astype("<f2")
        with store.write() as s:
            s.execute(insert_new(s, Embedding, ["model", "text_hash"]), [{"model": embedder.name, "text_hash": h, "vector": v.tobytes()}
                                       for h, v in zip(chunk, vectors)])
        # float16 is what is stored: use the same numbers now as on a rerun
        computed.append(vectors.astype(np.float32))
        position.update({h: len(position) + k for k, h in enumerate(chunk)})
        if progress:
            progress(min(i + _WRITE_CHUNK, len(missing)), len(missing))
    matrix = np.concatenate(computed) if len(computed) > 1 else matrix
    out = matrix[np.fromiter((position[h] for h in hashes), dtype=np.int64, count=len(hashes))]
    return out.reshape(len(texts), DIMENSIONS), len(missing)
