"""Pure functions at the edges: UTF-16 <-> code points, re-anchoring spans through a diff."""
from __future__ import annotations

import pytest

from workbench.corpus.offsets import cp_to_u16, u16_len, u16_to_cp
from workbench.corpus.reanchor import reanchor

SAMPLES = ["plain", "Então fomos à feira 👍 em Frankfurt", "👨‍👩‍👧 family", "e\u0301 combining", "𝔘𝔫𝔦 and 中文"]


@pytest.mark.parametrize("text", SAMPLES)
def test_round_trip_every_code_point_offset(text):
    for cp in range(len(text) + 1):
        assert u16_to_cp(text, cp_to_u16(text, cp)) == cp
    assert cp_to_u16(text, len(text)) == u16_len(text)


def test_emoji_counts_two_units():
    text = "a👍b"
    assert [cp_to_u16(text, i) for i in range(4)] == [0, 1, 3, 4]
    assert u16_to_cp(text, 2) == 1          # inside the surrogate pair: rounds down


def span_text(text, span):
    return None if span is None else text[span[0]:span[1]]


def test_unchanged_text_keeps_spans():
    assert reanchor("abc", "abc", [(0, 2)]) == [(0, 2)]


def test_insertion_before_shifts_and_inside_extends():
    old = "We went to the fair in Paris."
    new = "Then we went to the big fair in Paris."
    fair = (old.index("the fair"), old.index(" in Paris"))
    [moved] = reanchor(old, new, [fair])
    assert span_text(new, moved) == "the big fair"


def test_correction_inside_span_keeps_it():
    old = "Então fomos à fera em Frankfurt"
    new = "Então fomos à feira em Frankfurt"
    span = (old.index("fomos"), old.index(" em"))
    assert span_text(new, reanchor(old, new, [span])[0]) == "fomos à feira"


def test_deleted_text_is_reported_lost_and_neighbours_survive():
    old = "Keep this. Delete this sentence. Keep that."
    new = "Keep this. Keep that."
    spans = [(0, 9), (old.index("Delete"), old.index(" Keep that")), (old.index("Keep that"), len(old))]
    result = reanchor(old, new, spans)
    assert span_text(new, result[0]) == "Keep this"
    assert result[1] is None
    assert span_text(new, result[2]) == "Keep that."


def test_partial_deletion_shrinks_span():
    old = "alpha beta gamma"
    new = "alpha gamma"
    assert span_text(new, reanchor(old, new, [(0, len("alpha beta"))])[0]) == "alpha"
