"""Codebooks page: browse the tree, edit codes, load and export YAML files."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from workbench.codebook.format import check_text, is_colour, to_yaml
from workbench.codebook.lookup import code_detail, codebook_choices
from workbench.codebook.storage import codings_per_code, spec_from_db, store_codebook
from workbench.codebook.tree import create_code, create_codebook, delete_code, merge_codes, move_code, update_code
from workbench.db.models import Codebook
from workbench.errors import InvalidCodebook
from workbench.ui.safe import lead, md
from workbench.ui.state import Workspace, commit


def render(ws: Workspace) -> None:
    st.title("Codebooks")
    with ws.store.read() as s:
        books = codebook_choices(s, ws.project_id)
    left, right = st.columns([1, 1])
    with right:
        _load_file(ws)
        _new_codebook(ws)
    if not books:
        with left:
            st.info("No codebooks yet. Load a YAML codebook (the project ships five in `codebooks/`) "
                    "or create an empty one.")
        return
    with left:
        book_id = st.selectbox("Codebook", [b for b, _ in books], format_func=dict(books).get, key="cb_book")
        with ws.store.read() as s:
            cb = s.get(Codebook, book_id)
            counts = codings_per_code(s, book_id)
            rows = []

            def walk(codes, depth):
                for c in codes:
                    rows.append({"id": c.id, "code": "\u2003" * depth + c.name, "codings": counts.get(c.id, 0),
                                 "color": c.color})
                    walk(c.children, depth + 1)
            walk([c for c in cb.codes if c.parent_id is None], 0)
            yaml_text = to_yaml(spec_from_db(cb))
            description = cb.description
        if description:
            short = lead(description)
            st.caption(md(short))
            if short != description.strip():
                with st.expander("The whole description"):
                    st.markdown(md(description))
        frame = pd.DataFrame(rows, columns=["id", "code", "codings", "color"])
        event = st.dataframe(frame, hide_index=True, on_select="rerun", selection_mode="single-row",
                             key=f"cb_tree:{book_id}", column_config={"id": None, "color": None},
                             height=min(600, 38 + 35 * max(1, len(frame))))
        st.download_button("Export as YAML", yaml_text.encode("utf-8"), f"{dict(books)[book_id]}.yaml",
                           "application/x-yaml", icon=":material/download:")
        selected = event.selection.rows if event and event.selection else []
    with right:
        if selected:
            _code_detail(ws, book_id, int(frame.iloc[selected[0]]["id"]))
        else:
            st.info("Click a code in the tree to read its definition and edit it.")
        _new_code(ws, book_id, rows)


def _code_detail(ws: Workspace, book_id: int, code_id: int) -> None:
    with ws.store.read() as s:
        data = code_detail(s, code_id)
    if data is None:
        st.info("That code was deleted.")
        return
    path, others = data["path"], data["others"]
    st.subheader(path)
    with st.form(f"edit:{code_id}"):
        name = st.text_input("Name", data["name"])
        # A colour stored before colours were checked (or by an older import) must not break the page.
        color = st.color_picker("Colour", data["color"] if is_colour(data["color"]) else "#999999")
        definition = st.text_area("Definition", data["definition"], height=110)
        use = st.text_area("When to use", data["when_to_use"], height=80)
        not_use = st.text_area("When not to use", data["when_not_to_use"], height=80)
        examples = st.text_area("Examples (one per line)", "\n".join(data["examples"]), height=90)
        if st.form_submit_button("Save code", type="primary"):
            ok, _ = commit(ws, f"edit code {data['name']}", lambda s: update_code(
                s, ws.project_id, code_id, data["version"], name=name, color=color, definition=definition,
                when_to_use=use, when_not_to_use=not_use,
                examples=[e.strip() for e in examples.split("\n") if e.strip()]), toast="Code saved")
            if ok:
                st.rerun()
    label = dict(others)
    with st.expander("Move, merge or delete"):
        parent = st.selectbox("Move under", [None, *label], format_func=lambda i: "(top level)" if i is None else label[i],
                              key=f"move:{code_id}")
        if st.button("Move", key=f"movebtn:{code_id}"):
            ok, _ = commit(ws, f"move code {data['name']}", lambda s: move_code(s, ws.project_id, code_id, parent),
                           toast="Code moved")
            if ok:
                st.rerun()
        into = st.selectbox("Merge into", list(label), format_func=label.get, key=f"merge:{code_id}", index=None,
                            placeholder="Choose the code that absorbs this one")
        if st.button("Merge", key=f"mergebtn:{code_id}", disabled=into is None):
            ok, r = commit(ws, f"merge {data['name']}", lambda s: merge_codes(s, ws.project_id, code_id, into))
            if ok:
                st.toast(f"Merged; {r['codings_moved']} codings moved to {md(r['into'])}")
                st.rerun()
        how = st.radio("Its codings", ["refuse", "delete", "move"], horizontal=True, key=f"delhow:{code_id}",
                       format_func={"refuse": "Only if it has none", "delete": "Delete them too",
                                    "move": "Move them to…"}.get)
        target = st.selectbox("Move codings to", list(label), format_func=label.get, key=f"delto:{code_id}",
                              index=None) if how == "move" else None
        if st.button("Delete code", key=f"delbtn:{code_id}", type="secondary"):
            ok, r = commit(ws, f"delete code {data['name']}", lambda s: delete_code(
                s, ws.project_id, code_id, codings=how, move_to=target))
            if ok:
                st.toast(f"Deleted {r['deleted_codes']} code(s); codings: {r['action']} ({r['codings']}). Undo restores.")
                st.rerun()
    if data["examples"]:
        st.markdown("**Examples**")
        for e in data["examples"]:
            st.markdown("> " + md(e))


def _new_code(ws: Workspace, book_id: int, rows: list[dict]) -> None:
    with st.expander("New code", icon=":material/add:"):
        with st.form(f"newcode:{book_id}", clear_on_submit=True, border=False):
            name = st.text_input("Name")
            parent = st.selectbox("Parent", [None, *[r["id"] for r in rows]], key=f"newparent:{book_id}",
                                  format_func=lambda i: "(top level)" if i is None else
                                  next(r["code"].strip("\u2003") for r in rows if r["id"] == i))
            definition = st.text_area("Definition", height=80)
            if st.form_submit_button("Create code", type="primary") and name.strip():
                ok, _ = commit(ws, f"create code {name}", lambda s: create_code(
                    s, ws.project_id, book_id, name, parent_id=parent, definition=definition), toast="Code created")
                if ok:
                    st.rerun()


def _new_codebook(ws: Workspace) -> None:
    with st.expander("New empty codebook", icon=":material/library_add:"):
        with st.form("newbook", clear_on_submit=True, border=False):
            name = st.text_input("Codebook name")
            if st.form_submit_button("Create codebook") and name.strip():
                ok, _ = commit(ws, f"create codebook {name}", lambda s: create_codebook(s, ws.project_id, name),
                               toast="Codebook created")
                if ok:
                    st.rerun()


def _load_file(ws: Workspace) -> None:
    with st.expander("Load a codebook file (YAML)", icon=":material/upload_file:"):
        upload = st.file_uploader("Codebook YAML", type=["yaml", "yml"], key="cb_upload",
                                  help="The format is in docs/codebook-format.md; problems are listed with their line.")
        update = st.checkbox("Update the codebook with the same GUID or name", key="cb_update")
        if upload is None or not st.button("Load codebook", type="primary"):
            return
        data = upload.getvalue()
        if len(data) > 5 * 1024 * 1024:
            st.error(f"{md(upload.name)} is larger than 5 MB; codebooks are small text files.")
            return
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            st.error(f"{md(upload.name)}, offset {exc.start}: not UTF-8 text")
            return
        try:
            spec, problems = check_text(text, upload.name)
        except InvalidCodebook as exc:
            spec, problems = None, [exc]
        if problems:
            st.error("The codebook was not loaded:\n\n" + "\n".join(f"- {md(str(p))}" for p in problems))
            return
        ok, r = commit(ws, f"load codebook {spec.name}", lambda s: store_codebook(s, ws.project_id, spec, update=update))
        if ok:
            st.toast(f"Codebook {md(r['name'])}: {r['added']} codes added, {r['updated']} updated")
            st.rerun()
