"""Crosstab drill-down on the Analysis page: click a cell of the table (or pick a code and a group)
to read the quotes that cell counted, each openable on the coding page."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from workbench.analysis.crosstab import Crosstab
from workbench.analysis.crosstab_query import cell_quotes
from workbench.analysis.presentation import crosstab_rows
from workbench.errors import WorkbenchError
from workbench.ui.navigation import go_to
from workbench.ui.safe import md, plain, quote_md
from workbench.ui.state import Workspace

MAX_QUOTES = 50


def crosstab_table(result: Crosstab) -> None:
    """The crosstab as a table whose cells can be clicked; a click on a group's cell chooses that
    code and group for :func:`cell_quotes_panel` below it."""
    frame = pd.DataFrame(crosstab_rows(result)).set_index("code")
    groups = {f"{g} (n={n})": g for g, n in result.group_sizes.items()}
    event = st.dataframe(frame, width="stretch", key="an_table", on_select="rerun", selection_mode="single-cell")
    cells = list(getattr(getattr(event, "selection", None), "cells", None) or [])
    if cells:
        row, column = cells[0][0], cells[0][1]
        code = frame.index[row] if isinstance(row, int) else row
        if column in groups and (code, groups[column]) != st.session_state.get("an_drill_last"):
            st.session_state["an_drill_last"] = (code, groups[column])
            st.session_state["an_drill_code"] = code
            st.session_state["an_drill_group"] = groups[column]
    st.caption("Click a count to read its quotes below.")


def cell_quotes_panel(ws: Workspace, result: Crosstab, by: str, *, codebook, roles, coder_ids, subcodes) -> None:
    """The quotes behind one cell: code and group chosen by a click on the table or here."""
    codes = list(result.table.index)
    groups = list(result.table.columns)
    if st.session_state.get("an_drill_code") not in codes:
        st.session_state.pop("an_drill_code", None)
    if st.session_state.get("an_drill_group") not in groups:
        st.session_state.pop("an_drill_group", None)
    st.subheader("Quotes behind a cell")
    c1, c2 = st.columns([3, 1])
    code = c1.selectbox("Code", codes, index=None, key="an_drill_code", placeholder="Click a count in the table, "
                        "or choose a code")
    group = c2.selectbox(by, groups, index=None, key="an_drill_group", placeholder="and a group")
    if code is None or group is None:
        return
    try:
        with ws.store.read() as s:
            quotes = cell_quotes(s, ws.project_id, by, code, group, codebook=codebook, roles=roles,
                                 coder_ids=coder_ids, subcodes=subcodes)
    except WorkbenchError as exc:
        st.error(plain(exc), icon=":material/error:")
        return
    if quotes.empty:
        st.info(f"No case with {md(by)} = {md(group)} has {md(code)}.")
        return
    cases = quotes["case"].nunique()
    st.markdown(f"**{len(quotes)} quote(s)** from {cases} case(s) with {md(by)} = {md(group)}")
    for i, q in enumerate(quotes.head(MAX_QUOTES).itertuples(index=False)):
        with st.container(border=True, key=f"an_quote:{i}"):
            head = st.columns([5, 1], vertical_alignment="center")
            head[0].caption(f"{md(q.source)} · {md(q.case)} · {md(q.speaker or '')} · {md(q.code)} · {md(q.coder)}")
            if head[1].button("Open", key=f"an_open:{i}", icon=":material/open_in_new:", width="stretch"):
                st.session_state["goto"] = {"source_id": int(q.source_id), "start": int(q.start), "end": int(q.end)}
                go_to("coding")
            st.markdown(quote_md(q.quote if len(q.quote) < 800 else q.quote[:800] + " …"))
    if len(quotes) > MAX_QUOTES:
        st.caption(f"The first {MAX_QUOTES}; the Retrieval page lists them all.")
