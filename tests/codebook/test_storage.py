"""Codebooks in the database: load, update by GUID, export."""
from __future__ import annotations

import pytest

from workbench.codebook.format import read_codebook, to_yaml
from workbench.codebook.storage import spec_from_db, store_codebook
from workbench.errors import AlreadyExists


def test_codebook_load_update_and_export(store, project, codebook_id):
    project_id, coder_id = project
    spec = read_codebook("codebooks/association-roles.yaml")
    with store.write() as s, pytest.raises(AlreadyExists, match="--update"):
        store_codebook(s, project_id, spec)
    spec.codes[0].definition = "Changed definition."
    spec.codes.pop()
    with store.write("update", project_id=project_id, coder_id=coder_id) as s:
        r = store_codebook(s, project_id, spec, update=True)
    assert (r["added"], r["updated"], r["kept"]) == (0, 6, 1)
    with store.read() as s:
        from workbench.db.models import Codebook
        exported = spec_from_db(s.get(Codebook, codebook_id))
    assert exported.codes[0].definition == "Changed definition."
    assert "Changed definition." in to_yaml(exported)
