"""What every page shares: the store, the current project and coder, error display."""
from __future__ import annotations

import contextlib
from dataclasses import dataclass

import streamlit as st

from ..config import load_settings
from ..errors import WorkbenchError
from ..project import get_or_create_coder, list_projects
from ..store import Store, open_store


@st.cache_resource(show_spinner="Opening the project database…")
def get_store(url: str) -> Store:
    """One store (engine + pool) per database URL for the whole server."""
    return open_store(url)


@dataclass(frozen=True)
class Workspace:
    store: Store
    project_id: int | None
    project_name: str | None
    coder_id: int
    coder_name: str


@contextlib.contextmanager
def shows_errors():
    """Turn a WorkbenchError into one ``st.error`` naming what and where; the page goes on."""
    try:
        yield
    except WorkbenchError as exc:
        st.error(str(exc), icon=":material/error:")


def first_run(store: Store) -> None:
    """An empty database gets the demo project, so a newcomer sees something to code."""
    with store.read() as s:
        empty = not list_projects(s)
    if empty:
        from ..demo import build_demo
        with st.spinner("First run: building the demo project (six interviews, five codebooks)…"):
            build_demo(store, load_settings())


def workspace() -> Workspace:
    """The sidebar's choices: project and coder (a name locally, the login when configured)."""
    settings = load_settings()
    store = get_store(settings.database_url)
    first_run(store)
    with store.read() as s:
        projects = [(p.id, p.name) for p in list_projects(s)]
    with st.sidebar:
        st.caption("Project")
        names = [name for _, name in projects]
        choice = st.selectbox("Project", names, key="project", label_visibility="collapsed",
                              placeholder="No project yet") if names else None
        default_coder = st.session_state.get("coder_name", settings.coder)
        coder_name = st.text_input("Coder", value=default_coder, key="coder_name",
                                   help="Your name; every coding records who made it.").strip() or settings.coder
    with store.write() as s:
        coder = get_or_create_coder(s, coder_name)
        coder_id = coder.id
    project_id = next((pid for pid, name in projects if name == choice), None)
    return Workspace(store, project_id, choice, coder_id, coder_name)
