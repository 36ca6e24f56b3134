"""Search page: the words of the sources (every hit in context, codable at once), their
frequencies, and turns ranked by closeness in meaning (each hit codable with one click: the turn,
or its sentence closest to the query)."""
from __future__ import annotations

import streamlit as st

from workbench.autocode.search import search
from workbench.codebook.lookup import code_choices
from workbench.coding.codings import apply_code
from workbench.corpus.sources import get_source
from workbench.db.models import Coder
from workbench.errors import WorkbenchError
from workbench.ui.navigation import go_to
from workbench.ui.safe import md, plain
from workbench.ui.state import Workspace, commit
from workbench.ui.widgets.text_search import render_text_search
from workbench.ui.widgets.word_frequencies import render_word_frequencies

MODES = ["Words in context", "Word frequencies", "By meaning"]


def render(ws: Workspace) -> None:
    st.title("Search")
    mode = st.segmented_control("Search", MODES, default=MODES[0], key="search_mode", label_visibility="collapsed")
    if mode == MODES[1]:
        render_word_frequencies(ws)
    elif mode == MODES[2]:
        _meaning(ws)
    else:
        render_text_search(ws)


def _meaning(ws: Workspace) -> None:
    st.caption("Finds what the interviews say about something, whatever the words: the turns whose closest sentence "
               "comes nearest in meaning to your query (all-MiniLM-L6-v2, on this machine; English sources).")
    with ws.store.read() as s:
        codes = dict(code_choices(s, ws.project_id))
    with st.form("meaning_search"):
        c1, c2, c3 = st.columns([5, 1, 1], vertical_alignment="bottom")
        query = c1.text_input("Passages about…", key="ms_query", placeholder="sharing the cost of a stand at a fair")
        limit = c2.number_input("Hits", 5, 200, 20, 5, key="ms_limit")
        respondents = c3.checkbox("Respondents only", value=True, key="ms_resp")
        st.form_submit_button("Search", type="primary", icon=":material/search:")
    if not query.strip():
        st.info("Type what the passages should be about, e.g. *costs of trade fairs* or *learning from a partner*, "
                "and press Enter.")
        return
    bar = st.progress(0.0, text="embedding new sentences (once; kept for the next searches)…")
    try:
        result = search(ws.store, ws.project_id, query, limit=int(limit),
                        roles=["interviewee"] if respondents else None,
                        progress=lambda done, total: bar.progress(done / max(total, 1),
                                                                  text=f"embedding sentences: {done} of {total}"))
    except WorkbenchError as exc:
        bar.empty()
        st.error(plain(exc), icon=":material/error:")
        return
    bar.empty()
    if result.left_out:
        st.caption("Not searched by meaning (the model covers English only): " + md(", ".join(result.left_out)))
    if not result.hits:
        st.info("Nothing to search yet: import English transcripts on the **Sources & cases** page.")
        return
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    left.markdown(f"**{len(result.hits)}** closest of {result.searched_turns} turns")
    code = right.selectbox("Code to apply", list(codes), format_func=codes.get, index=None, key="ms_code",
                           placeholder="Choose a code to code hits with one click")
    for i, hit in enumerate(result.hits):
        with st.container(border=True, key=f"ms_hit:{i}"):
            head = st.columns([4, 1, 1, 1], vertical_alignment="center")
            head[0].markdown(f"**{md(hit.source)}** · similarity {hit.score:.2f}")
            for col, label, span in ((head[1], "Code turn", (hit.start, hit.end)),
                                     (head[2], "Code sentence", (hit.sentence_start, hit.sentence_end))):
                if col.button(label, key=f"ms_code:{i}:{label}", disabled=code is None, width="stretch",
                              help="Choose a code above first" if code is None else f"Code with {codes[code]}"):
                    _code(ws, hit, code, codes[code], span)
            if head[3].button("Open", key=f"ms_open:{i}", icon=":material/open_in_new:", width="stretch"):
                st.session_state["goto"] = {"source_id": hit.source_id, "start": hit.start, "end": hit.end}
                go_to("coding")
            a, b = hit.sentence_start - hit.start, hit.sentence_end - hit.start
            st.markdown(md(hit.text[:a]) + f":orange-background[**{md(hit.text[a:b])}**]" + md(hit.text[b:]))


def _code(ws: Workspace, hit, code_id: int, code_name: str, span: tuple[int, int]) -> None:
    ok, _ = commit(ws, f"code a search hit with {code_name}",
                   lambda s: apply_code(s, get_source(s, ws.project_id, str(hit.source_id)), code_id,
                                        s.get(Coder, ws.coder_id), span[0], span[1]))
    if ok:
        st.toast(f"Coded with {md(code_name)} in {md(hit.source)} (Undo in the sidebar takes it back)")
