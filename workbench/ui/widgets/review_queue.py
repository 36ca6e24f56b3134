"""The review queue: pending suggestions in context, each with who proposed it and why, the
words that made it highlighted; accepted or rejected one by one or all shown; on the Autocoding
page and, per source, beside the transcript on the Coding page."""
from __future__ import annotations

import streamlit as st

from workbench.autocode.review import highlight_parts, pending, review
from workbench.db.models import Coder
from workbench.ui.safe import md
from workbench.ui.state import Workspace, commit

PAGE = 25
SUGGESTERS = {"rules": "Rules", "learned": "Learned from your coding", "semantic": "By meaning", "llm": "LLM"}


def _marked(parts: list[tuple[str, bool]]) -> str:
    """Markdown of the text with the highlighted piece on a coloured background, escaped."""
    out = []
    for piece, mark in parts:
        escaped = md(piece).replace("\n", "  \n")
        out.append(f":orange-background[**{escaped}**]" if mark and piece.strip() else escaped)
    return "".join(out)


@st.fragment
def review_queue(ws: Workspace, runs, *, source_id: int | None = None) -> None:
    """Pending suggestions in context, filterable by suggester, code, rule and run."""
    skipped = st.session_state.pop("autocode_skipped", None)
    if skipped:
        st.warning(f"{len(skipped)} suggestion(s) could not become codings and stay pending:\n\n"
                   + "\n".join(f"- {md(line)}" for line in skipped[:20]))
    key = f"rq{source_id or ''}"
    by_confidence = st.toggle("Most confident first", value=True, key=f"{key}:conf",
                              help="Rules give no score and count as certain")
    with ws.store.read() as s:
        rows = pending(s, ws.project_id, source_id=source_id, by_confidence=by_confidence)
    if not rows:
        st.info("No suggestions waiting. Start a run in the first tab." if source_id is None else
                "No suggestions waiting for this source.")
        return
    c0, c1, c2, c3, c4 = st.columns(5)
    suggesters = sorted({r["suggester"] for r in rows})
    who = c0.selectbox("Suggester", [None, *suggesters], format_func=lambda x: "All suggesters" if x is None
                       else SUGGESTERS.get(x, x), key=f"{key}:who")
    rules = sorted({r["rule"] for r in rows if r["rule"]})
    rule = c1.selectbox("Rule", [None, *rules], format_func=lambda x: "All rules" if x is None else x, key=f"{key}:rule")
    codes = sorted({r["code"] for r in rows})
    code = c2.selectbox("Code", [None, *codes], format_func=lambda x: "All codes" if x is None else x, key=f"{key}:code")
    names = sorted({r["source"] for r in rows})
    where = c3.selectbox("Source", [None, *names], format_func=lambda x: "All sources" if x is None else x,
                         key=f"{key}:source", disabled=source_id is not None)
    run_ids = sorted({r["run"] for r in rows}, reverse=True)
    run = c4.selectbox("Run", [None, *run_ids], format_func=lambda x: "All runs" if x is None else f"Run {x}",
                       key=f"{key}:run")
    shown = [r for r in rows if (who is None or r["suggester"] == who) and (rule is None or r["rule"] == rule)
             and (code is None or r["code"] == code) and (run is None or r["run"] == run)
             and (where is None or r["source"] == where)]
    b1, b2, b3 = st.columns([2, 1, 1], vertical_alignment="center")
    b1.write(f"**{len(shown)}** suggestion(s) shown")
    if b2.button("Accept all shown", key=f"{key}:acc_all", icon=":material/done_all:"):
        _decide(ws, [r["id"] for r in shown], True)
    if b3.button("Reject all shown", key=f"{key}:rej_all", icon=":material/block:"):
        _decide(ws, [r["id"] for r in shown], False)
    for r in shown[:PAGE]:
        with st.container(border=True, key=f"{key}:sug:{r['id']}"):
            head = st.columns([4, 1, 1], vertical_alignment="center")
            score = "" if r["score"] is None else f" · {r['score']:.2f}"
            head[0].markdown(f"**{md(r['code'])}** · {md(r['source'])} · "
                             f":blue-badge[{md(SUGGESTERS.get(r['suggester'], r['suggester']))}{md(score)}]")
            if head[1].button("Accept", key=f"{key}:acc:{r['id']}", type="primary", width="stretch"):
                _decide(ws, [r["id"]], True)
            if head[2].button("Reject", key=f"{key}:rej:{r['id']}", width="stretch"):
                _decide(ws, [r["id"]], False)
            st.caption("Why: " + md(r["reasons"]))
            st.markdown(_marked(highlight_parts(r)))
    if len(shown) > PAGE:
        st.caption(f"Showing {PAGE} of {len(shown)}; decide these, or narrow by suggester, source, rule or code.")


def _decide(ws: Workspace, ids: list[int], accept: bool) -> None:
    ok, result = commit(ws, f"{'accept' if accept else 'reject'} {len(ids)} suggestion(s)",
                        lambda s: review(s, ws.project_id, ids, accept=accept, coder=s.get(Coder, ws.coder_id)))
    if ok:
        st.toast(f"{result.changed} suggestion(s) {'accepted' if accept else 'rejected'}")
        # Shown after the rerun, above the queue: these stayed pending.
        st.session_state["autocode_skipped"] = result.skipped
        st.rerun()
