"""Analysis page: compare themes across groups of cases, with a chart and statistics."""
from __future__ import annotations

import plotly.express as px
import streamlit as st

from workbench.analysis.cooccurrence import cooccurrence_matrix
from workbench.analysis.counts import code_source_matrix, frequencies
from workbench.analysis.crosstab import COUNTS
from workbench.analysis.presentation import readable
from workbench.analysis.retrieval import coding_count
from workbench.analysis.significance import ADJUSTMENTS
from workbench.codebook.lookup import codebook_choices, get_codebook
from workbench.codebook.storage import codebook_summary
from workbench.corpus.cases import case_table
from workbench.corpus.sources import source_choices
from workbench.errors import AnalysisProblem
from workbench.ui import cached
from workbench.ui.safe import md, plain
from workbench.ui.state import Workspace
from workbench.ui.widgets.drill_down import cell_quotes_panel, crosstab_table


def render(ws: Workspace) -> None:
    st.title("Analysis")
    with ws.store.read() as s:
        books = codebook_choices(s, ws.project_id)
        used = {r["codebook"]: r["codings"] for r in codebook_summary(s, ws.project_id)}
        cases = case_table(s, ws.project_id)
    attributes = [c for c in cases.columns if c != "case"]
    if not books or not attributes:
        st.info("A crosstab needs a codebook and a case table with attributes (e.g. sector). "
                "Load them on the **Codebooks** and **Sources & cases** pages.")
        return
    c1, c2, c3, c4 = st.columns([2, 1, 1, 1])
    busiest = max(range(len(books)), key=lambda i: used.get(books[i][1], 0))   # open on what has codings
    book = c1.selectbox("Codebook", [b for b, _ in books], format_func=dict(books).get, key="an_book", index=busiest)
    by = c2.selectbox("Compare by", attributes, index=attributes.index("sector") if "sector" in attributes else 0,
                      key="an_by")
    count = c3.selectbox("Count", list(COUNTS), key="an_count",
                         format_func={"cases": "cases having the code", "sources": "sources", "codings": "codings"}.get)
    roles = c4.multiselect("Speaker role", ["interviewee", "interviewer", "other"], key="an_roles",
                           placeholder="any role")
    with st.expander("Counting and tests", icon=":material/tune:"):
        o1, o2, o3 = st.columns(3)
        subcodes = o1.toggle("A parent counts its sub-codes", value=True, key="an_subcodes",
                             help="On: a case has 'Barriers' when it has any barrier. Off: only codings of the "
                                  "parent code itself.")
        adjustment = o2.selectbox("Adjust p-values for many codes", list(ADJUSTMENTS), format_func=ADJUSTMENTS.get,
                                  key="an_adjust", help="Holm controls the chance of any false finding; "
                                                        "Benjamini-Hochberg the share of false findings.")
        alpha = o3.selectbox("Significance level", [0.05, 0.01, 0.10], key="an_alpha")
    with ws.store.read() as s:
        cb = get_codebook(s, ws.project_id, book)
        ids = [c.id for c in cb.codes]
        mine = [ws.coder_id] if ws.blind else None
        coded = coding_count(s, ws.project_id, code_ids=ids, coder_ids=mine)
        names = dict(source_choices(s, ws.project_id))
    try:
        result = cached.crosstab(ws, by, codebook=book, count=count, roles=roles or None, coder_ids=mine,
                                 subcodes=subcodes, adjustment=adjustment, alpha=alpha)
    except AnalysisProblem as exc:
        st.warning(plain(exc))
        return
    if not coded:
        st.info("Nothing is coded with this codebook yet: code some text on the **Coding** page.")
        return
    tab_table, tab_freq, tab_cooc, tab_matrix = st.tabs(["Crosstab", "Frequencies", "Co-occurrence", "Code x source"])
    with tab_freq:
        freq = frequencies(cached.quotes(ws, code_ids=ids, roles=roles or None, include_subcodes=False,
                                         coder_ids=mine))
        st.plotly_chart(px.bar(freq, x="cases", y="code", orientation="h", hover_data=["codings", "sources", "coded_words"],
                               height=max(300, 30 * len(freq))).update_layout(yaxis={"autorange": "reversed"}),
                        width="stretch")
        st.dataframe(readable(freq), hide_index=True, width="stretch")
    with tab_table:
        pct = result.col_percent.fillna(0).round(1)
        long = pct.reset_index().melt(id_vars="code", var_name=by, value_name="percent")
        fig = px.bar(long, y="code", x="percent", color=by, barmode="group", orientation="h",
                     labels={"percent": f"% of {count} in the group"}, height=max(320, 32 * len(pct) * 1.2))
        fig.update_layout(yaxis={"autorange": "reversed"}, legend_title_text=by, margin={"l": 10, "r": 10})
        st.plotly_chart(fig, width="stretch")
        crosstab_table(result)
        if result.tests:
            st.subheader("Does having the code depend on the group?")
            st.markdown(md(result.summary()))
            st.caption("Fisher's exact test for two groups, its Freeman-Halton extension for more groups with small "
                       "expected counts, Pearson's chi-square otherwise; '–' where no test applies (the note says "
                       "why). V is Cramér's V with Bergsma's bias correction. Adjusted residuals above 1.96 (below "
                       "-1.96) mark groups where the code is more (less) frequent than independence would predict.")
            with st.expander("Residuals and details"):
                st.dataframe(result.tests_frame().round(3), hide_index=True, width="stretch")
        if result.excluded_cases:
            st.caption("Not in the bases: " + md(", ".join(f"{c} ({why})" for c, why in result.excluded_cases)))
        for w in result.warnings:
            st.warning(plain(w))
        cell_quotes_panel(ws, result, by, codebook=book, roles=roles or None, coder_ids=mine, subcodes=subcodes)
    with tab_cooc:
        unit = st.radio("Together in", ["overlap", "turn"], horizontal=True, key="an_cooc_unit",
                        format_func={"overlap": "overlapping codings", "turn": "the same speaker turn"}.get)
        co = cached.cooccurrences(ws, unit, code_ids=ids, roles=roles or None, include_subcodes=False,
                                  coder_ids=mine)
        if co.empty:
            st.info("No two codes of this codebook occur together yet.")
        else:
            matrix = cooccurrence_matrix(co)
            st.plotly_chart(px.imshow(matrix, text_auto=True, aspect="auto", color_continuous_scale="Blues",
                                      labels={"x": "", "y": "", "color": "together"},
                                      height=max(360, 40 * len(matrix))), width="stretch")
            st.dataframe(readable(co.round(3)), hide_index=True, width="stretch")
    with tab_matrix:
        counted = (cached.quotes(ws, code_ids=ids, roles=roles or None, include_subcodes=False, coder_ids=mine)
                   if roles else cached.counts(ws, code_ids=ids, coder_ids=mine))
        matrix = code_source_matrix(counted.assign(source=counted["source_id"].map(names)))
        if matrix.empty:
            st.info("Nothing coded with this codebook yet.")
        else:
            st.plotly_chart(px.imshow(matrix, text_auto=True, aspect="auto", color_continuous_scale="Greens"),
                            width="stretch")
