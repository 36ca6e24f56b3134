"""Fixtures for a real browser (Debian's chromium through Playwright) against `streamlit run` on
127.0.0.1, shared by tests/browser and tests/reliability (the root conftest imports them)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.pg_server import free_port

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


class AppServer:
    def __init__(self, db_path: Path, auth: dict | None = None):
        """``auth``: an ``[auth]`` section for the app's secrets (OpenID Connect login); its
        ``redirect_uri`` is filled in with this server's address."""
        self.db_url = f"sqlite:///{db_path}"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "WORKBENCH_DATABASE_URL": self.db_url, "WORKBENCH_CODER": "ana",
               "WORKBENCH_LOCAL_WORKER": "0", "WORKBENCH_MEDIA_DIR": str(db_path.parent / "media")}
        extra = []
        self.log_path = db_path.parent / "streamlit.log"
        self.log = open(self.log_path, "wb")
        if auth is not None:
            secrets = db_path.parent / "secrets.toml"
            lines = ["[auth]", f'redirect_uri = "{self.url}/oauth2callback"']
            lines += [f'{k} = "{v}"' for k, v in auth.items()]
            secrets.write_text("\n".join(lines) + "\n")
            extra = ["--secrets.files", str(secrets)]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--server.headless", "true",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", *extra],
            # A file, not a pipe nobody reads: a server that logs much would block on a full pipe.
            cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("streamlit did not start")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


@pytest.fixture
def app_server(tmp_path):
    """The app on the demo without its hand coding (built before the server starts): these tests
    code from an empty start and count what they made."""
    from workbench.config import Settings
    from workbench.db.store import open_store
    from workbench.demo import build_demo
    url = f"sqlite:///{tmp_path / 'browser.db'}"
    store = open_store(url)
    build_demo(store, Settings(database_url=url, coder="ana"), codings=False)
    store.dispose()
    server = AppServer(tmp_path / "browser.db")
    yield server
    server.stop()


@pytest.fixture
def first_run_server(tmp_path):
    """The app on an empty database: its first run builds the demo as a new user gets it."""
    server = AppServer(tmp_path / "first-run.db")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: scripts/test.sh installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    pg = context.new_page()
    pg.dialogs = []
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    yield pg
    context.close()


def wait_idle(page, timeout_ms: int = 120_000) -> None:
    """Wait until the app's script has finished its rerun (Streamlit marks its root with the
    script's state): a click sent while a rerun still draws the page can land on an element the
    rerun replaces, and is lost on a loaded machine."""
    page.wait_for_function(
        "() => { const app = document.querySelector('[data-testid=\"stApp\"]');"
        " return app && app.getAttribute('data-test-script-state') !== 'running'; }", timeout=timeout_ms)


def choose_option(page, label: str, option: str, *, exact: bool = False) -> None:
    """Pick ``option`` in the select box ``label`` by typing it and pressing Enter on it. A click
    on the option failed under load: the list was being redrawn and the option sat outside the
    viewport ("element is outside of the viewport" for 30 s)."""
    wait_idle(page)
    page.get_by_label(label, exact=True).first.click()
    page.keyboard.type(option)
    target = page.get_by_role("option", name=option, exact=exact).first
    target.wait_for(timeout=60_000)
    for _ in range(30):                     # the filtered list may put another option first
        if target.get_attribute("data-focused") == "true":
            break
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    wait_idle(page)
