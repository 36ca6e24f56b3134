"""Agreement page: do two (or more) coders agree? Over the sources every one of them finished, per
code and pooled, with the disagreements and who has finished what."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from workbench.analysis.agreement import RELIABLE, TENTATIVE, UNITS, shown
from workbench.analysis.presentation import agreement_rows, pooled_words
from workbench.codebook.lookup import codebook_choices
from workbench.coding.status import status_rows
from workbench.errors import WorkbenchError
from workbench.ui import cached
from workbench.ui.safe import md, plain
from workbench.ui.state import Workspace

UNIT_HELP = {"character": "every character of the turns", "turn": "a speaker turn has the code or not",
             "source": "the interview has the code or not"}


def render(ws: Workspace) -> None:
    st.title("Inter-coder agreement")
    if ws.blind:
        st.info("Blind coding is on: agreement would show your colleagues' codings. Turn it off in the sidebar "
                "when everyone has finished coding.")
        return
    with ws.store.read() as s:
        status = status_rows(s, ws.project_id)
        books = codebook_choices(s, ws.project_id)
    active = sorted({r["coder"] for r in status if r["codings"] or r["done"] == "yes"})
    if len(active) < 2:
        st.info("Agreement compares two or more coders who coded the same sources. So far "
                f"{len(active)} coder(s) have coded here. Ask a colleague to code a few interviews "
                "(each coder types their name in the sidebar) and to mark each interview done on the coding page.")
        return
    c1, c2, c3 = st.columns([2, 2, 2])
    coders = c1.multiselect("Coders", active, default=active[:2], key="ag_coders")
    book = c2.selectbox("Codebook", [None, *[b for b, _ in books]], key="ag_book",
                        format_func=lambda b: "All codebooks" if b is None else dict(books)[b])
    unit = c3.radio("Unit", list(UNITS), index=1, horizontal=True, key="ag_unit",
                    help="; ".join(f"{u}: {h}" for u, h in UNIT_HELP.items()))
    interviewer = st.toggle("Count the interviewer's turns too", key="ag_interviewer",
                            help="Off (the default): only respondents' turns are units - interviewer questions, "
                                 "which nobody codes, would make agreement look higher than it is.")
    if len(coders) < 2:
        st.warning("Choose at least two coders.")
        return
    try:
        found = cached.agreement(ws, coders, unit=unit, codebook=book, include_interviewer=interviewer,
                                 with_disagreements=True)
    except WorkbenchError as exc:
        st.warning(plain(exc))
        _status(status, coders)
        return
    result = found.result
    pooled = result.pooled
    m1, m2, m3 = st.columns(3)
    m1.metric("Percent agreement", shown(pooled["percent_agreement"] * 100, 1) + "%")
    m2.metric("Cohen's kappa", shown(pooled["cohen_kappa"], 2) if len(coders) == 2 else "– (two coders only)")
    m3.metric("Krippendorff's alpha", shown(pooled["krippendorff_alpha"], 2))
    st.caption(f"Over {len(result.compared)} source(s) "
               + ("every chosen coder marked done" if result.basis == "marked done" else
                  "every chosen coder coded in (nobody has marked any source done)")
               + f"; unit: {md(result.unit_words())}. {md(pooled_words(result))}. Alpha of {RELIABLE:.2f} or more "
               f"is commonly taken as reliable, {TENTATIVE:.3f} to {RELIABLE:.2f} for tentative conclusions "
               "(Krippendorff 2004); 'undefined (no variation)' means every unit got the same value from everyone.")
    st.dataframe(pd.DataFrame(agreement_rows(result)), hide_index=True, width="stretch",
                 column_config={"code": st.column_config.TextColumn(pinned=True)})
    for w in result.warnings:
        st.warning(plain(w))
    if result.excluded:
        with st.expander(f"Not compared: {len(result.excluded)} source(s)", icon=":material/block:"):
            st.dataframe(found.excluded_rows(), hide_index=True, width="stretch")
    st.subheader("Disagreements to discuss")
    d = found.disagreements
    if d is None or d.empty:
        st.success("No disagreements at the turn level.")
    else:
        st.dataframe(d, hide_index=True, width="stretch")
    _status(status, coders)


def _status(status: list[dict], coders: list[str]) -> None:
    with st.expander("Who has finished which source", icon=":material/task_alt:"):
        rows = [r for r in status if r["coder"] in coders]
        if not rows:
            st.caption("Nothing yet.")
            return
        frame = pd.DataFrame(rows)
        table = frame.pivot_table(index="source", columns="coder", values="done", aggfunc="first").fillna("no")
        st.dataframe(table, width="stretch")
        st.caption("Each coder marks a source done on the coding page once they have coded all of it; only sources "
                   "every compared coder marked done are compared.")
