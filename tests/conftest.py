"""Fixtures: a store on SQLite *and* on a real PostgreSQL for every library test."""
from __future__ import annotations

import itertools
import os

import pytest
from sqlalchemy import create_engine, text

from tests.browser_support import app_server, browser, first_run_server, page  # noqa: F401  (fixtures)
from tests.paths import REPO
from workbench.codebook.format import read_codebook
from workbench.codebook.storage import store_codebook
from workbench.config import Settings
from workbench.db.store import open_store
from workbench.project.coders import get_or_create_coder
from workbench.project.projects import create_project

_counter = itertools.count()


def pytest_addoption(parser):
    parser.addoption("--backend", action="append", choices=["sqlite", "postgresql"],
                     help="Run library tests on this backend only (default: both).")


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        backends = metafunc.config.getoption("backend") or ["sqlite", "postgresql"]
        metafunc.parametrize("backend", backends)


@pytest.fixture(scope="session")
def pg_template():
    """Start PostgreSQL once; migrate a template database every test database is copied from."""
    from tests.pg_server import PostgresServer
    server = PostgresServer()
    admin_url = server.start()
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("CREATE DATABASE wb_template"))
    store = open_store(server.url("wb_template"))
    store.dispose()
    yield server, engine
    engine.dispose()
    server.stop()


@pytest.fixture
def db_url(backend, tmp_path, request):
    """A fresh, migrated database URL on the backend under test."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'project.db'}"
        return
    server, engine = request.getfixturevalue("pg_template")
    name = f"wb_test_{os.getpid()}_{next(_counter)}"
    with engine.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE wb_template"))
    yield server.url(name)
    with engine.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture
def store(db_url):
    s = open_store(db_url)
    yield s
    s.dispose()


@pytest.fixture
def project(store):
    """``(project_id, coder_id)`` of an empty project with one coder."""
    with store.write() as s:
        coder = get_or_create_coder(s, "ana")
        p = create_project(s, "Study")
        return p.id, coder.id


INTERVIEW = ("[00:00:01] Interviewer: How did you choose Germany?\n\n"
             "[00:00:05] Rui Sá: A client took us there. Então fomos à feira 👍 em Frankfurt.\n\n"
             "[00:00:20] Interviewer: And the association?\n\n"
             "[00:00:24] Rui Sá: They shared the stand, so the cost was lower.\n")


@pytest.fixture
def interview(tmp_path):
    """A four-turn interview file (English and Portuguese, an emoji) to import."""
    f = tmp_path / "rui.txt"
    f.write_text(INTERVIEW, encoding="utf-8")
    return f


@pytest.fixture
def codebook_id(store, project):
    """Id of the association-roles codebook loaded into the test project."""
    project_id, coder_id = project
    spec = read_codebook(REPO / "codebooks" / "association-roles.yaml")
    with store.write("load", project_id=project_id, coder_id=coder_id) as s:
        return store_codebook(s, project_id, spec)["codebook_id"]


@pytest.fixture
def settings(tmp_path):
    return Settings(database_url=f"sqlite:///{tmp_path / 'cli.db'}", coder="ana",
                    exports_dir=tmp_path / "exports", media_dir=tmp_path / "media")


@pytest.fixture
def demo_store(store):
    """The demo project built in the store under test, without its hand coding (an empty start)."""
    from workbench.demo import build_demo
    result = build_demo(store, Settings(database_url=store.url, coder="ana"), codings=False)
    return store, result["project_id"]


@pytest.fixture(autouse=True)
def offline_models(tmp_path_factory, monkeypatch):
    """No test may reach a model hub; models are joined into a cache shared by the session."""
    monkeypatch.setenv("WORKBENCH_MODEL_CACHE", str(tmp_path_factory.getbasetemp() / "models"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # No LLM endpoint unless a test sets one: the machine's own settings never reach a test.
    monkeypatch.setenv("WORKBENCH_CONFIG_DIR", str(tmp_path_factory.getbasetemp() / "config"))
    for key in ("URL", "MODEL", "API_KEY", "TIMEOUT"):
        monkeypatch.delenv(f"WORKBENCH_LLM_{key}", raising=False)


def pytest_collection_modifyitems(items):
    for item in items:
        if "page" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
