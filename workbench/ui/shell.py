"""The app shell: page navigation over the pages of ``workbench/ui``."""
from __future__ import annotations

import streamlit as st

from . import (agreement_page, analysis_page, autocode_page, codebook_page, coding_page, export_page, memos_page,
               overview, retrieval_page, sources_page)
from .state import shows_errors, workspace

PAGES: dict[str, st.Page] = {}


def run() -> None:
    st.set_page_config(page_title="Interview workbench", page_icon=":material/forum:", layout="wide")
    with shows_errors():
        ws = workspace()
        if ws is None:
            return
        specs = [("overview", "Overview", ":material/dashboard:", overview.render),
                 ("sources", "Sources & cases", ":material/library_books:", sources_page.render),
                 ("coding", "Coding", ":material/edit_note:", coding_page.render),
                 ("codebook", "Codebooks", ":material/account_tree:", codebook_page.render),
                 ("autocode", "Autocoding", ":material/auto_fix_high:", autocode_page.render),
                 ("retrieval", "Retrieval", ":material/format_quote:", retrieval_page.render),
                 ("memos", "Memos", ":material/sticky_note_2:", memos_page.render),
                 ("analysis", "Analysis", ":material/bar_chart:", analysis_page.render),
                 ("agreement", "Agreement", ":material/group:", agreement_page.render),
                 ("export", "Export", ":material/ios_share:", export_page.render)]
        for slug, title, icon, render in specs:
            PAGES[slug] = st.Page(lambda render=render: _guarded(render, ws), title=title, icon=icon,
                                  url_path=slug, default=slug == "overview")
        st.navigation(list(PAGES.values())).run()


def _guarded(render, ws) -> None:
    with shows_errors():
        if ws.project_id is None and render is not overview.render:
            st.info("Create or choose a project in the sidebar first.")   # the overview says how
            return
        render(ws)
