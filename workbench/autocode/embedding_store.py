"""Embeddings kept in the project database, keyed by the text's hash: a text is embedded once,
a corrected turn is embedded again and nothing else is."""
from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np
from sqlalchemy import func, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from workbench.autocode.embeddings import DIMENSIONS, Embedder, load_embedder
from workbench.db.models import Embedding

_LOOKUP_CHUNK = 500          # well under SQLite's limit of bound parameters per statement
_SCAN_SHARE = 4             # read every stored vector when at least a quarter of them are wanted
_WRITE_CHUNK = 2000          # texts embedded and stored per transaction: an interrupted run keeps its work


def text_hash(text: str) -> str:
    """The key of a text's embedding (SHA-256 of its UTF-8 bytes)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _insert_new(session):
    """An insert that leaves a vector another process stored meanwhile as it is."""
    name = session.get_bind().dialect.name
    if name in ("sqlite", "postgresql"):
        dialect_insert = sqlite_insert if name == "sqlite" else postgresql_insert
        return dialect_insert(Embedding).on_conflict_do_nothing(index_elements=["model", "text_hash"])
    return insert(Embedding)


def stored(store, model: str, hashes: list[str]) -> tuple[dict[str, int], np.ndarray]:
    """The stored vectors of those hashes that have one: each found hash's row in the matrix."""
    keys: list[str] = []
    blobs: list[bytes] = []
    with store.read() as s:
        kept = s.scalar(select(func.count()).select_from(Embedding).where(Embedding.model == model)) or 0
        if len(hashes) * _SCAN_SHARE >= kept:
            # Most of the stored vectors are wanted (a rerun): one pass over them beats a lookup per
            # hash (0.8 s against 4 s for 175,000 sentences).
            wanted = set(hashes)
            for h, blob in s.execute(select(Embedding.text_hash, Embedding.vector).where(Embedding.model == model)):
                if h in wanted:
                    keys.append(h)
                    blobs.append(blob)
        else:
            for i in range(0, len(hashes), _LOOKUP_CHUNK):
                for h, blob in s.execute(select(Embedding.text_hash, Embedding.vector).where(
                        Embedding.model == model, Embedding.text_hash.in_(hashes[i:i + _LOOKUP_CHUNK]))):
                    keys.append(h)
                    blobs.append(blob)
    # One conversion of every blob at once: a conversion per vector cost seconds on a rerun.
    matrix = (np.frombuffer(b"".join(blobs), dtype="<f2").astype(np.float32).reshape(len(blobs), DIMENSIONS)
              if blobs else np.zeros((0, DIMENSIONS), dtype=np.float32))
    return {h: i for i, h in enumerate(keys)}, matrix


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
            s.execute(_insert_new(s), [{"model": embedder.name, "text_hash": h, "vector": v.tobytes()}
                                       for h, v in zip(chunk, vectors)])
        # float16 is what is stored: use the same numbers now as on a rerun
        computed.append(vectors.astype(np.float32))
        position.update({h: len(position) + k for k, h in enumerate(chunk)})
        if progress:
            progress(min(i + _WRITE_CHUNK, len(missing)), len(missing))
    matrix = np.concatenate(computed) if len(computed) > 1 else matrix
    out = matrix[np.fromiter((position[h] for h in hashes), dtype=np.int64, count=len(hashes))]
    return out.reshape(len(texts), DIMENSIONS), len(missing)
