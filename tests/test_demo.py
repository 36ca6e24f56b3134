"""The demo project."""
from __future__ import annotations

import pandas as pd

from workbench.corpus.cases import case_table
from workbench.corpus.sources import list_sources


def test_demo_project(demo_store):
    store, project_id = demo_store
    with store.read() as s:
        rows = list_sources(s, project_id)
        frame = case_table(s, project_id)
    assert len(rows) == 6 and all(r["words"] >= 1500 for r in rows)
    assert {r["language"] for r in rows} == {"en", "pt"}
    assert sorted(frame["sector"].unique()) == ["IT/electronics", "Textile"]
    assert all(r["case"] for r in rows) and all("interviewer" in r["speakers"] for r in rows)
    assert isinstance(frame, pd.DataFrame) and frame["employees"].dtype.name == "Int64"


def test_the_demo_opens_with_two_coders_so_every_analysis_answers(store):
    """As a new user gets it: the gold set on all six interviews and a second coder on two of
    them, each coder's interviews marked finished; the crosstab by sector and agreement answer."""
    from workbench.analysis.agreement_query import project_agreement
    from workbench.analysis.crosstab_query import project_crosstab
    from workbench.config import Settings
    from workbench.demo import build_demo
    result = build_demo(store, Settings(database_url=store.url, coder="ana"))
    assert result["codings"]["gold"] > 500 and 100 < result["codings"]["bea"] < result["codings"]["gold"]
    assert build_demo(store, Settings(database_url=store.url, coder="ana"))["created"] is False   # once
    pid = result["project_id"]
    with store.read() as s:
        ct = project_crosstab(s, pid, "sector", codebook="Internationalization decisions and barriers")
        assert ct.table.to_numpy().sum() > 0 and set(ct.table.columns) == {"IT/electronics", "Textile"}
        found = project_agreement(s, pid, ["gold", "bea"])
    assert sorted(found.source_names[i] for i in found.result.compared) == [
        "it-01-voltaria-sistemas", "tx-01-tecelagem-pinheiro"]
    kappa = next(v for k, v in found.result.pooled.items() if "kappa" in str(k))
    assert 0 < kappa < 1                                # some disagreement, by construction
