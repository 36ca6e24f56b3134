"""The first hour of a new user in a real browser, on an empty database that the app's first run
fills with the demo: read a crosstab, click a count, read its quotes, search a word, code every
hit, undo, save the case table with an empty number cell, export the Word report."""
from __future__ import annotations

import io
import time

from docx import Document
from sqlalchemy import func, select

from tests.browser_support import choose_option, wait_idle
from workbench.corpus.cases import case_table
from workbench.db.models import Coding
from workbench.db.store import open_store


def codings(server) -> int:
    store = open_store(server.db_url)
    with store.read() as s:
        n = s.scalar(select(func.count(Coding.id)))
    store.dispose()
    return n


def wait_until(check, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}")
        time.sleep(0.3)


def click_cell(page, frame, column: float, row: int) -> None:
    """Click a cell of a Streamlit dataframe (a canvas grid): ``column`` as a fraction of the
    table's width, ``row`` counted from the first data row (rows and header are 35 px)."""
    frame.scroll_into_view_if_needed()
    box = frame.bounding_box()
    page.mouse.click(box["x"] + box["width"] * column, box["y"] + 35 * (row + 1) + 17)


def clear_a_number_cell_and_save(page, server) -> None:
    """Clear the first case's employees in the case table and save it, until the database has it.

    On a loaded machine a click on "Save" sent while the edit's rerun still runs can be lost; a
    person sees nothing saved and clicks again, and so does this (the edit is made once: the grid
    keeps it)."""
    page.get_by_role("tab", name="Case table").click()
    grid = page.locator("[data-testid=stDataFrame]").filter(has_text="employees")
    grid.wait_for(timeout=60_000)
    # The arrows must go to the grid: a click that lands while the page redraws leaves the focus
    # on the tabs, and the arrows would then switch tabs.
    deadline = time.monotonic() + 120
    while True:
        wait_idle(page)
        box = grid.bounding_box()
        page.mouse.click(box["x"] + 100, box["y"] + 35 + 17)             # the first case's name
        page.wait_for_timeout(300)
        if page.evaluate("() => !!document.activeElement?.closest('[data-testid=stDataFrame]')"):
            break
        assert time.monotonic() < deadline, "the case table's grid never took the focus"
    for _ in range(3):                                                    # case -> sector -> size -> employees
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Delete")
    page.wait_for_timeout(1500)                                           # the edit's rerun starts ...
    for _ in range(3):
        wait_idle(page)                                                   # ... and ends
        page.get_by_role("button", name="Save case table").click(timeout=60_000)
        # The database, not the toast, says it was saved: a toast can come and go unseen under load.
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline:
            store = open_store(server.db_url)
            with store.read() as s:
                cleared = case_table(s, 1)["employees"].isna().sum()
            store.dispose()
            if cleared:
                return
            time.sleep(0.5)
    raise AssertionError("three clicks on Save did not bring the cleared cell into the database")


def test_first_hour_on_the_demo(first_run_server, page):
    server = first_run_server
    page.goto(server.url)
    page.wait_for_selector("[data-testid=stMetric]", timeout=240_000)       # the first run built the demo
    start = codings(server)
    assert start > 700                                                     # two coders' hand coding

    # Analysis: the crosstab answers at once; a click on a count shows the quotes it counted.
    page.goto(server.url + "/analysis")
    page.wait_for_selector("text=Quotes behind a cell", timeout=120_000)
    table = page.locator("[data-testid=stDataFrame]").filter(has_text="(n=3)").first
    deadline = time.monotonic() + 120
    while not page.get_by_text("quote(s) from").count():
        click_cell(page, table, 0.33, 0)                                  # first code, first group
        page.wait_for_timeout(1500)
        assert time.monotonic() < deadline, "no quotes after clicking a count"
    assert page.locator("[data-testid=stMarkdownContainer] blockquote").count() >= 1

    # Search & words: every hit of fair*, coded in one click, then undone.
    page.goto(server.url + "/search")
    box = page.get_by_label("Words or phrases", exact=True)
    box.wait_for(timeout=60_000)
    wait_idle(page)
    box.fill("fair*")
    box.press("Enter")
    page.wait_for_selector("text=hits in", timeout=60_000)
    choose_option(page, "Code", "Costs of trade fairs")
    button = page.get_by_role("button", name="Code all")
    hits = int(button.inner_text().split()[2])
    wait_idle(page)
    button.click()
    page.wait_for_selector("text=Undo in the sidebar takes it back", timeout=60_000)
    made = codings(server) - start
    assert 0 < made <= hits                                              # some hits were coded so already
    wait_idle(page)
    page.get_by_role("button", name="Undo").click()
    wait_until(lambda: codings(server) == start, "the undo of coding every hit")

    # Sources & cases: clear a number cell and save (it crashed on pandas' NA before).
    page.goto(server.url + "/sources")
    clear_a_number_cell_and_save(page, server)
    store = open_store(server.db_url)
    with store.read() as s:
        table = case_table(s, 1).set_index("case")
    store.dispose()
    assert table["employees"].isna().sum() == 1 and not page.get_by_text("NAType").count()

    # Export: the Word report of the demo, with its quotes.
    page.goto(server.url + "/export")
    wait_idle(page)
    choose_option(page, "Crosstab in the report by", "sector", exact=True)
    page.get_by_role("button", name="Build report").click()
    with page.expect_download(timeout=240_000) as download:
        page.get_by_role("button", name="Download report.docx").click(timeout=240_000)
    doc = Document(io.BytesIO(open(download.value.path(), "rb").read()))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Coded segments" in text and "Codes by sector" in text and "Methods" in text and len(text) > 10_000
    page.screenshot(path=str(server.db_url.split("///")[1]) + ".png")
