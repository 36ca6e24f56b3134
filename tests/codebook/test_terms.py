"""Names and jargon from the codebooks, offered for the transcription prompt."""
from __future__ import annotations

from tests.cli.test_cli import wb  # noqa: F401 - the CLI runner fixture
from workbench.codebook.terms import codebook_terms


def test_names_and_acronyms_not_words_that_start_a_sentence(store, project):
    from workbench.codebook.format import check_text
    from workbench.codebook.storage import store_codebook
    project_id, coder_id = project
    spec, problems = check_text("""workbench_codebook: 1
name: Fairs
codes:
  - name: Trade fairs
    definition: Going to Heimtextil or Première Vision with AICEP. Apply when a fair is named.
    examples: ["We met the buyer at Première Vision.", "The Portuguese stand at ITMA was small."]
""", "fairs.yaml")
    assert problems == []
    with store.write("cb", project_id=project_id, coder_id=coder_id) as s:
        store_codebook(s, project_id, spec)
    with store.read() as s:
        terms = codebook_terms(s, project_id)
    assert terms[0] == "Première Vision" and {"AICEP", "ITMA"} <= set(terms)
    assert not {"Apply", "Going", "Portuguese", "The Portuguese", "Heimtextil"} & set(terms)


def test_codebook_terms_command(wb):  # noqa: F811
    wb("demo", "--no-codings")
    said = wb("codebook", "terms").output
    assert "AICEP" in said and "Première Vision" in said and "--prompt" in said
