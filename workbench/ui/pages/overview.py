"""Overview page: what the project holds, at a glance."""
from __future__ import annotations

import streamlit as st

from workbench.codebook.storage import codebook_summary
from workbench.corpus.cases import case_table
from workbench.corpus.sources import list_sources
from workbench.project.projects import overview
from workbench.ui.state import Workspace, shows_errors


def render(ws: Workspace) -> None:
    st.title("Overview")
    if ws.project_id is None:
        st.info("No project yet. Create one with `workbench init NAME`, or build the demo with "
                "`workbench demo`.")
        return
    with shows_errors(), ws.store.read() as s:
        counts = overview(s, ws.project_id)
        sources = list_sources(s, ws.project_id)
        case_frame = case_table(s, ws.project_id)
        books = codebook_summary(s, ws.project_id)
    st.caption(ws.project_name)
    cols = st.columns(6)
    for col, (label, key) in zip(cols, [("Sources", "sources"), ("Cases", "cases"), ("Codebooks", "codebooks"),
                                        ("Codes", "codes"), ("Codings", "codings"), ("Open jobs", "open_jobs")]):
        col.metric(label, counts[key])
    st.subheader("Sources")
    if sources:
        st.dataframe(sources, hide_index=True,
                     column_order=["name", "case", "kind", "language", "words", "segments", "speakers", "codings"])
    else:
        st.info("No sources yet. Import transcripts with `workbench import FILES...`.")
    st.subheader("Cases")
    if len(case_frame):
        st.dataframe(case_frame, hide_index=True)
    else:
        st.info("No cases yet. Import a case table with `workbench cases import cases.csv`.")
    st.subheader("Codebooks")
    if books:
        st.dataframe(books, hide_index=True)
    else:
        st.info("No codebooks yet. Load one with `workbench codebook load codebooks/<file>.yaml`.")
