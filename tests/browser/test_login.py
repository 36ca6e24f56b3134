"""A team server with a login (issue 17): the app behind a real OpenID Connect provider that the
test starts (oidc-provider-mock from PyPI). Nothing shows before the login; the coder is the
logged-in user, who cannot be typed over; what they write carries that identity; blind coding
hides a colleague's work."""
from __future__ import annotations

import subprocess
import sys
import time
import urllib.request

import pytest
from sqlalchemy import select

from tests.browser_support import AppServer, wait_idle
from tests.pg_server import free_port
from workbench.coding.memos import add_memo
from workbench.config import Settings
from workbench.db.models import Coder, Memo
from workbench.db.store import open_store
from workbench.demo import build_demo
from workbench.project.coders import get_or_create_coder

USER = "ana@uni.example"


@pytest.fixture
def provider():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "oidc_provider_mock", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url + "/.well-known/openid-configuration", timeout=1) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        raise RuntimeError("the OpenID provider did not start")
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def team_app(tmp_path, provider):
    db = tmp_path / "team.db"
    store = open_store(f"sqlite:///{db}")
    build_demo(store, Settings(database_url=store.url, coder="bea"), codings=False)
    with store.write() as s:
        add_memo(s, 1, "bea's private reading of interview 2", coder=get_or_create_coder(s, "bea"))
    store.dispose()
    server = AppServer(db, auth={"cookie_secret": "a-test-secret-that-is-long-enough", "client_id": "workbench",
                                 "client_secret": "not-secret-in-a-test",
                                 "server_metadata_url": f"{provider}/.well-known/openid-configuration"})
    yield server
    server.stop()


def test_the_coder_is_the_logged_in_user_and_blind_coding_hides_the_others(team_app, page):
    page.goto(team_app.url + "/memos")
    page.get_by_role("button", name="Log in").wait_for(timeout=60_000)
    assert page.get_by_text("bea's private reading").count() == 0          # nothing before the login
    wait_idle(page)
    page.get_by_role("button", name="Log in").click()
    page.locator("input[name=sub]").first.wait_for(timeout=60_000)          # the provider's own form
    page.locator("input[name=sub]").first.fill(USER)
    page.get_by_role("button", name="Authorize").first.click()
    page.get_by_text(f"Signed in as {USER}").wait_for(timeout=60_000)
    assert page.get_by_label("Coder", exact=True).count() == 0             # no name to type over

    page.goto(team_app.url + "/memos")
    page.get_by_text("bea's private reading").first.wait_for(timeout=60_000)
    page.get_by_text("bea's memo: only they can change or delete it.").first.wait_for(timeout=60_000)
    wait_idle(page)
    page.get_by_text("New memo").click()
    page.get_by_label("Text").first.fill("ana's note after logging in")
    wait_idle(page)
    page.get_by_role("button", name="Save memo").click()
    page.get_by_text("ana's note after logging in").first.wait_for(timeout=60_000)

    store = open_store(team_app.db_url)
    with store.read() as s:
        memo = s.scalar(select(Memo).where(Memo.text == "ana's note after logging in"))
        coder = s.get(Coder, memo.coder_id)
        assert coder.name == USER and coder.identity.endswith(f"|{USER}")     # issuer | subject
    store.dispose()

    wait_idle(page)
    page.get_by_text("Blind coding").click()
    page.wait_for_function("() => !document.body.innerText.includes(`bea's private reading`)", timeout=60_000)
    assert page.get_by_text("ana's note after logging in").count() >= 1
    page.screenshot(path=str(team_app.db_url.split("///")[1]) + ".png")
