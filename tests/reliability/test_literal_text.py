"""Case 12: hostile text (``<script>``, ``<img onerror>``, ``:red[x]``, ``$x$``) in transcripts,
code and codebook names, memos, cases and attribute values is shown literally on every page."""
from __future__ import annotations

import ast

import pytest
from streamlit.testing.v1 import AppTest

from tests.paths import REPO
from tests.reliability.hostile import EVIL_MEMO, MARKERS, build_hostile_project
from workbench.ui.safe import md

PAGES = ["overview", "sources", "coding", "codebooks", "autocode", "retrieval",
         "memos", "analysis", "agreement", "export", "search"]
URLS = ["", "sources", "coding", "codebook", "autocode", "retrieval", "memos", "analysis", "agreement", "export"]
HTML_SINKS = {"html"}
# A page and hostile text it shows in markdown (escaped).
SHOWN_ON = {"retrieval": "<script>alert(1)</script>", "memos": EVIL_MEMO}                           # st.html, components.html


def run_page(name: str):
    import importlib

    from workbench.ui.state import workspace
    ws = workspace()
    if ws is not None:
        importlib.import_module(f"workbench.ui.pages.{name}").render(ws)


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'p.db'}"
    build_hostile_project(url)
    return url


def _markdown_elements(at: AppTest):
    """Every element rendered from the Markdown proto (markdown, caption, title, headers...)."""
    found = []

    def walk(node):
        proto = getattr(node, "proto", None)
        if proto is not None and proto.__class__.__name__ == "Markdown":
            found.append(proto)
        for child in getattr(node, "children", {}).values() if isinstance(getattr(node, "children", None), dict) else []:
            walk(child)
    for root in (at.main, at.sidebar):           # AppTest's public roots of the page
        walk(root)
    return found


# Page states that show more hostile text: a search whose hits are in the hostile transcript
# (and a query that is itself markdown, which the "no hits" message repeats), word frequencies,
# the quotes behind a crosstab cell of the hostile case's sector.
STATES = {
    "search": {"ts_query": "script"},
    "search:nothing": {"ts_query": ":red[x] $x$ nowhere"},
    "search:words": {"search_mode": "Word frequencies"},
    "analysis:cell": {"an_drill_group": "<i>textile</i> :red[t]"},
}


@pytest.mark.parametrize("name", PAGES + list(STATES)[1:])
def test_no_page_renders_user_text_as_html(name, hostile_db, monkeypatch):
    monkeypatch.setenv("WORKBENCH_DATABASE_URL", hostile_db)
    monkeypatch.setenv("WORKBENCH_CODER", "ana")
    monkeypatch.setenv("WORKBENCH_LOCAL_WORKER", "0")
    at = AppTest.from_function(run_page, args=(name.split(":")[0],), default_timeout=60)
    for key, value in STATES.get(name, {}).items():
        at.session_state[key] = value
    at.run()
    if name == "analysis:cell":                       # a code of the hostile coding, then its quotes
        codes = at.selectbox(key="an_drill_code").options
        at.selectbox(key="an_drill_code").set_value(next(c for c in codes if "onerror" in c)).run()
    assert not at.exception, at.exception
    elements = _markdown_elements(at)
    assert elements, "the walk found no markdown at all: the test would prove nothing"
    for proto in elements:
        if proto.allow_html:
            assert not any(m in proto.body for m in MARKERS + ("onerror", "<script", "onload", "onmouseover")), \
                f"{name} renders user text with unsafe_allow_html: {proto.body[:200]}"
        # Markdown that reached the page unescaped would turn :red[x] into colour and $x$ into maths.
        for raw in (":red[x]", ":red[code]", "$x$", "$y$", "<img src=x", "<script>"):
            assert raw not in proto.body, f"{name} passes {raw!r} to markdown unescaped: {proto.body[:200]}"
    if name in SHOWN_ON:
        # The hostile text did reach the page (escaped), so the checks above had something to check.
        assert any(md(SHOWN_ON[name]) in proto.body for proto in elements), name


def test_no_code_turns_on_unsafe_html():
    """The rule behind the test above, for code not yet rendered with hostile data: the UI never
    passes unsafe_allow_html=True and never calls st.html / components.html."""
    offenders = []
    for path in [REPO / "app.py", *sorted((REPO / "workbench").rglob("*.py"))]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            for kw in node.keywords:
                if kw.arg == "unsafe_allow_html" and not (isinstance(kw.value, ast.Constant) and kw.value.value is False):
                    offenders.append(f"{path.relative_to(REPO)}:{node.lineno} unsafe_allow_html")
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in HTML_SINKS and isinstance(func.value, ast.Name) \
                    and func.value.id in ("st", "components"):
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno} {func.value.id}.{func.attr}")
    assert offenders == []


def test_hostile_text_is_literal_in_the_browser_on_every_page(app_server, page):
    build_hostile_project(app_server.db_url)
    for url in URLS:
        page.goto(f"{app_server.url}/{url}")
        page.wait_for_selector("[data-testid='stSidebar']", timeout=60_000)
        # Every page opens with its title: wait for it instead of for a fixed time.
        page.wait_for_selector("[data-testid='stMain'] h1", timeout=60_000)
        main = page.locator("[data-testid='stMain']")
        # Nothing injected: no element from the hostile strings exists anywhere in the page.
        assert page.locator("img[src='x'], img[src='y'], img[src='z'], svg[onload], b[onmouseover]").count() == 0, url
        assert main.locator("script").count() == 0, url
        assert page.locator("a[href^='javascript:']").count() == 0, url
        assert not main.get_by_text("Traceback").count(), url
    # Pages where the hostile strings are on screen show them as typed.
    page.goto(f"{app_server.url}/retrieval")
    for needle in (":red[code]", "$y$", "<img src=x onerror=alert(2)>", "<script>alert(1)</script>"):
        page.get_by_text(needle, exact=False).first.wait_for(timeout=30_000)
    page.goto(f"{app_server.url}/memos")
    page.get_by_text("[link](javascript:alert(6))", exact=False).first.wait_for(timeout=30_000)
    assert page.dialogs == []
