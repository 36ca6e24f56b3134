"""Autocoding page: run the suggesters, review their suggestions, undo a run, measure accuracy."""
from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from workbench.autocode import learned as learning
from workbench.autocode import relevance, suggest
from workbench.autocode import runs as run_store
from workbench.autocode.evaluation import evaluate, evaluation_inputs, judged_sources, run_source_ids
from workbench.autocode.semantic import THRESHOLD as semantic_default
from workbench.codebook.lookup import codebook_choices
from workbench.coding.quotes_import import import_codings, import_codings_file
from workbench.config import LLMSettings, load_llm_settings, load_settings, save_llm_settings
from workbench.corpus.sources import source_choices
from workbench.demo import demo_gold
from workbench.errors import WorkbenchError
from workbench.project.coders import coder_names
from workbench.ui.safe import md, plain
from workbench.ui.state import Workspace, commit, shows_errors
from workbench.ui.widgets.review_queue import review_queue


def render(ws: Workspace) -> None:
    st.title("Autocoding")
    st.caption("Suggesters propose codings - the codebooks' rules, a model learned from your own coding, closeness "
               "in meaning, an LLM if you set one - and nothing is coded until you accept a suggestion. "
               "See docs/assisted-coding.md.")
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


METHOD_LABELS = {"auto": "Best measured (learned where your coding allows, rules elsewhere, the LLM if set)",
                 "rules": "Rules", "learned": "Learned from your coding", "semantic": "By meaning",
                 "llm": "LLM (configured endpoint)"}


def _run(ws: Workspace, books, sources, runs) -> None:
    available = suggest.availability(ws.store, ws.project_id)
    with st.form("autocode_run"):
        methods = st.multiselect("Suggesters", ["auto", *suggest.METHODS], default=["auto"],
                                 format_func=METHOD_LABELS.get, key="ac_methods")
        c1, c2 = st.columns(2)
        chosen = c1.multiselect("Codebooks", [b for b, _ in books], format_func=dict(books).get,
                                placeholder="All codebooks")
        picked = c2.multiselect("Sources", [x for x, _ in sources], format_func=dict(sources).get,
                                placeholder="All sources")
        with st.expander("Thresholds"):
            t1, t2 = st.columns(2)
            learned_auto = t1.checkbox("Learned: the cross-validated threshold", value=True, key="ac_lt_auto",
                                       help="The confidence with the best F1 among those reaching precision "
                                            f"{learning.TARGET_PRECISION:.2f} on your own coding")
            learned_t = t1.slider("Learned: confidence needed", 0.05, 0.95, 0.5, 0.05, key="ac_lt",
                                  disabled=learned_auto)
            semantic_t = t2.slider("By meaning: similarity needed", 0.3, 0.9, semantic_default, 0.01, key="ac_st")
            keep_off_topic = t2.checkbox("Suggest in sources that look off topic", value=False, key="ac_off_topic",
                                         help="A source on which the learned model is less than "
                                              f"{relevance.FLOOR_SHARE:.0%} as confident as on your least relevant "
                                              "coded source gets no offline suggestions unless this is ticked")
        go = st.form_submit_button("Suggest codings", type="primary", icon=":material/auto_fix_high:")
    st.caption(" · ".join(f"{METHOD_LABELS[m].split(' (')[0]}: " + ("ready" if why is None else md(why))
                          for m, why in available.items()))
    if go:
        bar = st.progress(0.0, text="starting…")
        try:
            result = suggest.run(ws.store, ws.project_id, ws.coder_id, methods=methods or None,
                                 codebook_ids=chosen or None, source_ids=picked or None,
                                 learned_threshold=None if learned_auto else learned_t, semantic_threshold=semantic_t,
                                 keep_off_topic=keep_off_topic,
                                 progress=lambda stage, share: bar.progress(min(max(share, 0.0), 1.0), text=stage))
        except WorkbenchError as exc:
            bar.empty()
            st.error(plain(exc), icon=":material/error:")
            return
        bar.empty()
        by = ", ".join(f"{n} {METHOD_LABELS.get(k, k).split(' (')[0].lower()}" for k, n in sorted(result.by_suggester.items()))
        # Shown after a rerun, so that the runs below and the other tabs already know this run.
        st.session_state["autocode_done"] = (
            f"Run {result.run_id}: {result.suggestions} suggestions ({by or 'none'}) over {result.turns} turns "
            f"({result.skipped_known} already decided or coded were not proposed again). Review them in the next tab.",
            result.notes)
        st.rerun()
    _learned_report(ws)
    _llm_settings()
    done = st.session_state.pop("autocode_done", None)
    if done:
        st.success(md(done[0]), icon=":material/check:")
        for note in done[1]:
            st.warning(md(note), icon=":material/info:")
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


def _learned_report(ws: Workspace) -> None:
    """Before a run: what the learned suggester would learn, code by code, cross-validated."""
    with st.expander("What the learned suggester learns from your coding"):
        st.caption("Each code's precision and recall when the model, trained on the other sources, proposes codes "
                   "for a held-out source (cross-validation by source). Codes with too little coding are left to "
                   "the rules, with what they still need. Accepting and rejecting suggestions changes the next run.")
        if not st.button("Check now", key="ac_learned", icon=":material/model_training:"):
            return
        bar = st.progress(0.0, text="starting…")
        try:
            trained = suggest.learning_report(ws.store, ws.project_id,
                                              progress=lambda stage, share: bar.progress(min(share, 1.0), text=stage))
        except WorkbenchError as exc:
            bar.empty()
            st.info(plain(exc))
            return
        bar.empty()
        fmt = lambda v: "undefined" if v is None else f"{v:.2f}"  # noqa: E731
        st.markdown(f"At the chosen confidence **{trained.threshold:.2f}**: precision **{fmt(trained.precision)}**, "
                    f"recall **{fmt(trained.recall)}**, F1 **{fmt(trained.f1)}** over {trained.training_pairs} "
                    f"turn-code pairs from {trained.sources} coded sources.")
        st.caption(md(relevance.explain(trained.coded_relevance)))
        frame = pd.DataFrame([r.as_row() for r in trained.reports])
        learned = frame[frame["learned"]]
        if not learned.empty:
            long = learned.melt(id_vars="code", value_vars=["precision (CV)", "recall (CV)"], var_name="measure")
            fig = px.bar(long.dropna(), x="value", y="code", color="measure", barmode="group", orientation="h",
                         range_x=[0, 1], height=max(300, 28 * len(learned)))
            fig.update_layout(yaxis_title=None, xaxis_title=None, legend_title=None)
            st.plotly_chart(fig, width="stretch")
        st.dataframe(frame, hide_index=True, width="stretch")


def _llm_settings() -> None:
    """The LLM endpoint: nothing leaves the machine unless one is set here or by environment."""
    current = load_llm_settings()
    with st.expander("LLM endpoint " + ("(set: " + md(current.model) + ")" if current.configured else "(none: nothing leaves this machine)")):
        st.caption("Any OpenAI-compatible server: Ollama (http://127.0.0.1:11434/v1), llama.cpp's server, vLLM or a "
                   "cloud API. Turns and the codebook are sent there when the LLM suggester runs; each suggestion "
                   "keeps the model, endpoint, prompt version and rationale. WORKBENCH_LLM_URL / _MODEL / _API_KEY "
                   "override what is saved here.")
        with st.form("ac_llm"):
            url = st.text_input("Base URL", value=current.url, placeholder="http://127.0.0.1:11434/v1")
            model = st.text_input("Model", value=current.model, placeholder="e.g. llama3.1:8b")
            key = st.text_input("API key (if the server needs one)", value="", type="password",
                                placeholder="unchanged" if current.api_key else "")
            saved = st.form_submit_button("Save", icon=":material/save:")
        if saved:
            path = save_llm_settings(LLMSettings(url=url.strip(), model=model.strip(),
                                                 api_key=key or current.api_key, timeout=current.timeout))
            st.toast(f"Saved to {md(path)}")
            st.rerun()


def _imported_note() -> None:
    note = st.session_state.pop("ev_imported", None)
    if note:
        st.success(md(note), icon=":material/check:")


def _accuracy(ws: Workspace, runs) -> None:
    _imported_note()
    if not runs:
        st.info("Run the suggesters first; then compare a run with human codings of the same sources.")
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
            went_over = run_source_ids(s, ws.project_id, run)
            judged = judged_sources(s, went_over, gold or None)
            source_names = dict(source_choices(s, ws.project_id))
    except WorkbenchError as exc:
        st.warning(plain(exc))
        return
    left_out = [source_names.get(i, str(i)) for i in went_over if i not in judged]
    st.caption(f"Scored on the {len(judged)} source(s) the chosen coders coded by hand or marked finished"
               + (f"; left out, as nobody judged them: {md(', '.join(left_out))}." if left_out else "."))
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
    for col, title, frame in zip(st.columns(2), ("False positives", "Misses"), (fps, misses)):
        col.markdown(f"**{title}** ({len(frame)})")
        shown = frame.assign(source=frame["source_id"].map(source_names), turn=frame["turn"] + 1)
        col.dataframe(shown[["source", "turn", "code", "text"]], hide_index=True, width="stretch")
    _import_codings(ws)           # another truth can be loaded at any time, not only before any coding


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
