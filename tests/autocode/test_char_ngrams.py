"""The fast character n-grams and n-gram similarities give what scikit-learn's own would, on real
text (the demo's interviews) and on awkward whitespace and case."""
from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from tests.paths import REPO
from workbench.autocode.char_ngrams import CharNgrams
from workbench.autocode.features import NgramSimilarity


def _texts() -> list[str]:
    paragraphs = [p.strip() for f in sorted((REPO / "transcripts").glob("*.txt"))
                  for p in f.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    assert len(paragraphs) > 100
    return paragraphs + ["Naïve  İSTANBUL façade\u00a0x\tY\n\nz", "", "a", "exportação Export EXPORTS",
                         "word word word word"]


def test_counts_and_weights_equal_scikit_learns():
    texts = _texts()
    sample = texts[::3]
    reference = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 4), sublinear_tf=True, min_df=2,
                                dtype=np.float32).fit(sample)
    fast = CharNgrams(ngram_range=(3, 4), min_df=2).fit(sample)
    assert fast.counter.vocabulary_ == reference.vocabulary_
    expected, got = reference.transform(texts), fast.transform(texts)
    assert got.shape == expected.shape and got.nnz == expected.nnz
    assert abs(got - expected).max() == 0.0
    assert abs(fast.counts(texts) - fast.counter.transform(texts)).max() == 0.0


def test_split_similarity_equals_the_plain_product():
    texts = _texts()
    matrix = CharNgrams().fit(texts).transform(texts)
    pool = np.arange(0, len(texts), 2)
    rows = np.arange(len(texts))
    similarity = NgramSimilarity(matrix, pool)
    assert similarity.pool_common.shape[0] > 0 and similarity.pool_rare.shape[1] > 0   # both halves used
    np.testing.assert_allclose(similarity(rows), (matrix[rows] @ matrix[pool].T).toarray(), atol=1e-5)
