"""Assisted coding from the command line: search by meaning and code hits, the learned suggester's
report, runs by suggester, the queue's reasons, the LLM endpoint."""
from __future__ import annotations

from tests.autocode.test_llm import stub  # noqa: F401 - the stub OpenAI-compatible server process
from tests.cli.test_cli import wb  # noqa: F401 - the CLI runner fixture
from tests.paths import REPO


def test_search_then_code_two_hits(wb):  # noqa: F811
    wb("demo", "--no-codings")
    out = wb("search", "--meaning", "sharing the cost of a stand at a fair", "--limit", "3", "--respondents").output
    assert "closest in meaning" in out and "not searched by meaning" in out and "hit" in out
    coded = wb("search", "--meaning", "sharing the cost of a stand at a fair", "--limit", "3", "--code", "Costs of trade fairs",
               "--hit", "1", "--hit", "2", "--sentence").output
    assert coded.count("coded hit") == 2
    assert wb("list", "codings").output.count("Costs of trade fairs") == 2
    assert "there is no hit 9" in wb("search", "--meaning", "fairs", "--limit", "3", "--code",
                                     "Costs of trade fairs", "--hit", "9", code=1).output
    assert "say which hits" in wb("search", "--meaning", "fairs", "--code", "Costs of trade fairs", code=1).output


def test_learn_report_runs_by_suggester_and_the_queue_says_why(wb):  # noqa: F811
    wb("demo", "--no-codings")
    assert "coding in 0 source(s)" in wb("autocode", "learned", code=1).output
    assert "learned: coding in 0 source(s)" in wb("autocode", "run", "--method", "learned", code=1).output
    wb("import-codings", REPO / "transcripts" / "demo-gold.yaml")
    report = wb("autocode", "learned").output
    assert "precision and recall cross-validated by source" in report and "needs" in report
    assert "overall at the chosen threshold" in report
    assert "held back as off topic under relevance 0." in report and "cross-validated" in report
    out = wb("autocode", "run", "--method", "semantic", "--source", "it-02-nuvemar-software").output
    assert "suggestions (" in out and "semantic" in out
    queue = wb("autocode", "review", "--suggester", "semantic", "--by-confidence").output
    assert "by meaning, similarity" in queue
    assert "unknown suggester" in wb("autocode", "run", "--method", "oracle", code=1).output


def test_llm_endpoint_set_show_and_test(wb, stub, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("WORKBENCH_CONFIG_DIR", str(tmp_path / "config"))
    assert "nothing leaves this machine" in wb("llm", "show").output
    assert "no LLM endpoint configured" in wb("llm", "test", code=1).output
    wb("llm", "set", "--url", stub, "--model", "good", "--api-key", "s3cret")
    shown = wb("llm", "show").output
    assert "model good" in shown and "key set" in shown and "s3cret" not in shown
    assert "1 item(s) accepted, 0 refused" in wb("llm", "test").output
    wb("llm", "set", "--url", stub, "--model", "garbage")
    assert "refused: the answer is not JSON" in wb("llm", "test").output


def test_an_off_topic_source_is_held_back_unless_kept(wb):  # noqa: F811
    wb("demo", "--no-codings")
    wb("import-codings", REPO / "transcripts" / "demo-gold.yaml")
    wb("import", REPO / "bench" / "data" / "offtopic-nurse-rostering.txt", "--language", "en")
    held = wb("autocode", "run", "--method", "learned", "--method", "rules",
              "--source", "offtopic-nurse-rostering").output
    assert "1 source(s) look off topic" in held and "offtopic-nurse-rostering (0." in held
    assert "run 1: 0 suggestions" in held
    kept = wb("autocode", "run", "--method", "learned", "--method", "rules",
              "--source", "offtopic-nurse-rostering", "--keep-off-topic").output
    assert "look off topic" not in kept and "run 2:" in kept
    assert "run 2: 0 suggestions" not in kept       # the rules' and the model's few hits on the nurse come back
