"""Hand codings given as quotes, from a file on disk (SQLite and PostgreSQL): all rows or none, one
undoable action, errors naming the file and line."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from workbench.coding.quotes_import import import_codings_file
from workbench.db import history
from workbench.db.models import Coder, Coding
from workbench.errors import InvalidCodingsFile, InvalidSpan, NothingToUndo

GOOD = """coder: rita
codings:
  - source: it-02-nuvemar-software
    codebook: Roles of an industrial enterprise association
    code: Information aggregator
    quote: signed in München 👍
  - source: it-02-nuvemar-software
    codebook: Information internalization modes
    code: Socialization
    quote: signed in München
"""


def _codings(store, coder: str) -> int:
    with store.read() as s:
        return s.scalar(select(func.count(Coding.id)).join(Coder).where(Coder.name == coder)) or 0


def test_a_yaml_file_codes_its_quotes_once_and_undo_takes_them_back(demo_store, tmp_path):
    store, project_id = demo_store
    path = tmp_path / "rita.yaml"
    path.write_text(GOOD, encoding="utf-8")
    result = import_codings_file(store, project_id, path)
    assert result == {"coder": "rita", "rows": 2, "created": 2}
    assert import_codings_file(store, project_id, path)["created"] == 0          # not doubled
    assert _codings(store, "rita") == 2
    with store.read() as s:
        rita = s.scalar(select(Coder.id).where(Coder.name == "rita"))
    with store.write() as s:
        history.undo(s, project_id, rita)           # the second import changed nothing: this is the first
    assert _codings(store, "rita") == 0
    with pytest.raises(NothingToUndo), store.write() as s:
        history.undo(s, project_id, rita)


def test_a_wrong_row_names_file_and_line_and_stores_nothing(demo_store, tmp_path):
    store, project_id = demo_store
    path = tmp_path / "bad.csv"
    path.write_text("source,codebook,code,quote\n"
                    "it-02-nuvemar-software,Information internalization modes,Socialization,signed in München\n"
                    "it-02-nuvemar-software,Information internalization modes,Socialization,words nobody said\n",
                    encoding="utf-8")
    with pytest.raises(InvalidSpan) as caught:
        import_codings_file(store, project_id, path, coder="bea")
    assert caught.value.file == "bad.csv" and caught.value.line == 3 and "quote not found" in caught.value.message
    assert _codings(store, "bea") == 0
    with store.read() as s:
        assert s.scalar(select(Coder.id).where(Coder.name == "bea")) is None     # not even the coder


def test_an_unsupported_or_missing_file_is_refused(demo_store, tmp_path):
    store, project_id = demo_store
    odd = tmp_path / "codings.json"
    odd.write_text("{}", encoding="utf-8")
    with pytest.raises(InvalidCodingsFile, match="unsupported type .json"):
        import_codings_file(store, project_id, odd)
    with pytest.raises(Exception, match="does not exist"):
        import_codings_file(store, project_id, tmp_path / "missing.yaml")
