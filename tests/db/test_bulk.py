"""Loading rows column by column (``bulk.load_columns``), on SQLite and PostgreSQL."""
from __future__ import annotations

import math
from array import array

import pytest
from sqlalchemy import select

from workbench.corpus.importing import import_files
from workbench.db.bulk import load_columns
from workbench.db.columns import NULL_INT
from workbench.db.models import Segment, Source


@pytest.fixture
def source_id(store, project, interview):
    project_id, coder_id = project
    import_files(store, project_id, coder_id, [interview])
    with store.read() as s:
        return s.scalar(select(Source.id))


def test_machine_arrays_lazy_columns_and_shared_values_load_in_batches(store, source_id):
    """Arrays with NULL marks, a range and shared values, sent three rows at a time: every row
    stored once, marks as NULL."""
    n = 7
    with store.write() as s:
        speaker = s.scalar(select(Segment.speaker_id).where(Segment.speaker_id.is_not(None)).limit(1))
        loaded = load_columns(s, Segment.__table__, {
            "idx": range(100, 100 + n),
            "start": array("q", range(0, 10 * n, 10)), "end": array("q", range(5, 10 * n + 5, 10)),
            "t_start": array("d", [math.nan if i % 2 else float(i) for i in range(n)]),
            "speaker_id": array("q", [NULL_INT if i % 3 else speaker for i in range(n)]),
        }, same={"source_id": source_id, "t_end": None, "page": None, "language": None}, chunk=3)
    assert loaded == n
    with store.read() as s:
        rows = s.execute(select(Segment.idx, Segment.start, Segment.t_start, Segment.speaker_id)
                         .where(Segment.idx >= 100).order_by(Segment.idx)).all()
    assert [tuple(r) for r in rows] == [(100 + i, 10 * i, None if i % 2 else float(i), None if i % 3 else speaker)
                                        for i in range(n)]


def test_columns_of_different_lengths_are_refused_before_anything_is_written(store, source_id):
    with store.write() as s, pytest.raises(ValueError, match="different lengths"):
        load_columns(s, Segment.__table__, {"idx": range(3), "start": array("q", [1, 2])},
                     same={"source_id": source_id})
    with store.read() as s:
        assert s.scalar(select(Segment.id).where(Segment.idx >= 100)) is None
