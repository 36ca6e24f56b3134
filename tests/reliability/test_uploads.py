"""Case 11: uploads that are empty, too large, a ZIP posing as MP3, or named with ../ or a NUL
byte are refused with the reason; nothing is stored; stored files get generated names."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.paths import FIXTURES
from workbench.corpus.importing import import_uploads
from workbench.db.models import Job, Source
from workbench.errors import InvalidSource
from workbench.transcription.jobs import enqueue_audio

ZIP_AS_MP3 = b"PK\x03\x04" + b"\x14\x00" * 200


def _sources(store) -> int:
    with store.read() as s:
        return s.scalar(select(func.count()).select_from(Source))


@pytest.mark.parametrize(("name", "data", "reason"), [
    ("empty.txt", b"", "is empty"),
    ("big.txt", b"Ana: " + b"words " * 40_000, "above the upload limit of 0.1 MB"),
    ("../../etc/evil.txt", b"Ana: hi", "folder part"),
    ("..\\..\\evil.txt", b"Ana: hi", "folder part"),
    ("evil\x00.txt", b"Ana: hi", "NUL byte"),
])
def test_bad_transcript_uploads_are_refused_and_nothing_is_stored(store, project, name, data, reason):
    project_id, coder_id = project
    with pytest.raises(InvalidSource, match=re.escape(reason)):
        import_uploads(store, project_id, coder_id, [("good.txt", b"Ana: a good file"), (name, data)],
                       max_bytes=100_000)
    assert _sources(store) == 0                    # not even the good file of the batch


@pytest.mark.parametrize(("name", "data", "reason"), [
    ("empty.mp3", b"", "is empty"),
    ("archive.mp3", ZIP_AS_MP3, "ZIP archive renamed as audio"),
    ("../../../tmp/owned.mp3", (FIXTURES / "jfk.flac").read_bytes(), "folder part"),
    ("a\x00.flac", (FIXTURES / "jfk.flac").read_bytes(), "NUL byte"),
    ("jfk.flac", (FIXTURES / "jfk.flac").read_bytes(), "above the upload limit"),
])
def test_bad_recording_uploads_are_refused_and_nothing_is_stored(store, project, tmp_path, name, data, reason):
    project_id, coder_id = project
    media = tmp_path / "media"
    with pytest.raises(InvalidSource, match=re.escape(reason)):
        enqueue_audio(store, project_id, coder_id, name, data, media_dir=media, max_bytes=500_000)
    assert _sources(store) == 0
    assert not media.exists() or not any(media.iterdir())
    assert not Path("/tmp/owned.mp3").exists()


def test_stored_recordings_get_generated_names(store, project, tmp_path):
    project_id, coder_id = project
    media = tmp_path / "media"
    source_id, job_id, created = enqueue_audio(store, project_id, coder_id, "Interview with Ana (final).flac",
                                               (FIXTURES / "jfk.flac").read_bytes(), media_dir=media)
    assert created
    stored = list(media.iterdir())
    assert len(stored) == 1 and re.fullmatch(r"[0-9a-f]{32}\.flac", stored[0].name)
    with store.read() as s:
        src = s.get(Source, source_id)
        assert src.original_filename == "Interview with Ana (final).flac" and Path(src.media_path) == stored[0]
        assert s.get(Job, job_id) is not None


def test_the_configured_limit_reaches_the_library(monkeypatch):
    from workbench.config import load_settings
    monkeypatch.setenv("WORKBENCH_MAX_UPLOAD_MB", "3")
    assert load_settings().max_upload_bytes == 3 * 1024 * 1024
