"""The app shell: page navigation over the pages of ``workbench/ui``."""
from __future__ import annotations

import streamlit as st

from . import overview
from .state import shows_errors, workspace


def run() -> None:
    st.set_page_config(page_title="Interview workbench", page_icon=":material/forum:", layout="wide")
    with shows_errors():
        ws = workspace()
        pages = [st.Page(lambda: overview.render(ws), title="Overview", icon=":material/dashboard:",
                         url_path="overview", default=True)]
        st.navigation(pages).run()
