"""The app's pages by slug, so that a page can send the reader to another one without importing
the shell (which imports every page)."""
from __future__ import annotations

import streamlit as st

PAGES: dict[str, st.Page] = {}


def go_to(slug: str) -> None:
    """Switch to the page registered as ``slug`` (``coding``, ``retrieval``...)."""
    st.switch_page(PAGES[slug])
