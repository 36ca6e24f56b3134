"""The crosstab read from the database: counted in SQL or from quotes, the same tables."""
from __future__ import annotations

import pandas as pd
from sqlalchemy import select

from workbench.analysis.crosstab import COUNTS, crosstab
from workbench.codebook.lookup import find_code
from workbench.coding.codings import apply_code
from workbench.corpus.cases import case_table
from workbench.corpus.sources import list_sources
from workbench.db.models import Coder, Source


def test_crosstab_from_database_counts_equals_crosstab_from_quotes(demo_store):
    """The fast path (counted in SQL) and the quote-by-quote path give the same tables."""
    from workbench.analysis import retrieval
    store, project_id = demo_store
    with store.write("seed", project_id=project_id, coder_id=1) as s:
        coder = s.get(Coder, 1)
        codes = [find_code(s, project_id, n).id for n in ("Information aggregator", "Socialization", "Combination")]
        for i, src in enumerate(s.scalars(select(Source).where(Source.project_id == project_id).order_by(Source.id))):
            for j, seg in enumerate(src.segments[: 3 + i]):
                apply_code(s, src, codes[(i + j) % 3], coder, seg.start, seg.end)
    with store.read() as s:
        quotes = retrieval.coded_quotes(s, project_id)
        counts = retrieval.coding_counts(s, project_id)
        cases = case_table(s, project_id)
        sources = pd.DataFrame(list_sources(s, project_id))[["id", "case"]].rename(columns={"id": "source_id"})
    for count in COUNTS:
        a = crosstab(quotes, cases, "sector", count=count, sources=sources)
        b = crosstab(counts, cases, "sector", count=count, sources=sources)
        assert a.table.equals(b.table), count
        assert [t.p_value for t in a.tests] == [t.p_value for t in b.tests]
