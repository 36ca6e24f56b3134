"""Coding page: read a transcript, select text, apply codes, manage what is coded."""
from __future__ import annotations

import streamlit as st

from workbench.codebook.lookup import code_choices
from workbench.coding.codings import (
    adjust_coding,
    apply_code,
    coders_of_source,
    codings_detail,
    get_coding,
    remove_coding,
)
from workbench.coding.memos import set_coding_memo
from workbench.coding.quick import IN_VIVO_BOOK, code_in_vivo, in_vivo_name, recent_codes
from workbench.coding.status import is_done, set_done
from workbench.coding.transcript_view import PAGE_TURNS, build_view, page_count, page_of_offset, span_from_selection
from workbench.corpus.correction import correct_segment
from workbench.corpus.sources import source_picker_rows
from workbench.corpus.timecodes import seconds_to_clock
from workbench.db.models import Coder, Source
from workbench.errors import WorkbenchError
from workbench.project.coders import coder_names
from workbench.ui.components.span_coder import span_coder
from workbench.ui.safe import md, plain, quote_md
from workbench.ui.state import Workspace, commit
from workbench.ui.widgets.review_queue import review_queue


def _rerun_pane() -> None:
    """Rerun just the coding pane when the click came from it, else the whole page."""
    from streamlit.errors import StreamlitAPIException
    try:
        st.rerun(scope="fragment")
    except StreamlitAPIException:      # a full run (first load, tests): no fragment to rerun
        st.rerun()


def render(ws: Workspace) -> None:
    st.title("Coding")
    with ws.store.read() as s:
        sources = source_picker_rows(s, ws.project_id)
    if not sources:
        st.info("No sources yet. Import transcripts on the **Sources & cases** page, then come back to code them.")
        return
    goto = st.session_state.pop("goto", None)
    ids = [sid for sid, _, _ in sources]
    if goto and goto["source_id"] in ids:
        st.session_state["coding_source"] = goto["source_id"]
        st.session_state["coding_focus"] = (goto["source_id"], goto["start"], goto["end"])
        st.session_state.pop("coding_page", None)
    labels = {sid: f"{name} · {case}" if case else name for sid, name, case in sources}
    pick, finished = st.columns([4, 2], vertical_alignment="bottom")
    source_id = pick.selectbox("Source", ids, format_func=labels.get, key="coding_source")
    with finished:
        _done_toggle(ws, source_id)
    coding_pane(ws, source_id)


def _done_toggle(ws: Workspace, source_id: int) -> None:
    """The coder's own "I have finished this source" (what agreement compares). Read from the
    database on every run - an Undo elsewhere changes it - and written only when clicked."""
    key = f"done:{source_id}:{ws.coder_id}"
    with ws.store.read() as s:
        st.session_state[key] = is_done(s, source_id, ws.coder_id)

    def toggled() -> None:
        done = bool(st.session_state[key])
        ok, _ = commit(ws, f"mark source {source_id} {'done' if done else 'not done'}",
                       lambda s: set_done(s, ws.project_id, source_id, ws.coder_id, done),
                       toast="Marked done: agreement will compare this source" if done else "Marked not done")
        if not ok:
            st.session_state[key] = not done
    st.toggle("I have finished coding this source", key=key, on_change=toggled,
              help="Agreement compares the sources every coder marked done; a source you mark done without "
                   "coding anything in it counts as 'coded nothing' (not as skipped).")


def _selection(key: str) -> dict | None:
    state = st.session_state.get(key) or {}
    sel = state.get("selection") if isinstance(state, dict) else None
    if not sel or sel.get("n") == st.session_state.get(f"{key}:applied"):
        return None
    return sel


@st.fragment
def coding_pane(ws: Workspace, source_id: int) -> None:
    """The transcript and its tools; an interaction reruns only this fragment."""
    key = f"coder-{source_id}"
    with ws.store.read() as s:
        source = s.get(Source, source_id)
        choices = code_choices(s, ws.project_id)
        names = coder_names(s)
        coders_here = sorted(set(coders_of_source(s, source_id)) | {ws.coder_id})
        pages = page_count(source)
        focus = st.session_state.get("coding_focus")
        focus = focus[1:] if focus and focus[0] == source_id else None
        if focus and "coding_page" not in st.session_state:
            st.session_state["coding_page"] = page_of_offset(source, focus[0]) + 1

    top = st.columns([1, 2, 2, 1], vertical_alignment="bottom")
    page = top[0].number_input(f"Page (of {pages})", min_value=1, max_value=pages, step=1, key="coding_page",
                               help=f"{PAGE_TURNS} turns per page") if pages > 1 else 1
    if ws.blind:
        top[1].caption("Blind coding: only your codings are shown.")
        show_coders = [ws.coder_id]
    else:
        show_coders = top[1].multiselect("Show coders", coders_here, format_func=lambda i: names.get(i, "?"),
                                         placeholder="All coders", key=f"{key}:coders")
    choice_label = dict(choices)
    show_codes = top[2].multiselect("Show codes", list(choice_label), format_func=choice_label.get,
                                    placeholder="All codes", key=f"{key}:codes")
    margin = top[3].toggle("Margin", value=True, key="coding_margin",
                           help="Code names beside the text, on stripes of their colours (click one to open it)")

    with ws.store.read() as s:
        source = s.get(Source, source_id)
        payload = build_view(s, source, page=int(page) - 1, coder_ids=show_coders or None,
                             code_ids=show_codes or None, focus=focus, margin=margin)
        media = source.media_path
    left, right = st.columns([3, 1.35], gap="large")
    with left:
        # The transcript scrolls inside its own box, so the coding tools stay in view.
        with st.container(height=720, border=False):
            result = span_coder(payload, key=key)
    with right:
        _play(media, result)
        selection = _selection(key)
        if selection:
            _apply_panel(ws, source_id, selection, key, choices)
        else:
            st.info("Select words in the transcript with the mouse to code them. "
                    "Click a highlight to see who coded it, edit its memo, move or remove it.")
        clicked = getattr(result, "clicked", None)
        if clicked and clicked.get("ids"):
            st.session_state[f"{key}:open"] = clicked["ids"]
        open_ids = st.session_state.get(f"{key}:open") or []
        if open_ids:
            _codings_panel(ws, source_id, open_ids, key, selection)
        _correction_panel(ws, source_id)
        with st.expander("Autocoding suggestions here", icon=":material/auto_fix_high:"):
            review_queue(ws, [], source_id=source_id)


def _play(media: str | None, result) -> None:
    play = getattr(result, "play", None)
    if play and media:
        st.audio(media, start_time=int(play.get("t") or 0), autoplay=True)
    elif play:
        st.caption(f"This source has no recording attached (turn at {seconds_to_clock(play.get('t'))}).")


def _apply_panel(ws: Workspace, source_id: int, selection: dict, key: str, choices) -> None:
    with ws.store.read() as s:
        source = s.get(Source, source_id)
        try:
            start, end = span_from_selection(s, source, selection)
        except WorkbenchError as exc:
            st.warning(plain(exc))
            return
        quote = source.text[start:end]
    st.markdown("**Selected**")
    st.markdown(quote_md(quote if len(quote) < 600 else quote[:600] + " …"))
    st.caption(f"characters {start}–{end}")
    label = dict(choices)
    with st.form(f"{key}:apply", clear_on_submit=True, border=False, enter_to_submit=True):
        picked = st.multiselect("Codes", list(label), format_func=label.get, placeholder="Type to search codes…",
                                key=f"{key}:pick")
        memo = st.text_input("Memo (optional)", key=f"{key}:memo")
        submitted = st.form_submit_button("Apply codes", type="primary", icon=":material/sell:", width="stretch")
    with ws.store.read() as s:
        recent = recent_codes(s, ws.project_id, ws.coder_id)
    quick = st.container(horizontal=True, gap="small")
    for code_id, path in recent:
        if quick.button(path.rsplit(" › ", 1)[-1], key=f"{key}:recent:{code_id}", width="content", help=path,
                        icon=":material/history:"):
            picked, submitted, memo = [code_id], True, ""
    vivo = in_vivo_name(quote)
    if vivo and quick.button("In-vivo", key=f"{key}:invivo", width="content", icon=":material/format_quote:",
                             help=f"A new code named “{vivo}” (in the codebook “{IN_VIVO_BOOK}”), applied here"):
        ok, made = commit(ws, f"in-vivo code {vivo!r}", lambda s: code_in_vivo(
            s, ws.project_id, s.get(Source, source_id), s.get(Coder, ws.coder_id), start, end))
        if ok:
            st.session_state[f"{key}:applied"] = selection.get("n")
            st.toast(f"{'New' if made[2] else 'Existing'} in-vivo code {md(vivo)} applied")
            _rerun_pane()
    if submitted:
        if not picked:
            st.warning("Choose at least one code.")
            return

        def apply(s):
            src = s.get(Source, source_id)
            coder = s.get(Coder, ws.coder_id)
            return [apply_code(s, src, code_id, coder, start, end, memo=memo or None)[1]
                    for code_id in picked]
        ok, created = commit(ws, f"code [{start}, {end}) of source {source_id}", apply)
        if ok:
            st.session_state[f"{key}:applied"] = selection.get("n")
            st.toast(f"Coded with {len(picked)} code(s)" + ("" if all(created) else " (some were already there)"))
            _rerun_pane()


def _codings_panel(ws: Workspace, source_id: int, ids: list[int], key: str, selection: dict | None) -> None:
    with ws.store.read() as s:
        rows = codings_detail(s, source_id, ids, only_coder=ws.coder_id if ws.blind else None)
    # Horizontal containers size each button to its label and wrap when the pane is narrow: in
    # fixed columns a 1280-pixel window cut "Remove" to "Re…" and "Close" to "Cl…".
    head = st.container(horizontal=True, vertical_alignment="center", horizontal_alignment="distribute")
    head.markdown("**Codings here**", width="content")
    if head.button("Close", key=f"{key}:close", icon=":material/close:", width="content"):
        st.session_state.pop(f"{key}:open", None)
        _rerun_pane()
    if not rows:
        st.caption("These codings no longer exist.")
        return
    for row in rows:
        with st.container(border=True):
            st.markdown(f"**{md(row['code'])}**")
            st.caption(f"{md(row['coder'])} · {row['origin']} · {row['when']} · characters {row['start']}–{row['end']}")
            theirs = row["coder_id"] != ws.coder_id      # another coder's work is theirs to change
            memo = st.text_area("Memo", value=row["memo"], key=f"{key}:memo:{row['id']}", height=68,
                                disabled=theirs)
            if theirs:
                st.caption(f"{md(row['coder'])}'s coding: only they can change or remove it.")
            bar = st.container(horizontal=True, gap="small")
            if bar.button("Save", key=f"{key}:savememo:{row['id']}", width="content", help="Save the memo",
                          disabled=theirs):
                ok, _ = commit(ws, f"memo on coding {row['id']}", lambda s, r=row: set_coding_memo(
                    s, get_coding(s, ws.project_id, r["id"]), memo, s.get(Coder, ws.coder_id)),
                    toast="Memo saved")
                if ok:
                    _rerun_pane()
            if bar.button("Fit", key=f"{key}:fit:{row['id']}", disabled=selection is None or theirs,
                          help="Move this coding's boundaries to the text you selected", width="content"):
                _fit(ws, source_id, row["id"], selection, key)
            if bar.button("Remove", key=f"{key}:rm:{row['id']}", type="secondary", width="content", disabled=theirs):
                ok, _ = commit(ws, f"remove coding {row['id']}",
                               lambda s, r=row: remove_coding(s, ws.project_id, r["id"], coder_id=ws.coder_id),
                               toast="Coding removed - Undo brings it back")
                if ok:
                    st.session_state[f"{key}:open"] = [i for i in ids if i != row["id"]]
                    _rerun_pane()


def _fit(ws: Workspace, source_id: int, coding_id: int, selection: dict, key: str) -> None:
    def adjust(s):
        start, end = span_from_selection(s, s.get(Source, source_id), selection)
        return adjust_coding(s, ws.project_id, coding_id, start, end, coder_id=ws.coder_id)
    ok, _ = commit(ws, f"adjust coding {coding_id}", adjust, toast="Boundaries moved")
    if ok:
        st.session_state[f"{key}:applied"] = selection.get("n")
        _rerun_pane()


def _correction_panel(ws: Workspace, source_id: int) -> None:
    with st.expander("Correct a turn", icon=":material/spellcheck:"):
        with ws.store.read() as s:
            source = s.get(Source, source_id)
            turns = [(seg.idx, (seg.speaker.label if seg.speaker else f"page {seg.page}" if seg.page else ""),
                      seconds_to_clock(seg.t_start), source.text[seg.start:seg.end]) for seg in source.segments]
        if not turns:
            return
        idx = st.selectbox("Turn", [t[0] for t in turns], key=f"fix:{source_id}:turn",
                           format_func=lambda i: f"{i + 1} · {turns[i][1]} {turns[i][2]} · {turns[i][3][:40]}…")
        with st.form(f"fix:{source_id}:form", border=False):
            new_text = st.text_area("Text", value=turns[idx][3], height=160, key=f"fix:{source_id}:{idx}")
            others = st.checkbox("Correct even where it changes other coders' codings", key=f"fix:{source_id}:others",
                                 help="Without this, a correction that would change or remove the coded text "
                                      "of another coder's coding is refused and says whose.")
            saved = st.form_submit_button("Save correction", type="primary")
        if saved:
            ok, result = commit(ws, f"correct turn {idx + 1} of source {source_id}",
                                lambda s: correct_segment(s, ws.project_id, source_id, idx, new_text,
                                                          coder_id=ws.coder_id, move_others=others))
            if ok:
                if result.lost:
                    st.session_state["fix:lost"] = result.lost
                st.toast(f"Turn corrected; {result.moved} coding(s) moved with their words")
                _rerun_pane()
        lost = st.session_state.get("fix:lost")
        if lost:
            st.warning("The text of these codings was deleted, so they were removed. "
                       "**Undo** restores the turn and them together.")
            for item in lost:
                st.markdown(f"- **{md(item['code'])}** ({md(item['coder'])}): {md(item['text'])}")
            if st.button("Dismiss", key="fix:dismiss"):
                st.session_state.pop("fix:lost")
                _rerun_pane()
