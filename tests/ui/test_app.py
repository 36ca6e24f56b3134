"""The Streamlit app, headless with AppTest."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.paths import REPO


@pytest.fixture
def app_env(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_DATABASE_URL", f"sqlite:///{tmp_path / 'app.db'}")
    monkeypatch.setenv("WORKBENCH_CODER", "ana")
    monkeypatch.setenv("WORKBENCH_LOCAL_WORKER", "0")     # tests run jobs themselves
    monkeypatch.chdir(REPO)
    return tmp_path


def test_first_run_builds_the_demo_and_shows_the_overview(app_env):
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60).run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Sources"] == "6" and metrics["Cases"] == "6" and metrics["Codebooks"] == "5"
    assert at.sidebar.selectbox(key="project").value.startswith("Demo")
    assert len(at.dataframe) == 3
    assert sorted(at.dataframe[2].value["codes"]) == [4, 7, 10, 13, 15]


def test_database_problem_is_shown_not_raised(app_env):
    (app_env / "app.db").write_text("not a database")
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert "not a workbench project" in at.error[0].value


def test_the_app_shows_the_warning_when_it_listens_beyond_this_machine(app_env):
    from streamlit import config as st_config
    before = st_config.get_option("server.address")
    try:
        st_config.set_option("server.address", "0.0.0.0")
        at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120).run()
        assert any("has no login" in w.value for w in at.warning)
        st_config.set_option("server.address", "127.0.0.1")
        at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120).run()
        assert not any("has no login" in w.value for w in at.warning)
    finally:
        st_config.set_option("server.address", before)
