"""The app shell: page navigation over the pages in ``workbench/ui/pages``."""
from __future__ import annotations

import streamlit as st

from workbench.config import exposure_warning
from workbench.ui.navigation import PAGES
from workbench.ui.pages import (
    agreement,
    analysis,
    autocode,
    codebooks,
    coding,
    export,
    memos,
    overview,
    retrieval,
    search,
    sources,
)
from workbench.ui.state import login_configured, shows_errors, workspace

SPECS = [("overview", "Overview", ":material/dashboard:", overview.render),
         ("sources", "Sources & cases", ":material/library_books:", sources.render),
         ("coding", "Coding", ":material/edit_note:", coding.render),
         ("codebook", "Codebooks", ":material/account_tree:", codebooks.render),
         ("autocode", "Autocoding", ":material/auto_fix_high:", autocode.render),
         ("search", "Search & words", ":material/manage_search:", search.render),
         ("retrieval", "Retrieval", ":material/format_quote:", retrieval.render),
         ("memos", "Memos", ":material/sticky_note_2:", memos.render),
         ("analysis", "Analysis", ":material/bar_chart:", analysis.render),
         ("agreement", "Agreement", ":material/group:", agreement.render),
         ("export", "Export", ":material/ios_share:", export.render)]


def run() -> None:
    """Render the app: sidebar (project, coder, undo), then the chosen page."""
    st.set_page_config(page_title="Interview workbench", page_icon=":material/forum:", layout="wide")
    exposed = exposure_warning(st.get_option("server.address"), login_configured())
    if exposed:
        st.warning(exposed, icon=":material/lan:")
    with shows_errors():
        ws = workspace()
        if ws is None:
            return
        for slug, title, icon, render in SPECS:
            PAGES[slug] = st.Page(lambda render=render: _guarded(render, ws), title=title, icon=icon,
                                  url_path=slug, default=slug == "overview")
        st.navigation(list(PAGES.values())).run()


def _guarded(render, ws) -> None:
    with shows_errors():
        if ws.project_id is None and render is not overview.render:
            st.info("Create or choose a project in the sidebar first.")   # the overview says how
            return
        render(ws)
