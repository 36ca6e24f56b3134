"""Text search on the Search page: every hit in context, a chart of where they are, code all hits
(or the chosen ones) in one undoable change, open a hit on the coding page."""
from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from workbench.analysis.text_search import code_hits, text_search
from workbench.codebook.lookup import code_choices
from workbench.db.models import Coder
from workbench.errors import WorkbenchError
from workbench.ui.navigation import go_to
from workbench.ui.safe import md, plain
from workbench.ui.state import Workspace, commit

MAX_SHOWN = 500


def render_text_search(ws: Workspace) -> None:
    """The form, the hits as keyword-in-context rows, and the actions on them."""
    with st.form("text_search"):
        c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
        query = c1.text_input("Words or phrases", key="ts_query", placeholder='fair*  "trade fair"  negócio',
                              help='Any of the words; "quotes" for a phrase; fair* for any ending. '
                                   "Case and accents are ignored.")
        respondents = c2.checkbox("Respondents only", value=False, key="ts_resp")
        st.form_submit_button("Search", type="primary", icon=":material/search:")
    if not query.strip():
        st.info('Type a word, a "phrase in quotes" or a prefix like *negoci\\**, and press Enter. '
                "Every hit is listed in its context and can be coded at once.")
        return
    try:
        with ws.store.read() as s:
            result = text_search(s, ws.project_id, query, roles=["interviewee"] if respondents else None)
            codes = dict(code_choices(s, ws.project_id))
    except WorkbenchError as exc:
        st.error(plain(exc), icon=":material/error:")
        return
    if not result.hits:
        st.info(f"No hits for {md(query)} in {result.turns_searched:,} turns"
                + (" (only respondents' turns were searched)." if respondents else "."))
        return
    st.markdown(f"**{md(result.summary())}**")
    shown = result.hits[:MAX_SHOWN]
    rows = []
    for h in shown:
        left, match, right = result.kwic(h, width=60)
        rows.append({"source": h.source, "turn": h.turn + 1, "speaker": h.speaker, "left": left,
                     "found": match, "right": right})
    frame = pd.DataFrame(rows)
    if result.sources_with_hits > 1:
        per = (pd.DataFrame([(h.source, h.case or "(no case)") for h in result.hits], columns=["source", "case"])
               .value_counts().rename("hits").reset_index().sort_values("hits"))
        fig = px.bar(per, x="hits", y="source", orientation="h", hover_data=["case"],
                     height=min(120 + 24 * len(per), 520), title="Hits per source")
        fig.update_layout(margin=dict(l=0, r=0, t=40, b=0), yaxis_title=None, legend_title=None)
        st.plotly_chart(fig, width="stretch", key="ts_chart")
    picked = st.dataframe(
        frame, hide_index=True, width="stretch", key="ts_table", on_select="rerun", selection_mode="multi-row",
        # Keyword in context: the left context ends at the hit (right-aligned), the right starts there.
        column_config={"source": st.column_config.TextColumn("source", width="small"),
                       "turn": st.column_config.NumberColumn("turn", width=50),
                       "speaker": st.column_config.TextColumn("speaker", width="small"),
                       "left": st.column_config.TextColumn("…context", width=270, alignment="right"),
                       "found": st.column_config.TextColumn("found", width=90, alignment="center"),
                       "right": st.column_config.TextColumn("context…", width=270)})
    if len(result.hits) > MAX_SHOWN:
        st.caption(f"Showing the first {MAX_SHOWN} of {len(result.hits):,} hits; coding all hits codes every one.")
    chosen_rows = list(picked.selection.rows) if picked and picked.selection else []
    with st.container(border=True):
        c1, c2, c3, c4 = st.columns([3, 2, 2, 1], vertical_alignment="bottom")
        code = c1.selectbox("Code", list(codes), format_func=codes.get, index=None, key="ts_code",
                            placeholder="Choose a code" if codes else "Load a codebook first")
        unit = c2.radio("Code", ["the words found", "the whole turn"], key="ts_unit", horizontal=True,
                        label_visibility="hidden")
        targets = [shown[i] for i in chosen_rows] if chosen_rows else result.hits
        label = f"Code {len(targets)} selected" if chosen_rows else f"Code all {len(result.hits)} hits"
        if c3.button(label, type="primary", disabled=code is None, key="ts_code_all", width="stretch",
                     help="Select rows in the table to code only those"):
            ok, counts = commit(ws, f"code {len(targets)} search hit(s) for {query!r} with {codes[code]}",
                                lambda s: code_hits(s, ws.project_id, targets, code, s.get(Coder, ws.coder_id),
                                                    unit="turn" if unit == "the whole turn" else "hit"))
            if ok:
                created, existing = counts
                st.success(f"Coded {created} {'turn' if unit == 'the whole turn' else 'hit'}(s) with "
                           f"{md(codes[code])}" + (f"; {existing} already had it" if existing else "")
                           + ". Undo in the sidebar takes it back.", icon=":material/check:")
        if c4.button("Open", key="ts_open", disabled=len(chosen_rows) != 1, icon=":material/open_in_new:",
                     help="Select one row to open it on the coding page"):
            h = shown[chosen_rows[0]]
            st.session_state["goto"] = {"source_id": h.source_id, "start": h.start, "end": h.end}
            go_to("coding")
