"""Memos page: every memo of the project, searchable, with what it annotates."""
from __future__ import annotations

import streamlit as st

from workbench.codebook.lookup import code_path
from workbench.coding.memos import add_memo, delete_memo, list_memos, update_memo
from workbench.corpus.sources import source_choices
from workbench.db.models import Code, Coder, Coding, Source
from workbench.project.coders import coder_names
from workbench.ui.safe import md, quote_md
from workbench.ui.state import Workspace, commit


def _target(s, memo) -> str:
    if memo.coding_id:
        c = s.get(Coding, memo.coding_id)
        return f"coding of {' › '.join(code_path(c.code))} in {c.source.name}: “{c.source.text[c.start:c.end][:80]}”"
    if memo.code_id:
        return f"code {' › '.join(code_path(s.get(Code, memo.code_id)))}"
    if memo.source_id:
        return f"source {s.get(Source, memo.source_id).name}"
    return "the project"


def render(ws: Workspace) -> None:
    st.title("Memos")
    _new_memo(ws)
    search = st.text_input("Search memos", key="memo_search", placeholder="words in a title or text")
    with ws.store.read() as s:
        names = coder_names(s)
        # Blind coding hides the other coders' memos as it hides their codings.
        memos = [{"id": m.id, "title": m.title, "text": m.text, "on": _target(s, m), "who": names.get(m.coder_id, ""),
                  "when": m.updated_at.strftime("%Y-%m-%d %H:%M"),
                  "theirs": m.coder_id is not None and m.coder_id != ws.coder_id}
                 for m in list_memos(s, ws.project_id, search or None, visible_to=ws.coder_id if ws.blind else None)]
    if not memos:
        st.info("No memos match." if search else
                "No memos yet. Write one above, or add a memo to a coding on the **Coding** page.")
        return
    for m in memos:
        with st.container(border=True):
            st.markdown(f"**{md(m['title']) or 'Memo'}** · on {md(m['on'])}  \n{md(m['who'])} · {m['when']}")
            with st.expander("Read and edit", expanded=len(memos) <= 5):
                st.markdown(quote_md(m["text"]))
                if m["theirs"]:
                    st.caption(f"{md(m['who'])}'s memo: only they can change or delete it.")
                    continue
                text = st.text_area("Text", m["text"], key=f"memo:{m['id']}")
                c1, c2 = st.columns(2)
                if c1.button("Save", key=f"memosave:{m['id']}"):
                    ok, _ = commit(ws, f"edit memo {m['id']}", lambda s, m=m: update_memo(
                        s, ws.project_id, m["id"], text, coder_id=ws.coder_id), toast="Memo saved")
                    if ok:
                        st.rerun()
                if c2.button("Delete", key=f"memodel:{m['id']}"):
                    ok, _ = commit(ws, f"delete memo {m['id']}", lambda s, m=m: delete_memo(
                        s, ws.project_id, m["id"], coder_id=ws.coder_id),
                        toast="Memo deleted - Undo on the coding page restores it")
                    if ok:
                        st.rerun()


def _new_memo(ws: Workspace) -> None:
    with ws.store.read() as s:
        sources = dict(source_choices(s, ws.project_id))
    with st.expander("New memo", icon=":material/add:"):
        with st.form("new_memo", clear_on_submit=True, border=False):
            title = st.text_input("Title")
            text = st.text_area("Text")
            on = st.selectbox("About", [None, *sources], format_func=lambda i: "the project" if i is None else
                              f"source {sources[i]}")
            if st.form_submit_button("Save memo", type="primary") and text.strip():
                def add(s):
                    return add_memo(s, ws.project_id, text, title=title, coder=s.get(Coder, ws.coder_id),
                                    source=s.get(Source, on) if on else None)
                ok, _ = commit(ws, "add memo", add, toast="Memo saved")
                if ok:
                    st.rerun()
