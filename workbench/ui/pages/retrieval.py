"""Retrieval page: coded quotes of chosen codes, filtered by case attributes, role and coder."""
from __future__ import annotations

import streamlit as st

from workbench.codebook.lookup import code_choices
from workbench.corpus.cases import case_table
from workbench.exchange import tables
from workbench.project.coders import coder_names
from workbench.ui import cached
from workbench.ui.navigation import go_to
from workbench.ui.safe import md, quote_md
from workbench.ui.state import Workspace

MAX_SHOWN = 200


def render(ws: Workspace) -> None:
    st.title("Retrieval")
    with ws.store.read() as s:
        choices = dict(code_choices(s, ws.project_id))
        names = coder_names(s)
        cases = case_table(s, ws.project_id)
    if not choices:
        st.info("No codes yet: load a codebook on the **Codebooks** page.")
        return
    code_ids = st.multiselect("Codes", list(choices), format_func=choices.get, key="ret_codes",
                              placeholder="All codes (a parent includes its sub-codes)")
    filters: dict[str, list] = {}
    columns = [c for c in cases.columns if c != "case" and 1 < cases[c].nunique(dropna=True) <= 30]
    with st.expander("Filter by case attributes, speaker role and coder", expanded=True):
        cols = st.columns(max(1, min(3, len(columns))) if columns else 1)
        for i, attr in enumerate(columns):
            values = sorted(cases[attr].dropna().unique().tolist(), key=str)
            picked = cols[i % len(cols)].multiselect(attr, values, key=f"ret_attr:{attr}", placeholder="any")
            if picked:
                filters[attr] = picked
        c1, c2 = st.columns(2)
        roles = c1.multiselect("Speaker role", ["interviewee", "interviewer", "other"], key="ret_roles",
                               placeholder="any role")
        if ws.blind:
            c2.caption("Blind coding: only your codings.")
            coders = [ws.coder_id]
        else:
            coders = c2.multiselect("Coder", list(names), format_func=names.get, key="ret_coders",
                                    placeholder="any coder")
    quotes = cached.quotes(ws, code_ids=code_ids or None, attribute_filters=filters or None, roles=roles or None,
                           coder_ids=coders or None)
    head = st.columns([3, 1], vertical_alignment="center")
    head[0].subheader(f"{len(quotes)} quote(s)")
    if not quotes.empty:
        # Written when clicked (a callable): 50,000 quotes took a second on every rerun of the page.
        head[1].download_button("Download CSV", lambda q=quotes: tables.to_bytes(
            {"quotes": q.drop(columns=["code_id", "source_id"])}, "csv"), "quotes.csv", "text/csv",
            icon=":material/download:")
    if quotes.empty:
        st.info("No coded text matches. Code some text on the **Coding** page, or widen the filters.")
        return
    for row in quotes.head(MAX_SHOWN).itertuples():
        with st.container(border=True):
            where = " · ".join(x for x in [row.source, row.case, f"{row.speaker} ({row.role})" if row.speaker else "",
                                           row.time, f"page {int(row.page)}" if row.page == row.page and row.page else "",
                                           f"coded by {row.coder}"] if x)
            c1, c2 = st.columns([5, 1], vertical_alignment="top")
            c1.markdown(f"**{md(row.code)}**  \n{md(where)}")
            if c2.button("Open", key=f"open:{row.coding_id}", icon=":material/open_in_new:",
                         help="Show this quote in its place on the coding page"):
                st.session_state["goto"] = {"source_id": int(row.source_id), "start": int(row.start), "end": int(row.end)}
                go_to("coding")
            st.markdown(quote_md(row.quote))
    if len(quotes) > MAX_SHOWN:
        st.caption(f"Showing the first {MAX_SHOWN}; download the CSV for all {len(quotes)}.")
