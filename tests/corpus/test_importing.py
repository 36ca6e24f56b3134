"""Importing files as sources, and their speakers (SQLite and PostgreSQL)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from workbench.corpus.importing import import_files
from workbench.corpus.speakers import rename_speaker, set_speaker_role
from workbench.db.models import Segment, Source, SpeakerRole
from workbench.errors import InvalidSource


def test_import_stores_text_segments_speakers_and_roles(store, project, interview):
    project_id, coder_id = project
    results, errors = import_files(store, project_id, coder_id, [interview], case="Firm A")
    assert errors == [] and results[0].created and results[0].segments == 4
    with store.read() as s:
        src = s.get(Source, results[0].source_id)
        assert src.case.name == "Firm A" and src.format == "txt"
        assert [(sp.label, sp.role) for sp in src.speakers] == [
            ("Interviewer", SpeakerRole.interviewer), ("Rui Sá", SpeakerRole.interviewee)]
        seg = src.segments[1]
        assert src.text[seg.start:seg.end].endswith("feira 👍 em Frankfurt.")
        assert (seg.t_start, seg.t_end) == (5.0, 20.0)


def test_reimporting_the_same_file_is_detected(store, project, interview, tmp_path):
    project_id, coder_id = project
    import_files(store, project_id, coder_id, [interview])
    copy = tmp_path / "renamed-copy.txt"
    copy.write_bytes(interview.read_bytes())
    results, _ = import_files(store, project_id, coder_id, [copy])
    assert not results[0].created and results[0].duplicate_of == "rui"
    with store.read() as s:
        assert s.scalar(select(func.count(Source.id))) == 1


def test_a_bad_file_in_a_batch_stores_nothing(store, project, interview, tmp_path):
    project_id, coder_id = project
    bad = tmp_path / "broken.docx"
    bad.write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(InvalidSource) as exc:
        import_files(store, project_id, coder_id, [interview, bad])
    assert exc.value.file == str(bad)
    with store.read() as s:
        assert s.scalar(select(func.count(Source.id))) == 0
        assert s.scalar(select(func.count(Segment.id))) == 0
    results, errors = import_files(store, project_id, coder_id, [interview, bad], skip_bad=True)
    assert [r.created for r in results] == [True] and len(errors) == 1


def test_speakers_rename_and_role(store, project, interview):
    project_id, coder_id = project
    import_files(store, project_id, coder_id, [interview])
    with store.write("rename", project_id=project_id, coder_id=coder_id) as s:
        rename_speaker(s, project_id, "rui", "Rui Sá", "R. Sá (CEO)")
        set_speaker_role(s, project_id, "rui", "Interviewer", "other")
    with store.read() as s:
        src = s.scalar(select(Source))
        assert [(sp.label, sp.role.value) for sp in src.speakers] == [("Interviewer", "other"), ("R. Sá (CEO)", "interviewee")]
    with store.write() as s, pytest.raises(Exception, match="no speaker 'Nobody'"):
        rename_speaker(s, project_id, "rui", "Nobody", "x")
    with store.write() as s, pytest.raises(InvalidSource, match="unknown role"):
        set_speaker_role(s, project_id, "rui", "Interviewer", "boss")


class _Stopped(BaseException):
    """What Streamlit raises in a progress update once Cancel was clicked (not an Exception)."""


@pytest.mark.parametrize("name,line", [("long.txt", "Ana: we export to Spain\n"),
                                       ("long.docx", "Ana: we export to Spain"),
                                       ("long.vtt", "00:00:01.000 --> 00:00:02.000\n<v Ana>we export to Spain\n\n")])
def test_an_upload_reports_how_far_it_has_read_and_a_stop_in_between_stores_nothing(store, project, monkeypatch,
                                                                                    name, line):
    """A long upload reports the share of each file read (every 65,536 lines, or each block of a
    Word file's XML), then the storing; stopping in a report leaves the project as it was."""
    from tests.helpers import make_docx
    from workbench.corpus.importing import import_uploads
    from workbench.corpus.parsers import subtitles, word
    monkeypatch.setattr(word, "_READ", 4096)            # blocks of the XML, so a small file has several
    monkeypatch.setattr(subtitles, "_CHUNK_CHARS", 4096)  # and chunks of cues
    project_id, coder_id = project
    if name.endswith(".docx"):
        data = make_docx([line] * 1_500)
    elif name.endswith(".vtt"):
        data = ("WEBVTT\n\n" + line * 2_000).encode()
    else:
        data = (line * 200_000).encode()      # three reports a pass: a second pass from 0 would run back
    heard = []
    results, _ = import_uploads(store, project_id, coder_id, [(name, data)],
                                progress=lambda *args: heard.append(args))
    shares = [share for i, total, file, share in heard if file == name]
    assert results[0].created and heard[-1] == (1, 1, "", 1.0) and heard[0] == (0, 1, name, 0.0)
    assert len(shares) >= 3 and any(0 < s < 1 for s in shares)
    assert shares == sorted(shares), "the bar ran backwards"         # two passes report two halves

    def stop(i, total, file, share):
        if 0 < share < 1:
            raise _Stopped
    with pytest.raises(_Stopped):
        other = make_docx([line] * 1_501) if name.endswith(".docx") else data + b"\n\n"
        import_uploads(store, project_id, coder_id, [("again " + name, other)], progress=stop)
    with store.read() as s:
        assert s.scalar(select(func.count(Source.id))) == 1
