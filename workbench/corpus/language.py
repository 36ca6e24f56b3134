"""A cheap guess at a text's language from stop words (en, pt, es, fr, de)."""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping

_STOPWORDS = {
    "en": "the and of to is that it in we you they was for with have not but this are",
    "pt": "que de não uma os as para com mas é muito isso também nós eles foi são está",
    "es": "que de no una los las para con pero es muy eso también nosotros ellos fue son está",
    "fr": "que de ne une les des pour avec mais est très cela aussi nous ils été sont",
    "de": "und der die das nicht ist ein eine mit für aber wir sie auch sehr war sind",
}

_LANGS_OF: dict[str, list[str]] = {}
for _lang, _words in _STOPWORDS.items():
    for _w in _words.split():
        _LANGS_OF.setdefault(_w, []).append(_lang)


def guess_language(text: str) -> str | None:
    """A cheap guess (en, pt, es, fr, de) from stop-word counts over the first 5,000 words."""
    return guess_from_counts(Counter(re.findall(r"\w+", text[:40000].lower())))


def guess_from_counts(counts: Mapping[str, int]) -> str | None:
    """The same guess from lower-case word counts (a turn's, already counted); None when the
    words are too few or too few of them are stop words."""
    n = sum(counts.values())
    if n < 5:
        return None
    scores = dict.fromkeys(_STOPWORDS, 0)
    for word, k in counts.items():
        for lang in _LANGS_OF.get(word, ()):
            scores[lang] += k
    best = max(scores, key=scores.get)
    return best if scores[best] >= max(2, n // 50) else None
