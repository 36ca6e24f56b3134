"""Case 2: a failure inside a nested step rolls back that step only (savepoints), on SQLite and
PostgreSQL, and the undo log holds exactly what was kept."""
from __future__ import annotations

from sqlalchemy import func, select

from workbench.autocode import runs as run_store
from workbench.autocode.review import review
from workbench.db import history
from workbench.db.models import Coder, Coding, Event, Source, Suggestion, SuggestionStatus


def test_accept_all_keeps_the_good_suggestions_when_one_cannot_be_accepted(demo_store):
    store, project_id = demo_store
    with store.write() as s:
        coder_id = s.scalar(select(Coder.id))
    run = run_store.run(store, project_id, coder_id)
    with store.read() as s:
        ids = list(s.scalars(select(Suggestion.id).where(Suggestion.run_id == run.run_id).order_by(Suggestion.id)))[:5]
    assert len(ids) == 5
    # One suggestion's span no longer fits its source (as after a turn was corrected shorter).
    with store.write() as s:
        bad = s.get(Suggestion, ids[2])
        bad.end = len(s.get(Source, bad.source_id).text) + 50
        bad_where = (bad.source_id, bad.start)

    with store.write("accept five", project_id=project_id, coder_id=coder_id) as s:
        result = review(s, project_id, ids, accept=True, coder=s.get(Coder, coder_id))
    assert result.changed == 4
    assert len(result.skipped) == 1 and f"suggestion {ids[2]}" in result.skipped[0]
    with store.read() as s:
        statuses = {i: s.get(Suggestion, i).status for i in ids}
        assert statuses[ids[2]] == SuggestionStatus.pending
        assert sum(v == SuggestionStatus.accepted for v in statuses.values()) == 4
        assert s.scalar(select(func.count()).select_from(Coding)) == 4
        assert s.scalar(select(func.count()).select_from(Coding).where(
            Coding.source_id == bad_where[0], Coding.start == bad_where[1], Coding.end > 10**6)) == 0
        logged = s.scalar(select(func.count()).select_from(Event).where(Event.action == "accept five",
                                                                        Event.entity == "coding"))
        assert logged == 4                 # the rolled-back step left nothing in the undo log

    with store.write() as s:
        history.undo(s, project_id, coder_id)
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(Coding)) == 0
        assert all(s.get(Suggestion, i).status == SuggestionStatus.pending for i in ids)

