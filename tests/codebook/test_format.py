"""Codebook YAML: the shipped codebooks, round trips, and hostile or broken files."""
from __future__ import annotations

import textwrap

import pytest

from tests.paths import REPO
from workbench.codebook.format import check_text, read_codebook, to_yaml
from workbench.errors import InvalidCodebook

CODEBOOKS = sorted((REPO / "codebooks").glob("*.yaml"))


def meaning(spec):
    """Everything a codebook says, without where it was read from."""
    return (spec.name, spec.guid, spec.description, spec.reference, spec.languages,
            [(path, c.guid, c.color, c.definition, c.when_to_use, c.when_not_to_use, c.examples, c.rules)
             for path, c in spec.walk()])


def test_five_codebooks_ship():
    names = {read_codebook(p).name for p in CODEBOOKS}
    assert len(CODEBOOKS) == 5 and len(names) == 5


@pytest.mark.parametrize("path", CODEBOOKS, ids=lambda p: p.stem)
def test_shipped_codebook_is_complete(path):
    spec = read_codebook(path)
    codes = [c for _, c in spec.walk()]
    for c in codes:
        assert c.definition and c.when_to_use and c.when_not_to_use, c.name
        assert c.examples and c.guid and c.color, c.name
    assert "pt" in spec.languages


def test_shipped_code_counts():
    counts = {read_codebook(p).name: sum(1 for _ in read_codebook(p).walk()) for p in CODEBOOKS}
    assert counts["Types of intermediaries in collaborative networks"] == 10
    assert counts["Reasons for establishing collaborative networks"] == 15
    assert counts["Roles of an industrial enterprise association"] == 7
    assert counts["Information internalization modes"] == 4


@pytest.mark.parametrize("path", CODEBOOKS, ids=lambda p: p.stem)
def test_export_then_load_keeps_meaning(path):
    spec = read_codebook(path)
    again, problems = check_text(to_yaml(spec))
    assert problems == []
    assert meaning(again) == meaning(spec)


def problems_of(text: str):
    try:
        spec, problems = check_text(textwrap.dedent(text), "cb.yaml")
    except InvalidCodebook as exc:
        return [exc]
    assert spec is None
    return problems


def test_python_tags_are_refused_with_line():
    [p] = problems_of("""\
        workbench_codebook: 1
        name: x
        codes:
          - name: !!python/object/apply:os.system ["echo pwned"]
            definition: d
        """)
    assert p.file == "cb.yaml" and p.line == 4
    assert "tag" in p.message


def test_alias_bomb_is_refused():
    lines = ["workbench_codebook: 1", "a: &a [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 12):
        lines.append(f"a{i}: &a{i} [*{'a' if i == 1 else f'a{i-1}'}, *{'a' if i == 1 else f'a{i-1}'}, "
                     + ", ".join([f"*{'a' if i == 1 else f'a{i-1}'}"] * 8) + "]")
    [p] = problems_of("\n".join(lines))
    assert "alias" in p.message and p.line is not None


def test_unknown_parent_code_names_its_line():
    [p] = problems_of("""\
        workbench_codebook: 1
        name: Barriers
        codes:
          - name: Costs
            definition: d
          - name: Travel
            parent: Expenses
            definition: d
        """)
    assert p.line == 7 and "unknown parent code 'Expenses'" in p.message


def test_parent_reference_builds_the_tree():
    spec, problems = check_text(textwrap.dedent("""\
        workbench_codebook: 1
        name: Barriers
        codes:
          - name: Costs
            definition: d
          - name: Travel
            parent: Costs
            definition: d
        """))
    assert problems == [] and [p for p, _ in spec.walk()] == [("Costs",), ("Costs", "Travel")]


def test_every_problem_is_reported_with_its_line():
    problems = problems_of("""\
        workbench_codebook: 1
        name: Dupes
        codes:
          - name: Fairs
            definition: d
            colour: "#fff"
          - name: Fairs
            definition: d
          - name: fairs
            definition: d
        """)
    assert any(p.line == 6 and "colour" in p.message for p in problems)
    # schema problems come first; after fixing them the duplicate names are reported
    fixed = problems_of("""\
        workbench_codebook: 1
        name: Dupes
        codes:
          - name: Fairs
            definition: d
          - name: Fairs
            definition: d
          - name: fairs
            definition: d
        """)
    assert [(p.line, "two codes named" in p.message) for p in fixed] == [(6, True), (8, True)]


def test_missing_definition_and_bad_colour_and_guid():
    problems = problems_of("""\
        workbench_codebook: 1
        name: x
        codes:
          - name: A
            color: red
            guid: not-a-guid
        """)
    lines = sorted(p.line for p in problems)
    assert lines == [4, 5, 6]


def test_duplicate_key_is_refused():
    [p] = problems_of("""\
        workbench_codebook: 1
        name: x
        name: y
        codes:
          - name: A
            definition: d
        """)
    assert p.line == 3 and "twice" in p.message


def test_syntax_error_has_line():
    [p] = problems_of("workbench_codebook: 1\nname: [unclosed\ncodes: []\n")
    assert p.line is not None and "not valid YAML" in p.message


def test_read_codebook_raises_all_problems(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text("workbench_codebook: 2\nname: ''\ncodes: []\n", encoding="utf-8")
    with pytest.raises(InvalidCodebook) as exc:
        read_codebook(f)
    assert len(exc.value.problems) == 3
    assert str(f) in str(exc.value)


def test_deep_nesting_is_refused_with_a_message():
    [p] = problems_of("codes: " + "[" * 5000 + "]" * 5000)
    assert "nested more than" in p.message
