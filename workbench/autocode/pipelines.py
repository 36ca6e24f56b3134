"""spaCy pipelines for autocoding, built once per language and process: a trained one when
installed, else a blank one with lookup lemmas (``spacy-lookups-data``), which works offline;
lemmas and sentence boundaries read from arrays rather than Token objects."""
from __future__ import annotations

from functools import lru_cache
from itertools import compress

from workbench.codebook.rules import RuleProblem


@lru_cache(maxsize=None)
def pipeline(lang: str):
    _register_components()
    return _build(lang)


def _build(lang: str):
    """A spaCy pipeline for ``lang``, built once: a trained one when installed, else a blank one
    with lookup lemmas (spacy-lookups-data), which works offline.

    The blank pipeline has no sentence splitter in it: sentences are only needed around a match,
    so :func:`sentences` splits a turn when it has one (most of a corpus never needs splitting).
    """
    import spacy
    trained = {"en": "en_core_web_sm", "pt": "pt_core_news_sm"}.get(lang)
    if trained:
        try:
            return spacy.load(trained, exclude=["ner", "textcat"])
        except OSError:
            pass                                   # not installed: fall back to the blank pipeline
    try:
        nlp = spacy.blank(lang)
    except Exception as exc:
        raise RuleProblem(f"no spaCy language {lang!r}") from exc
    # No parser or tagger here, so a long text costs only its tokens: lift spaCy's guard against
    # running those on huge texts (an unsegmented recording transcript can pass a million characters).
    nlp.max_length = 50_000_000
    table = _lookup_table(nlp)
    if table is not None:
        _LEMMA_IDS[lang] = _lemma_ids(nlp, table)
        nlp.add_pipe("workbench_lookup_lemmas")
    nlp.initialize()
    return nlp


def _lookup_table(nlp):
    """The language's lemma lookup table from spacy-lookups-data, or None when it has none."""
    try:
        lemmatizer = nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        nlp.initialize()
        return lemmatizer.lookups.get_table("lemma_lookup")
    except Exception:                              # a language without lookup tables: lower-case only
        return None
    finally:
        if "lemmatizer" in nlp.pipe_names:
            nlp.remove_pipe("lemmatizer")


def _lemma_ids(nlp, table) -> dict[int, int]:
    """Lower-case form id -> lemma id, every lemma interned in the vocabulary's strings.

    The table is keyed by the id of a word form; looking a token up by its lower-case form also
    gives "Shared" at a sentence start the lemma of "shared"."""
    strings = nlp.vocab.strings
    # Some languages' tables (fr, ca) list several lemmas: spaCy's lookup lemmatizer takes the first.
    return {key: strings.add(value if isinstance(value, str) else value[0])
            for key, value in table.items() if isinstance(value, str) or value}


@lru_cache(maxsize=None)
def _punct_ids(lang: str) -> frozenset[int]:
    """Ids of the characters that end a sentence (spaCy's Sentencizer defaults)."""
    from spacy.pipeline import Sentencizer
    strings = pipeline(lang).vocab.strings
    return frozenset(strings.add(ch) for ch in Sentencizer.default_punct_chars)


@lru_cache(maxsize=None)
def _splits_sentences(lang: str) -> bool:
    """True when the language's pipeline sets sentence boundaries itself (a trained one)."""
    return bool({"parser", "senter", "sentencizer"} & set(pipeline(lang).pipe_names))


def sentences(doc, lang: str, start: int = 0, end: int | None = None,
              orth: list[int] | None = None) -> list[tuple[int, int]]:
    """``(start_char, end_char)`` of each sentence of ``doc``, or of its tokens ``start`` to
    ``end`` (one turn of several joined in a doc: the first sentence starts at ``start``);
    ``orth`` is the doc's ORTH array as a list when the caller has it already.

    A trained pipeline's parser or senter has split it already; otherwise it is split here by
    spaCy's Sentencizer rule (a sentence ends after . ! ? and the like, and the punctuation
    that follows them), read from arrays instead of Token objects - only turns with a match
    need it."""
    if _splits_sentences(lang):
        return [(sent.start_char, sent.end_char) for sent in doc[start:end].sents]
    end = len(doc) if end is None else end
    if orth is None:
        from spacy.attrs import ORTH
        orth = doc.to_array(ORTH).tolist()
    orth = orth[start:end]
    if not orth:
        return []
    punct = _punct_ids(lang)
    n = len(orth)
    # A sentence ends at one of the punctuation marks; the next one starts at the first token
    # after it that is neither punctuation nor another end mark (closing quotes stay behind).
    # Only the few tokens after an end mark are looked at one by one.
    starts, k = [0], 0
    for e in compress(range(n), map(punct.__contains__, orth)):
        if e < k:
            continue                              # this end mark is part of the run just passed
        k = e + 1
        while k < n and (orth[k] in punct or doc[start + k].is_punct):
            k += 1
        if k < n:
            starts.append(k)
    bounds = starts + [n]
    return [(doc[start + a].idx, doc[start + b - 1].idx + len(doc[start + b - 1])) for a, b in zip(bounds, bounds[1:])]


def _register_components() -> None:
    from spacy.language import Language
    if "workbench_lookup_lemmas" in Language.factories:
        return

    @Language.component("workbench_lookup_lemmas")
    def lookup_lemmas(doc):
        """Every token's lemma from the lookup table by its lower-case form, in one pass over
        arrays: no Python object per token (the library's lookup lemmatizer makes one per token
        and was a third of autocoding's time)."""
        import numpy as np
        from spacy.attrs import LEMMA, LOWER
        ids = _LEMMA_IDS.get(doc.lang_)
        if ids is None or not len(doc):
            return doc
        lower = doc.to_array(LOWER).tolist()
        lemmas = np.array(list(map(ids.get, lower, lower)), dtype=np.uint64)   # get(h, h): the form itself when unlisted
        doc.from_array([LEMMA], lemmas.reshape(-1, 1))
        return doc


_LEMMA_IDS: dict[str, dict[int, int]] = {}


def lookup_lemma_ids(lang: str) -> dict[int, int] | None:
    """Lower-case form id -> lemma id when ``lang``'s pipeline is the blank one with lookup
    lemmas (a token's lemma then depends on its lower-case form alone), else None."""
    return _LEMMA_IDS.get(lang) if "workbench_lookup_lemmas" in pipeline(lang).pipe_names else None


def has_lemmas(lang: str) -> bool:
    names = pipeline(lang).pipe_names
    return "workbench_lookup_lemmas" in names or "lemmatizer" in names
