"""The compact column store of bulk events gives back exactly the values it was given."""
from __future__ import annotations

import json
import math
from array import array

from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.db.columns import NULL_INT, ColumnLog, decode, encode_values

values = st.one_of(st.none(), st.integers(-2**62, 2**62), st.floats(allow_nan=False, allow_infinity=False),
                   st.text(max_size=5), st.booleans())


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.lists(values, min_size=1, max_size=40))
def test_any_column_round_trips_through_json(column):
    log = ColumnLog()
    for v in column:
        log.add(v)
    back = decode(json.loads(json.dumps(log.encode())))
    assert back == column and [type(b) is bool for b in back] == [type(v) is bool for v in column]


def test_turns_cost_no_list_per_value():
    ids, starts, speakers, times = ColumnLog(), ColumnLog(), ColumnLog(), ColumnLog()
    for i in range(100_000):
        ids.add(1000 + i)
        starts.add(i * 37)
        speakers.add(i % 2 + 1)
        times.add(None)
    assert ids.encode() == {"from": 1000, "n": 100_000} and times.encode() == {"same": None, "n": 100_000}
    # differences compressed: 100,000 offsets in far less than their 800 KB
    assert len(starts.encode()["int64dz"]) < 20_000 and decode(starts.encode())[-1] == 99_999 * 37
    assert decode(speakers.encode())[:3] == [1, 2, 1]


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(st.lists(st.one_of(st.none(), st.integers(-2**63 + 1, 2**63 - 1)), min_size=1, max_size=40))
def test_a_machine_array_round_trips_whole_even_where_differences_overflow(column):
    data = array("q", [NULL_INT if v is None else v for v in column])
    assert decode(json.loads(json.dumps(encode_values(data)))) == column


def test_ranges_and_float_arrays_encode_whole():
    assert encode_values(range(5, 9)) == {"from": 5, "n": 4}
    assert decode(encode_values(array("d", [1.5, math.nan, 2.0]))) == [1.5, None, 2.0]
    assert decode(encode_values(["a", None])) == ["a", None]
