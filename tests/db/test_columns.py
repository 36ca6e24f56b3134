"""The compact column store of bulk events gives back exactly the values it was given."""
from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.db.columns import ColumnLog, decode

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
    assert len(starts.encode()["int64"]) < 1_100_000 and decode(speakers.encode())[:3] == [1, 2, 1]
