"""A cheap guess at a text's language from stop words (en, pt, es, fr, de)."""
from __future__ import annotations

import re

_STOPWORDS = {
    "en": "the and of to is that it in we you they was for with have not but this are",
    "pt": "que de não uma os as para com mas é muito isso também nós eles foi são está",
    "es": "que de no una los las para con pero es muy eso también nosotros ellos fue son está",
    "fr": "que de ne une les des pour avec mais est très cela aussi nous ils été sont",
    "de": "und der die das nicht ist ein eine mit für aber wir sie auch sehr war sind",
}

_STOP_SETS = {lang: set(words.split()) for lang, words in _STOPWORDS.items()}


def guess_language(text: str) -> str | None:
    """A cheap guess (en, pt, es, fr, de) from stop-word counts over the first 5,000 words."""
    words = re.findall(r"\w+", text[:40000].lower())
    if len(words) < 5:
        return None
    scores = {lang: sum(w in stops for w in words) for lang, stops in _STOP_SETS.items()}
    best = max(scores, key=scores.get)
    return best if scores[best] >= max(2, len(words) // 50) else None
