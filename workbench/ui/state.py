"""What every page shares: the store, the current project and coder, error display."""
from __future__ import annotations

import contextlib
from dataclasses import dataclass

import streamlit as st

from workbench.config import load_settings
from workbench.db import history
from workbench.db.store import Store, open_store
from workbench.demo import build_demo
from workbench.errors import WorkbenchError
from workbench.project.coders import find_coder, get_or_create_coder
from workbench.project.projects import create_project, list_projects
from workbench.ui.safe import md, plain


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
    blind: bool = False        # show only this coder's codings (independent coding for agreement)


@contextlib.contextmanager
def shows_errors():
    """Turn a WorkbenchError into one ``st.error`` naming what and where; the page goes on."""
    try:
        yield
    except WorkbenchError as exc:
        st.error(plain(exc), icon=":material/error:")


@st.cache_resource(show_spinner=False)
def local_worker(url: str):
    """The embedded default runs its own worker process for queued transcriptions.

    Set WORKBENCH_LOCAL_WORKER=0 when workers run elsewhere (a team's GPU machine).
    """
    import atexit
    import os
    import subprocess
    import sys
    if os.environ.get("WORKBENCH_LOCAL_WORKER", "1") == "0":
        return None
    # The URL goes by environment, not on the command line, where other users could read a password.
    proc = subprocess.Popen([sys.executable, "-m", "workbench", "worker"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env={**os.environ, "WORKBENCH_DATABASE_URL": url})
    atexit.register(proc.terminate)
    return proc


def first_run(store: Store) -> None:
    """An empty database gets the demo project, so a newcomer sees something to code."""
    with store.read() as s:
        empty = not list_projects(s)
    if empty:
        with st.spinner("First run: building the demo project (six interviews, five codebooks, two coders' coding)…"):
            build_demo(store, load_settings())


def login_configured() -> bool:
    """Whether the app's secrets have an ``[auth]`` section: everyone logs in (OpenID Connect)."""
    try:
        return "auth" in st.secrets
    except Exception:      # no secrets file at all
        return False


def _identity(default_name: str) -> tuple[str, str] | None:
    """``(name, identity)`` of the person at the keyboard; None while a login is pending.

    With an ``[auth]`` section in secrets, the OIDC login decides (issuer + subject, which a
    person cannot type); otherwise the name typed in the sidebar is the coder.
    """
    if login_configured():
        if not st.user.get("is_logged_in", False):
            st.title("Interview workbench")
            st.write("Log in to code in this project.")
            st.button("Log in", on_click=st.login, type="primary")
            return None
        name = st.user.get("name") or st.user.get("email") or st.user.get("sub")
        identity = f"{st.user.get('iss', '')}|{st.user.get('sub', '')}"
        with st.sidebar:
            st.caption(f"Signed in as {md(name)}")
            st.button("Log out", on_click=st.logout)
        return str(name), identity
    with st.sidebar:
        name = st.text_input("Coder", value=st.session_state.get("coder_name", default_name), key="coder_name",
                             help="Your name; every coding records who made it.").strip() or default_name
    return name, f"local:{name}"


def _coder_id(store: Store, name: str, identity: str) -> int:
    """Read first: a rerun must not take the SQLite write lock just to confirm who is coding."""
    with store.read() as s:
        coder = find_coder(s, identity)
        if coder is not None:
            return coder.id
    with store.write() as s:
        return get_or_create_coder(s, name, identity).id


def workspace() -> Workspace | None:
    """The sidebar's choices: project and coder (a name locally, the login when configured)."""
    settings = load_settings()
    store = get_store(settings.database_url)
    first_run(store)
    local_worker(settings.database_url)
    with store.read() as s:
        projects = [(p.id, p.name) for p in list_projects(s)]
    if "pending_project" in st.session_state:   # a project just created: select it
        st.session_state["project"] = st.session_state.pop("pending_project")
    with st.sidebar:
        st.caption("Project")
        names = [name for _, name in projects]
        choice = st.selectbox("Project", names, key="project", label_visibility="collapsed",
                              placeholder="No project yet") if names else None
        with st.popover("New project", icon=":material/add:", width="stretch"):
            with st.form("new_project", clear_on_submit=True, border=False):
                new_name = st.text_input("Name")
                new_desc = st.text_area("What the study is about", height=80)
                if st.form_submit_button("Create", type="primary") and new_name.strip():
                    created = False
                    with shows_errors():
                        with store.write() as s:
                            create_project(s, new_name, new_desc)
                        created = True
                    if created:       # rerun only after the commit: st.rerun() aborts the script
                        st.session_state["pending_project"] = new_name.strip()
                        st.rerun()
    who = _identity(settings.coder)
    if who is None:
        return None
    coder_name, identity = who
    coder_id = _coder_id(store, coder_name, identity)
    project_id = next((pid for pid, name in projects if name == choice), None)
    with st.sidebar:
        blind = st.toggle("Blind coding", key="blind",
                          help="Show only your own codings, so that you code without seeing your colleagues' "
                               "work; turn it off to compare.")
    ws = Workspace(store, project_id, choice, coder_id, coder_name, blind)
    if project_id is not None:
        _undo_buttons(ws)
    return ws


def _undo_buttons(ws: Workspace) -> None:
    """Undo/redo of the coder's own changes, on every page (the log survives restarts)."""
    with st.sidebar:
        c1, c2 = st.columns(2)
        for col, redo in ((c1, False), (c2, True)):
            if col.button("Redo" if redo else "Undo", icon=":material/redo:" if redo else ":material/undo:",
                          key=f"sidebar_{'redo' if redo else 'undo'}", width="stretch"):
                try:
                    with ws.store.write() as s:
                        result = (history.redo if redo else history.undo)(s, ws.project_id, ws.coder_id)
                except WorkbenchError as exc:
                    st.toast(plain(exc), icon=":material/info:")
                else:
                    st.toast(f"{'Redone' if redo else 'Undone'}: {md(result.action)}")


def commit(ws: Workspace, action: str, fn, *, toast: str | None = None):
    """Run ``fn(session)`` as one undoable action; show a WorkbenchError instead of raising.

    Returns ``(ok, result)``. Call ``st.rerun()`` only after this returns: a rerun inside
    the transaction would abort it.
    """
    try:
        with ws.store.write(action, project_id=ws.project_id, coder_id=ws.coder_id) as s:
            result = fn(s)
    except WorkbenchError as exc:
        st.error(plain(exc), icon=":material/error:")
        return False, None
    if toast:
        st.toast(md(toast))
    return True, result
