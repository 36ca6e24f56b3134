"""The agreement of a project's coders, read from the database: which codings, which sources
count as judged (each coder's "done", see ``coding.status``), which turns - the one place the CLI
and the app decide it."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy.orm import Session

from workbench.analysis.agreement import Agreement, agreement, disagreements
from workbench.analysis.retrieval import codebook_code_ids, coding_spans, segments_frame, source_texts
from workbench.codebook.lookup import get_codebook
from workbench.coding.status import done_sources
from workbench.corpus.sources import source_choices
from workbench.project.coders import coder_ids_named, coder_names


@dataclass
class ProjectAgreement:
    """The result with what a reader needs beside it: source names and the codebook compared."""
    result: Agreement
    source_names: dict[int, str]
    codebook: str | None
    disagreements: pd.DataFrame | None = None

    def excluded_rows(self) -> list[dict]:
        return [{"source": self.source_names.get(sid, sid), "why not compared": why}
                for sid, why in self.result.excluded]


def project_agreement(session: Session, project_id: int, coders: list[str], *, unit: str = "turn",
                      codebook: str | int | None = None, include_interviewer: bool = False,
                      with_disagreements: bool = False) -> ProjectAgreement:
    """Agreement of the named coders (unknown names are an error) over the codes of ``codebook``
    (default: every codebook)."""
    ids = coder_ids_named(session, coders)
    names = coder_names(session)
    code_ids = codebook_code_ids(session, project_id, codebook)
    spans = coding_spans(session, project_id, code_ids=code_ids, coder_ids=ids)
    segments = segments_frame(session, project_id)
    done = {}
    for coder_id, sources in done_sources(session, project_id, ids).items():
        done.setdefault(names[coder_id], set()).update(sources)
    sources = dict(source_choices(session, project_id))
    result = agreement(spans, segments, coders, unit=unit, done=done, include_interviewer=include_interviewer,
                       sources=sorted(set(segments["source_id"])))
    found = None
    if with_disagreements:
        found = disagreements(spans, segments, coders, result.compared, texts=source_texts(session, project_id),
                              include_interviewer=include_interviewer)
        found.insert(0, "source", found.pop("source_id").map(sources))
    label = None
    if codebook is not None:
        label = get_codebook(session, project_id, codebook).name
    return ProjectAgreement(result, sources, label, found)
