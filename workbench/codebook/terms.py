"""Names and jargon in a project's codebooks (AICEP, Heimtextil, Première Vision, Oeko-Tex):
the words a transcription model mishears unless it is told them, offered for its prompt."""
from __future__ import annotations

import re
from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.db.models import Code, Codebook

# A capitalised run of words (Première Vision), an acronym (AICEP), a word with inner capitals or
# a hyphen between capitals (ComfyUI, Oeko-Tex).
_TERM = re.compile(r"\b(?:[A-ZÀ-Ý][\w’'-]*[A-Z][\w’'-]*|[A-ZÀ-Ý]{2,}[\w-]*|[A-ZÀ-Ý][a-zà-ÿ]+(?:[ -][A-ZÀ-Ý][\w-]+)+)")
_LEADS = {"The", "Our", "Their", "A", "An", "In", "At", "For", "With", "From", "To", "And", "But", "When", "If",
          "Na", "No", "Nas", "Nos", "O", "Os", "As", "Em", "Do", "Da", "Dos", "Das", "De", "E", "Um", "Uma",
          "La", "El", "Los", "Las", "Le", "Les", "Der", "Die", "Das"}
_COMMON = {"IEA", "IEAs", "SME", "SMEs", "When", "The", "Do", "Apply", "Use", "Not", "Near", "Table", "Section",
           "Code", "If", "This", "A", "An", "In", "For", "Our", "We", "It", "They", "He", "She", "But", "And"}


def codebook_terms(session: Session, project_id: int, limit: int = 60) -> list[str]:
    """Proper names of several words, acronyms and words with inner capitals used in the codebooks'
    definitions, examples and rules, most frequent first. A single capitalised word (Heimtextil)
    cannot be told from one that merely begins a sentence, so it is left for the user to type."""
    texts: list[str] = []
    for code in session.scalars(select(Code).join(Codebook).where(Codebook.project_id == project_id)):
        texts += [code.definition, code.when_to_use, code.when_not_to_use, *(code.examples or [])]
        for rule in code.rules or []:
            texts += [str(p) for p in rule.get("phrases", [])]
    counts: Counter = Counter()
    for text in texts:
        for sentence in re.split(r"(?<=[.!?:;])\s+|\n+", text or ""):
            for m in _TERM.finditer(sentence):
                words = re.sub(r"['’]s$", "", m.group().strip("-’'")).split()
                while words and words[0] in _LEADS:
                    words = words[1:]              # "The Portuguese", "Na Première Vision"
                term = " ".join(words)
                plain = len(words) == 1 and term[1:].islower()
                if not term or plain or term in _COMMON or len(term) <= 2:
                    continue                       # "Apply", "Portuguese": capitalised words, not names
                counts[term] += 1
    return [t for t, _ in counts.most_common(limit)]
