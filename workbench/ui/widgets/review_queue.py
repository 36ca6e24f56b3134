"""The review queue: pending suggestions in context, accepted or rejected one by one, by rule or
all shown; on the Autocoding page and, per source, beside the transcript on the Coding page."""
from __future__ import annotations

import streamlit as st

from workbench.autocode.review import pending, review
from workbench.db.models import Coder
from workbench.ui.safe import md
from workbench.ui.state import Workspace, commit

PAGE = 25


@st.fragment
def review_queue(ws: Workspace, runs, *, source_id: int | None = None) -> None:
    """Pending suggestions in context, with accept/reject one by one, by rule, or all shown."""
    skipped = st.session_state.pop("autocode_skipped", None)
    if skipped:
        st.warning(f"{len(skipped)} suggestion(s) could not become codings and stay pending:\n\n"
                   + "\n".join(f"- {md(line)}" for line in skipped[:20]))
    with ws.store.read() as s:
        rows = pending(s, ws.project_id, source_id=source_id)
    if not rows:
        st.info("No suggestions waiting. Run the rules first." if source_id is None else
                "No suggestions waiting for this source.")
        return
    rules = sorted({r["rule"] for r in rows})
    codes = sorted({r["code"] for r in rows})
    key = f"rq{source_id or ''}"
    c1, c2, c3 = st.columns(3)
    rule = c1.selectbox("Rule", [None, *rules], format_func=lambda x: "All rules" if x is None else x, key=f"{key}:rule")
    code = c2.selectbox("Code", [None, *codes], format_func=lambda x: "All codes" if x is None else x, key=f"{key}:code")
    run_ids = sorted({r["run"] for r in rows}, reverse=True)
    run = c3.selectbox("Run", [None, *run_ids], format_func=lambda x: "All runs" if x is None else f"Run {x}",
                       key=f"{key}:run")
    shown = [r for r in rows if (rule is None or r["rule"] == rule) and (code is None or r["code"] == code)
             and (run is None or r["run"] == run)]
    b1, b2, b3 = st.columns([2, 1, 1], vertical_alignment="center")
    b1.write(f"**{len(shown)}** suggestion(s) shown")
    if b2.button("Accept all shown", key=f"{key}:acc_all", icon=":material/done_all:"):
        _decide(ws, [r["id"] for r in shown], True)
    if b3.button("Reject all shown", key=f"{key}:rej_all", icon=":material/block:"):
        _decide(ws, [r["id"] for r in shown], False)
    for r in shown[:PAGE]:
        with st.container(border=True):
            head = st.columns([4, 1, 1], vertical_alignment="center")
            head[0].markdown(f"**{md(r['code'])}** · {md(r['source'])} · rule {md(r['rule'])} · matched "
                             f"*{md(r['matched'])}*")
            if head[1].button("Accept", key=f"{key}:acc:{r['id']}", type="primary", width="stretch"):
                _decide(ws, [r["id"]], True)
            if head[2].button("Reject", key=f"{key}:rej:{r['id']}", width="stretch"):
                _decide(ws, [r["id"]], False)
            st.markdown("> " + md(r["text"]).replace("\n", "\n> "))
    if len(shown) > PAGE:
        st.caption(f"Showing {PAGE} of {len(shown)}; decide these, or narrow by rule or code.")


def _decide(ws: Workspace, ids: list[int], accept: bool) -> None:
    ok, result = commit(ws, f"{'accept' if accept else 'reject'} {len(ids)} suggestion(s)",
                        lambda s: review(s, ws.project_id, ids, accept=accept,
                                                  coder=s.get(Coder, ws.coder_id)))
    if ok:
        st.toast(f"{result.changed} suggestion(s) {'accepted' if accept else 'rejected'}")
        # Shown after the rerun, above the queue: these stayed pending.
        st.session_state["autocode_skipped"] = result.skipped
        st.rerun()
