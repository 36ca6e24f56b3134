"""The autocoding review queue in a real browser: accept one suggestion, undo the whole run."""
from __future__ import annotations

from sqlalchemy import func, select

from tests.browser_support import wait_idle
from workbench.autocode import runs as run_store
from workbench.config import Settings
from workbench.db.models import Coding, Suggestion
from workbench.db.store import open_store
from workbench.demo import build_demo


def wait_for(url, expected, timeout=120.0):
    import time
    deadline = time.monotonic() + timeout
    while counts(url) != expected and time.monotonic() < deadline:
        time.sleep(0.2)
    return counts(url)


def counts(url):
    store = open_store(url)
    with store.read() as s:
        out = (s.scalar(select(func.count(Coding.id)).where(Coding.origin == "autocode")),
               s.scalar(select(func.count(Suggestion.id)).where(Suggestion.status == "pending")))
    store.dispose()
    return out


def test_accept_a_suggestion_then_undo_the_run(app_server, page):
    store = open_store(app_server.db_url)
    project_id = build_demo(store, Settings(database_url=app_server.db_url, coder="ana"), codings=False)["project_id"]
    with store.read() as s:
        from workbench.codebook.lookup import get_codebook
        book = get_codebook(s, project_id, "Roles of an industrial enterprise association").id
    run = run_store.run(store, project_id, 1, codebook_ids=[book])
    store.dispose()
    assert run.suggestions > 0
    page.goto(app_server.url + "/autocode")
    page.get_by_role("tab", name="Review queue").click()
    page.get_by_role("button", name="Accept", exact=True).first.wait_for(timeout=30_000)
    wait_idle(page)
    page.get_by_role("button", name="Accept", exact=True).first.click()
    assert wait_for(app_server.db_url, (1, run.suggestions - 1)) == (1, run.suggestions - 1)
    page.get_by_text(f"{run.suggestions - 1} suggestion(s) shown").wait_for(timeout=60_000)
    page.get_by_role("tab", name="Run").click()
    page.get_by_role("button", name="Undo run").first.wait_for(timeout=60_000)
    wait_idle(page)
    page.get_by_role("button", name="Undo run").first.click()
    assert wait_for(app_server.db_url, (0, 0)) == (0, 0)
    assert page.dialogs == []
