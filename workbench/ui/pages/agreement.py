"""Agreement page: do two (or more) coders agree? Per code and pooled, with the disagreements."""
from __future__ import annotations

import streamlit as st

from workbench.analysis.agreement import UNITS, agreement_table, disagreements
from workbench.analysis.retrieval import coded_quotes, segments_frame, source_texts
from workbench.errors import AgreementProblem
from workbench.ui.state import Workspace


def render(ws: Workspace) -> None:
    st.title("Inter-coder agreement")
    if ws.blind:
        st.info("Blind coding is on: agreement would show your colleagues' codings. Turn it off in the sidebar "
                "when everyone has finished coding.")
        return
    with ws.store.read() as s:
        quotes = coded_quotes(s, ws.project_id, include_subcodes=False)
        segments = segments_frame(s, ws.project_id)
        texts = source_texts(s, ws.project_id)
    active = sorted(set(quotes["coder"])) if not quotes.empty else []
    if len(active) < 2:
        st.info("Agreement compares two or more coders who coded the same sources. So far "
                f"{len(active)} coder(s) have coded here. Ask a colleague to code a few interviews "
                "(each coder types their name in the sidebar).")
        return
    c1, c2 = st.columns([2, 1])
    coders = c1.multiselect("Coders", active, default=active[:2], key="ag_coders")
    unit = c2.radio("Unit", list(UNITS), index=1, horizontal=True, key="ag_unit",
                    help="character: every character; turn: a speaker turn has the code or not; "
                         "source: the interview has the code or not.")
    if len(coders) < 2:
        st.warning("Choose at least two coders.")
        return
    try:
        table = agreement_table(quotes, segments, coders, unit=unit)
    except AgreementProblem as exc:
        st.warning(str(exc))
        return
    pooled = table[table["code"] == "all codes (pooled)"].iloc[0]
    m1, m2, m3 = st.columns(3)
    m1.metric("Percent agreement", f"{pooled['percent_agreement']:.1%}")
    m2.metric("Cohen's kappa", "—" if pooled["cohen_kappa"] != pooled["cohen_kappa"] else f"{pooled['cohen_kappa']:.2f}")
    m3.metric("Krippendorff's alpha", f"{pooled['krippendorff_alpha']:.2f}")
    st.dataframe(table.round(3), hide_index=True, width="stretch")
    st.caption("Alpha of 0.80 or more is commonly taken as reliable, 0.667-0.80 for tentative conclusions "
               "(Krippendorff 2004).")
    st.subheader("Disagreements to discuss")
    d = disagreements(quotes, segments, coders, texts=texts)
    if d.empty:
        st.success("No disagreements at the turn level.")
    else:
        sources = dict(zip(quotes["source_id"], quotes["source"]))
        d.insert(0, "source", d.pop("source_id").map(sources))
        st.dataframe(d, hide_index=True, width="stretch")
