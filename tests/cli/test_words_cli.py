"""Text search and word frequencies from the command line, on the demo."""
from __future__ import annotations

from tests.cli.test_cli import wb  # noqa: F401 - the CLI runner fixture


def test_search_shows_hits_in_context_and_codes_them_all(wb):  # noqa: F811
    wb("demo")
    found = wb("search", "fair*", "--limit", "3").output
    assert "hits in" in found and "fairs" in found and "showing 3 of" in found
    assert "No hits for 'xyzzy'" in wb("search", "xyzzy").output
    assert "not closed" in wb("search", '"trade', code=1).output
    assert "say which hits" in wb("search", "fair", "--code", "Costs of trade fairs", code=1).output
    before = wb("list", "codings").output.count("Costs of trade fairs")
    coded = wb("search", "negócio", "--code", "Costs of trade fairs", "--all", "--turn").output
    assert "coded 1 turn(s)" in coded
    assert wb("list", "codings").output.count("Costs of trade fairs") == before + 1
    wb("undo")
    assert wb("list", "codings").output.count("Costs of trade fairs") == before


def test_words_without_stop_words_merged_by_lemma(wb):  # noqa: F811
    wb("demo")
    top = wb("words", "--top", "5", "--respondents").output
    assert "company, companies" in top and "words in all" in top and "| the " not in top
    assert "company, companies" not in wb("words", "--top", "5", "--exclude", "company").output
    raw = wb("words", "--top", "3", "--keep-stop-words", "--as-written").output
    assert " the " in raw
