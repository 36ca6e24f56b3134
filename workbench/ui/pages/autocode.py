"""Autocoding page: run a codebook's rules, review the suggestions, undo a run, measure accuracy."""
from __future__ import annotations

import streamlit as st

from workbench.autocode import runs as run_store
from workbench.autocode.evaluation import evaluate, evaluation_inputs
from workbench.codebook.lookup import codebook_choices
from workbench.coding.quotes_import import import_codings, import_codings_file
from workbench.config import load_settings
from workbench.corpus.sources import source_choices
from workbench.demo import demo_gold
from workbench.errors import WorkbenchError
from workbench.project.coders import coder_names
from workbench.ui.safe import md
from workbench.ui.state import Workspace, commit, shows_errors
from workbench.ui.widgets.review_queue import review_queue


def render(ws: Workspace) -> None:
    st.title("Autocoding")
    st.caption("Rules in a codebook propose codings; nothing is coded until you accept a suggestion. "
               "The rule language is in docs/autocoding-rules.md.")
    with ws.store.read() as s:
        books = codebook_choices(s, ws.project_id)
        sources = source_choices(s, ws.project_id)
        runs = run_store.runs(s, ws.project_id)
    tab_run, tab_review, tab_eval = st.tabs(["Run", "Review queue", "Accuracy"])
    with tab_run:
        _run(ws, books, sources, runs)
    with tab_review:
        review_queue(ws, runs)
    with tab_eval:
        _accuracy(ws, runs)


def _run(ws: Workspace, books, sources, runs) -> None:
    with st.form("autocode_run"):
        chosen = st.multiselect("Codebooks", [b for b, _ in books], format_func=dict(books).get,
                                placeholder="All codebooks with rules")
        picked = st.multiselect("Sources", [x for x, _ in sources], format_func=dict(sources).get,
                                placeholder="All sources")
        go = st.form_submit_button("Run the rules", type="primary", icon=":material/auto_fix_high:")
    if go:
        bar = st.progress(0.0, text="matching…")
        try:
            result = run_store.run(ws.store, ws.project_id, ws.coder_id, codebook_ids=chosen or None,
                                  source_ids=picked or None,
                                  progress=lambda done, total: bar.progress(done / max(total, 1),
                                                                             text=f"{done} of {total} turns"))
        except WorkbenchError as exc:
            bar.empty()
            st.error(str(exc), icon=":material/error:")
            return
        bar.empty()
        # Shown after a rerun, so that the runs below and the other tabs already know this run.
        st.session_state["autocode_done"] = (
            f"Run {result.run_id}: {result.suggestions} suggestions over {result.turns} turns "
            f"({result.skipped_known} already decided or coded were not proposed again). Review them in the next tab.")
        st.rerun()
    done = st.session_state.pop("autocode_done", None)
    if done:
        st.success(done, icon=":material/check:")
    if runs:
        st.subheader("Runs")
        for r in runs:
            c1, c2 = st.columns([5, 1], vertical_alignment="center")
            c1.write(f"Run {r['id']} · {r['when']} · {r['status']} · {md(r['message'] or '')}")
            if r["status"] != "cancelled" and c2.button("Undo run", key=f"undo_run:{r['id']}",
                                                        help="Remove its suggestions and the codings accepted from it"):
                ok, res = commit(ws, f"undo autocoding run {r['id']}",
                                 lambda s, r=r: run_store.undo_run(s, ws.project_id, r["id"]))
                if ok:
                    st.toast(f"Run {r['id']} undone: {res['suggestions']} suggestions, {res['codings']} codings removed")
                    st.rerun()


def _imported_note() -> None:
    note = st.session_state.pop("ev_imported", None)
    if note:
        st.success(md(note), icon=":material/check:")


def _accuracy(ws: Workspace, runs) -> None:
    _imported_note()
    if not runs:
        st.info("Run the rules first; then compare a run with human codings of the same sources.")
        _import_codings(ws)
        return
    with ws.store.read() as s:
        names = coder_names(s)
    c1, c2 = st.columns(2)
    run = c1.selectbox("Run", [r["id"] for r in runs], format_func=lambda x: f"Run {x}", key="ev_run")
    gold = c2.multiselect("Human coders (the truth)", list(names), format_func=names.get, key="ev_gold",
                          placeholder="All manual codings")
    try:
        with ws.store.read() as s:
            pred, truth, segments, texts = evaluation_inputs(s, ws.project_id, run, gold or None)
    except WorkbenchError as exc:
        st.warning(str(exc))
        return
    if truth.empty:
        st.info("Nobody has coded these sources by hand with these codes yet, so there is nothing to compare "
                "with: code some turns on the coding page, or import hand codings below.")
        _import_codings(ws)
        return
    scores, fps, misses = evaluate(pred, truth, segments, texts)
    overall = scores[scores["code"] == "all codes"].iloc[0]
    cols = st.columns(4)
    for col, (label, key) in zip(cols, [("Precision (turns)", "turn_precision"), ("Recall (turns)", "turn_recall"),
                                        ("F1 (turns)", "turn_f1"), ("F1 (characters)", "char_f1")]):
        value = overall[key]
        col.metric(label, "–" if value != value else f"{value:.2f}")
    st.dataframe(scores.round(2), hide_index=True, width="stretch")
    c1, c2 = st.columns(2)
    c1.markdown(f"**False positives** ({len(fps)})")
    c1.dataframe(fps.drop(columns=["source_id"]), hide_index=True, width="stretch")
    c2.markdown(f"**Misses** ({len(misses)})")
    c2.dataframe(misses.drop(columns=["source_id"]), hide_index=True, width="stretch")


def _import_codings(ws: Workspace) -> None:
    """Hand codings made elsewhere (quotes) to compare runs with; in the demo, its gold set."""
    gold = demo_gold(load_settings(), ws.project_name)
    done = None
    if gold is not None and st.button("Load the demo's hand-coded gold set (coder 'gold')", type="primary",
                                      icon=":material/fact_check:", key="ev_demo_gold"):
        with shows_errors(), st.spinner("Coding the gold set's quotes…"):
            done = import_codings_file(ws.store, ws.project_id, gold, actor_id=ws.coder_id)
    with st.expander("Import hand codings from a file", expanded=gold is None):
        with st.form("ev_codings_upload", clear_on_submit=True):
            upload = st.file_uploader("Quotes (YAML like the demo's gold set, or CSV / XLSX with the columns "
                                      "source, codebook, code, quote)", type=["yaml", "yml", "csv", "tsv", "xlsx"],
                                      key="ev_codings_file")
            coder = st.text_input("Coder", placeholder="the coder the file names, else 'gold'", key="ev_codings_coder")
            submitted = st.form_submit_button("Import codings", icon=":material/upload:")
        if submitted and upload is not None:
            with shows_errors():
                done = import_codings(ws.store, ws.project_id, upload.getvalue(), upload.name,
                                      coder=coder.strip() or None, actor_id=ws.coder_id,
                                      max_bytes=load_settings().max_upload_bytes)
    if done is not None:
        st.session_state["ev_imported"] = (f"{done['created']} codings by {done['coder']} imported "
                                           f"({done['rows']} rows); Undo takes them back.")
        st.rerun()
