"""Character n-grams within words (scikit-learn's ``char_wb`` analyser) as tf-idf vectors, counted
about ten times faster than ``TfidfVectorizer.transform`` and to the same matrix.

A text's ``char_wb`` n-grams are the sum of its words' (the analyser pads each whitespace-separated
word with a space and cuts it), so each distinct word is cut once and a text's counts are its word
counts times the words' n-gram counts: one sparse product in C instead of a Python step per n-gram
(the analyser was most of a run's time on a large project). The vocabulary and the idf weights are
still learned by scikit-learn, from a sample.
"""
from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer


class CharNgrams:
    """Tf-idf of character n-grams within words, lower-cased, rows of unit length."""

    def __init__(self, ngram_range: tuple[int, int] = (3, 4), min_df: int = 2, max_features: int = 200_000):
        self.counter = CountVectorizer(analyzer="char_wb", ngram_range=ngram_range, min_df=min_df,
                                       max_features=max_features, dtype=np.float32)
        self.weights = TfidfTransformer(sublinear_tf=True)

    def fit(self, texts: list[str]) -> CharNgrams:
        """Learn the vocabulary and the idf weights from ``texts``."""
        self.weights.fit(self.counter.fit_transform(texts))
        self._analyze = self.counter.build_analyzer()
        self._lower = self.counter.build_preprocessor()
        return self

    @property
    def size(self) -> int:
        return len(self.counter.vocabulary_)

    def counts(self, texts: list[str]) -> sparse.csr_matrix:
        """The n-gram counts of ``texts`` (equal to ``CountVectorizer.transform``)."""
        word_ids: dict[str, int] = {}
        indices: list[int] = []
        indptr = [0]
        for text in texts:
            indices.extend(word_ids.setdefault(w, len(word_ids)) for w in self._lower(text).split())
            indptr.append(len(indices))
        words = sparse.csr_matrix((np.ones(len(indices), dtype=np.float32), indices, indptr),
                                  shape=(len(texts), len(word_ids)))
        words.sum_duplicates()
        return (words @ self._word_ngrams(word_ids)).tocsr()

    def _word_ngrams(self, word_ids: dict[str, int]) -> sparse.csr_matrix:
        """Each word's n-gram counts, as rows in the order of ``word_ids``."""
        vocabulary = self.counter.vocabulary_
        indices: list[int] = []
        indptr = [0]
        for word in word_ids:                     # insertion order = the ids
            indices.extend(j for j in map(vocabulary.get, self._analyze(word)) if j is not None)
            indptr.append(len(indices))
        matrix = sparse.csr_matrix((np.ones(len(indices), dtype=np.float32), indices, indptr),
                                   shape=(len(word_ids), self.size))
        matrix.sum_duplicates()
        return matrix

    def transform(self, texts: list[str]) -> sparse.csr_matrix:
        """Tf-idf vectors of ``texts`` (equal to a fitted ``TfidfVectorizer``'s ``transform``)."""
        counts = self.counts(texts)
        counts.sort_indices()
        return self.weights.transform(counts, copy=False).astype(np.float32).tocsr()
