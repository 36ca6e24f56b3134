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
