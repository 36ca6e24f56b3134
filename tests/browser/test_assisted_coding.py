"""Assisted coding in a real browser: search by meaning and code a hit; the review queue shows
each suggestion's suggester, its reasons and the words that made it."""
from __future__ import annotations

import time

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import func, select

from tests.browser.test_coding_session import choose
from tests.browser_support import wait_idle
from tests.paths import REPO
from workbench.autocode import suggest
from workbench.coding.quotes_import import import_codings_file
from workbench.config import LLMSettings, Settings
from workbench.db.models import Code, Coding, Source
from workbench.db.store import open_store
from workbench.demo import build_demo


def _codings(url, code_name):
    store = open_store(url)
    with store.read() as s:
        n = s.scalar(select(func.count(Coding.id)).join(Code).where(Code.name == code_name))
    store.dispose()
    return n


def _search_by_meaning(page, query: str) -> None:
    """Type the query and submit it; if the submission is lost (a rerun still replacing the form
    on a loaded machine), type and submit again, as a person would, until the hits show."""
    empty = page.get_by_text("Type what the passages should be about")
    empty.wait_for(timeout=60_000)                      # the form has rendered and its rerun ended
    box = page.get_by_label("Passages about…")
    hits = page.get_by_text("similarity").first
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        wait_idle(page)
        box.fill(query)
        box.press("Enter")
        try:
            hits.wait_for(timeout=45_000)
            return
        except PlaywrightTimeout:
            if not empty.is_visible():                  # searching: wait for it rather than resubmit
                hits.wait_for(timeout=max(1_000, int((deadline - time.monotonic()) * 1000)))
                return
    hits.wait_for(timeout=1_000)


def test_search_by_meaning_and_code_a_hit(app_server, page):
    store = open_store(app_server.db_url)
    build_demo(store, Settings(database_url=app_server.db_url, coder="ana"), codings=False)
    store.dispose()
    page.goto(app_server.url + "/search")
    page.get_by_text("By meaning", exact=True).click(timeout=60_000)
    _search_by_meaning(page, "what it costs to exhibit at a trade fair")
    choose(page, "Code to apply", "Costs of trade fairs")
    button = page.get_by_role("button", name="Code sentence").first
    button.wait_for(timeout=30_000)
    deadline = time.monotonic() + 60
    while button.is_disabled() and time.monotonic() < deadline:
        time.sleep(0.2)
    wait_idle(page)
    button.click()
    deadline = time.monotonic() + 120
    while _codings(app_server.db_url, "Costs of trade fairs") == 0 and time.monotonic() < deadline:
        time.sleep(0.3)
    assert _codings(app_server.db_url, "Costs of trade fairs") == 1


def test_the_queue_shows_who_suggested_what_and_why(app_server, page):
    store = open_store(app_server.db_url)
    project_id = build_demo(store, Settings(database_url=app_server.db_url, coder="ana"), codings=False)["project_id"]
    import_codings_file(store, project_id, REPO / "transcripts" / "demo-gold.yaml")
    with store.read() as s:
        source = s.scalar(select(Source.id).where(Source.name == "it-02-nuvemar-software"))
    result = suggest.run(store, project_id, 1, methods=["semantic", "rules"], source_ids=[source],
                         semantic_threshold=0.35, llm_settings=LLMSettings())
    store.dispose()
    assert result.by_suggester.get("semantic") and result.by_suggester.get("rules")
    page.goto(app_server.url + "/autocode")
    page.get_by_role("tab", name="Review queue").click()
    page.get_by_text("Why: by meaning, similarity").first.wait_for(timeout=60_000)
    page.get_by_text("Why: rule ").first.wait_for(timeout=60_000)
    assert page.locator("mark, span[class*='orange'], .stMarkdown strong").count() > 0   # highlighted words
    choose(page, "Suggester", "By meaning")
    page.get_by_text(f"{result.by_suggester['semantic']} suggestion(s) shown").wait_for(timeout=60_000)
    # The rerun replaces the items after the caption: wait for the rule's items to go, then check
    # that the ones by meaning stayed (a count at once read stale items under load).
    page.wait_for_function("() => !document.body.innerText.includes('Why: rule ')", timeout=60_000)
    page.get_by_text("Why: by meaning, similarity").first.wait_for(timeout=60_000)
