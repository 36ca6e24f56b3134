"""Word frequencies on the Search page: a bar chart of the most frequent words and the table with
the forms each word merged; stop words, lemmas, an exclusion list and the speakers counted are
the reader's to choose."""
from __future__ import annotations

import plotly.express as px
import streamlit as st

from workbench.analysis.word_frequencies import word_frequencies
from workbench.errors import WorkbenchError
from workbench.exchange.tables import to_bytes
from workbench.ui.safe import md, plain
from workbench.ui.state import Workspace


def render_word_frequencies(ws: Workspace) -> None:
    """Options, chart, table, download."""
    c1, c2, c3, c4 = st.columns([1, 1, 1, 1], vertical_alignment="bottom")
    top = c1.number_input("Words", 5, 500, 30, 5, key="wf_top")
    respondents = c2.checkbox("Respondents only", value=True, key="wf_resp")
    lemmas = c3.checkbox("Merge forms (lemmas)", value=True, key="wf_lemmas",
                         help="'companies' counts as 'company' (spaCy lookup lemmas of each turn's language)")
    stops = c4.checkbox("Leave out stop words", value=True, key="wf_stops",
                        help="'the', 'que', 'und'… (spaCy's list for each turn's language)")
    exclude = st.text_input("Leave out these words", key="wf_exclude", placeholder="yes, okay, euros",
                            help="Separated by commas; with lemmas on, every form of a word goes")
    try:
        with ws.store.read() as s:
            result = word_frequencies(s, ws.project_id, roles=["interviewee"] if respondents else None,
                                      lemmas=lemmas, drop_stop_words=stops, limit=int(top),
                                      exclude=[w for w in exclude.split(",") if w.strip()])
    except WorkbenchError as exc:
        st.error(plain(exc), icon=":material/error:")
        return
    if result.table.empty:
        st.info("No words to count: import transcripts on the **Sources & cases** page"
                + (", or untick *Respondents only* (no speaker has the interviewee role yet)." if respondents else "."))
        return
    st.caption(f"{result.total_words:,} words in {result.sources} source(s); languages: "
               f"{md(', '.join(result.languages))}. " + md(" ".join(result.notes)))
    frame = result.table
    fig = px.bar(frame.iloc[::-1], x="count", y="word", orientation="h", hover_data=["forms", "sources"],
                 height=min(140 + 22 * len(frame), 900), title=f"The {len(frame)} most frequent words")
    fig.update_layout(margin=dict(l=0, r=0, t=40, b=0), yaxis_title=None)
    st.plotly_chart(fig, width="stretch", key="wf_chart")
    st.dataframe(frame, hide_index=True, width="stretch", key="wf_table")
    st.download_button("Download CSV", to_bytes({"words": frame}, "csv"), "word-frequencies.csv", "text/csv",
                       icon=":material/download:", key="wf_csv")
