"""Hostile transcript text and code names are shown literally in the browser."""
from __future__ import annotations

from sqlalchemy import select

from workbench.coding import apply_code
from workbench.config import Settings
from workbench.corpus import import_uploads
from workbench.demo import build_demo
from workbench.models import Code, Coder, Source
from workbench.store import open_store

EVIL_TEXT = "Ana: <script>alert(1)</script> and <img src=x onerror=alert(2)> and :red[x] and $x$\nRui: ok\nAna: fine"
EVIL_CODE = "<img src=y onerror=alert(3)> :red[code] $y$"


def test_hostile_text_is_literal_on_every_page(app_server, page):
    store = open_store(app_server.db_url)
    build_demo(store, Settings(database_url=app_server.db_url, coder="ana"))
    import_uploads(store, 1, 1, [("evil.txt", EVIL_TEXT.encode())])
    with store.write("evil", project_id=1, coder_id=1) as s:
        code = s.scalar(select(Code).where(Code.name == "Socialization"))
        code.name = EVIL_CODE
        src = s.scalar(select(Source).where(Source.name == "evil"))
        apply_code(s, src, code.id, s.get(Coder, 1), 0, src.text.index(" and :red"))
    store.dispose()

    page.goto(app_server.url + "/coding")
    page.wait_for_selector(".wb-turn", timeout=60_000)
    page.get_by_label("Source", exact=True).first.click()
    page.keyboard.type("evil")
    page.get_by_role("option", name="evil").first.click()
    page.wait_for_selector("text=<script>alert(1)</script>", timeout=20_000)
    assert page.locator(".wb-coder img, .wb-coder script").count() == 0
    assert EVIL_CODE in page.locator(".wb-mark").first.get_attribute("title")

    page.goto(app_server.url + "/retrieval")
    for needle in (":red[code]", "$y$", "<img src=x onerror=alert(2)>", "<script>alert(1)</script>"):
        page.get_by_text(needle, exact=False).first.wait_for(timeout=30_000)
    assert page.locator("[data-testid='stMain'] img[src='x'], [data-testid='stMain'] img[src='y']").count() == 0
    assert page.dialogs == []
