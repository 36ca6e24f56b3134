"""Queued long work (transcription) and the worker that runs it.

The UI and the CLI only *queue* a job. A worker claims it (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so several workers share one queue; an IMMEDIATE transaction on SQLite) and runs
it in a child process: a crash, a hang or a hostile file kills only the child, and the worker
records why. The child writes progress into the job row as it goes and commits the transcript
with its segments in one transaction at the end - a half-done transcript is never stored.
A worker that dies leaves a stale heartbeat; any other worker puts such a job back in the
queue (or fails it after three attempts), so nothing stays "running" forever.
"""
from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from sqlalchemy import select

from .corpus import get_or_create_case
from .errors import InvalidSource, NotFound, WorkbenchError
from .models import Job, JobStatus, Segment, Source, SourceKind, SourceStatus, Speaker, utcnow
from .safety import write_atomic
from .sources import sha256
from .transcribe import Options

TRANSCRIBE = "transcribe"
AUDIO_EXTENSIONS = {".wav", ".mp3", ".m4a", ".flac", ".ogg", ".opus", ".webm", ".mp4", ".aac", ".wma", ".mkv", ".mov"}
MAX_AUDIO_BYTES = 2 * 1024 ** 3
STALE_AFTER = 120          # seconds without a heartbeat: the worker is gone
MAX_ATTEMPTS = 3
DEFAULT_TIMEOUT = 6 * 3600


class JobCancelled(Exception):
    pass


def check_audio(data: bytes, filename: str, max_bytes: int | None = None) -> None:
    """Refuse what is obviously not audio before anything is stored."""
    limit = min(max_bytes or MAX_AUDIO_BYTES, MAX_AUDIO_BYTES)
    ext = Path(filename).suffix.lower()
    if ext not in AUDIO_EXTENSIONS:
        raise InvalidSource(f"has an unsupported type {ext or '(none)'}; audio files are "
                            f"{', '.join(sorted(AUDIO_EXTENSIONS))}", file=filename)
    if not data:
        raise InvalidSource("is empty", file=filename)
    if len(data) > limit:
        raise InvalidSource(f"is {len(data) / 1e6:.1f} MB, above the upload limit of {limit / 1e6:.1f} MB",
                            file=filename)
    if data.startswith(b"PK\x03\x04"):
        raise InvalidSource("is a ZIP archive renamed as audio", file=filename)
    if data[:1024].lstrip().lower().startswith((b"<!doctype", b"<html", b"<?xml")) or b"\x00" not in data[:4096] \
            and all(32 <= b < 127 or b in (9, 10, 13) for b in data[:512]):
        raise InvalidSource("is text, not audio", file=filename)


def enqueue_audio(store, project_id: int, coder_id: int | None, filename: str, data: bytes, *,
                  media_dir: Path, options: Options | None = None, case: str | None = None,
                  max_bytes: int | None = None) -> tuple[int, int, bool]:
    """Store a recording under a generated name and queue its transcription.

    Returns ``(source_id, job_id, created)``. The same recording again returns its existing
    source and latest job (idempotent by content hash).
    """
    from .corpus import safe_upload_name
    filename = safe_upload_name(filename)
    check_audio(data, filename, max_bytes)
    digest = sha256(data)
    options = options or Options()
    with store.read() as s:
        existing = s.scalar(select(Source).where(Source.project_id == project_id, Source.file_hash == digest))
        if existing is not None:
            job = s.scalar(select(Job).where(Job.kind == TRANSCRIBE, Job.params["source_id"].as_integer() == existing.id)
                           .order_by(Job.id.desc()).limit(1))
            return existing.id, job.id if job else 0, False
    media_dir = Path(media_dir).resolve()
    media_dir.mkdir(parents=True, exist_ok=True)
    target = media_dir / f"{uuid.uuid4().hex}{Path(filename).suffix.lower()}"
    write_atomic(target, data)
    try:
        with store.write(f"queue transcription of {filename}", project_id=project_id, coder_id=coder_id) as s:
            from .corpus import _unique_name
            source = Source(project_id=project_id, name=_unique_name(s, project_id, Path(filename).stem),
                            kind=SourceKind.transcript, format="audio", original_filename=filename,
                            file_hash=digest, text="", text_hash="", media_path=str(target),
                            status=SourceStatus.pending, language=options.language,
                            case_id=get_or_create_case(s, project_id, case).id if case else None)
            s.add(source)
            s.flush()
            job = Job(project_id=project_id, kind=TRANSCRIBE, coder_id=coder_id,
                      params={"source_id": source.id, "options": asdict(options)},
                      message="waiting for a worker")
            s.add(job)
            s.flush()
            return source.id, job.id, True
    except BaseException:
        target.unlink(missing_ok=True)
        raise


# -- queue operations ------------------------------------------------------------------------

def list_jobs(session, project_id: int, *, open_only: bool = False, limit: int = 50) -> list[dict]:
    stmt = select(Job).where(Job.project_id == project_id).order_by(Job.id.desc()).limit(limit)
    if open_only:
        stmt = stmt.where(Job.status.in_([JobStatus.queued, JobStatus.running]))
    rows = []
    for job in session.scalars(stmt):
        src = session.get(Source, job.params.get("source_id")) if job.params.get("source_id") else None
        rows.append({"id": job.id, "kind": job.kind, "source": src.name if src else "", "status": job.status.value,
                     "progress": job.progress, "message": job.message, "error": job.error,
                     "attempts": job.attempts, "created": job.created_at})
    return rows


def _job(session, project_id: int, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None or job.project_id != project_id:
        raise NotFound(f"no job {job_id} in this project")
    return job


def cancel(store, project_id: int, job_id: int) -> str:
    """Cancel a queued or running job (a running one is stopped by its worker within a second)."""
    with store.write() as s:
        job = _job(s, project_id, job_id)
        if job.status not in (JobStatus.queued, JobStatus.running):
            raise WorkbenchError(f"job {job_id} is {job.status.value}; only queued or running jobs can be cancelled")
        job.status, job.message, job.finished_at = JobStatus.cancelled, "cancelled", utcnow()
        _set_source_status(s, job, SourceStatus.failed)
        return job.status.value


def retry(store, project_id: int, job_id: int) -> None:
    """Put a failed or cancelled job back in the queue."""
    with store.write() as s:
        job = _job(s, project_id, job_id)
        if job.status not in (JobStatus.failed, JobStatus.cancelled):
            raise WorkbenchError(f"job {job_id} is {job.status.value}; only failed or cancelled jobs can be retried")
        job.status, job.error, job.progress, job.message = JobStatus.queued, "", 0.0, "waiting for a worker"
        job.attempts = 0
        _set_source_status(s, job, SourceStatus.pending)


def _set_source_status(s, job: Job, status: SourceStatus) -> None:
    src = s.get(Source, job.params.get("source_id")) if job.params.get("source_id") else None
    if src is not None and src.status != SourceStatus.ready:
        src.status = status


def claim(store, worker: str, job_ids: list[int] | None = None) -> int | None:
    """Take the oldest queued job; safe with several workers on one PostgreSQL database."""
    with store.write() as s:
        stmt = select(Job).where(Job.status == JobStatus.queued).order_by(Job.id).limit(1)
        if job_ids:
            stmt = stmt.where(Job.id.in_(job_ids))
        if not store.is_sqlite:
            stmt = stmt.with_for_update(skip_locked=True)
        job = s.scalar(stmt)
        if job is None:
            return None
        now = utcnow()
        job.status, job.worker, job.started_at, job.heartbeat_at = JobStatus.running, worker, now, now
        job.attempts += 1
        job.message = "starting"
        return job.id


def requeue_stale(store, stale_after: float = STALE_AFTER) -> int:
    """Jobs whose worker stopped sending heartbeats go back to the queue (or fail)."""
    limit = utcnow() - dt.timedelta(seconds=stale_after)
    n = 0
    with store.write() as s:
        for job in s.scalars(select(Job).where(Job.status == JobStatus.running)):
            beat = job.heartbeat_at
            if beat is not None and beat.tzinfo is None:
                beat = beat.replace(tzinfo=dt.timezone.utc)
            if beat is None or beat < limit:
                n += 1
                if job.attempts >= MAX_ATTEMPTS:
                    job.status, job.finished_at = JobStatus.failed, utcnow()
                    job.error = f"its worker stopped responding {job.attempts} times"
                    _set_source_status(s, job, SourceStatus.failed)
                else:
                    job.status, job.message = JobStatus.queued, "back in the queue: its worker stopped responding"
    return n


def _fail(store, job_id: int, reason: str) -> None:
    with store.write() as s:
        job = s.get(Job, job_id)
        if job is None or job.status in (JobStatus.done, JobStatus.cancelled):
            return
        job.status, job.error, job.finished_at = JobStatus.failed, reason, utcnow()
        job.message = "failed"
        _set_source_status(s, job, SourceStatus.failed)


# -- running a job (in the child process) ----------------------------------------------------

def fill_source(session, source: Source, parsed) -> None:
    """Give a pending audio source its transcript: text, speakers, segments."""
    source.text = parsed.text
    source.text_hash = sha256(parsed.text.encode("utf-8"))
    speakers = {}
    for label in parsed.speakers:
        speakers[label] = Speaker(source_id=source.id, label=label)   # roles: the user says who is who
        session.add(speakers[label])
    session.flush()
    for idx, (seg, (start, end)) in enumerate(zip(parsed.segments, parsed.spans)):
        session.add(Segment(source_id=source.id, idx=idx, start=start, end=end, t_start=seg.t_start,
                            t_end=seg.t_end, speaker_id=speakers[seg.speaker].id if seg.speaker else None))
    source.status = SourceStatus.ready


def execute(url: str, job_id: int) -> None:
    """Run one transcription job to the end (called in the worker's child process)."""
    from .store import open_store
    from .transcribe import to_parsed_source, transcribe_file
    store = open_store(url, migrate=False)
    try:
        with store.read() as s:
            job = s.get(Job, job_id)
            params, project_id, coder_id = dict(job.params), job.project_id, job.coder_id
            source = s.get(Source, params["source_id"])
            media, name = source.media_path, source.name
        options = Options(**params.get("options", {}))
        started = time.monotonic()
        last = [0.0]

        def progress(done: float, total: float) -> None:
            now = time.monotonic()
            if now - last[0] < 1.0 and done < total:
                return
            last[0] = now
            speed = done / max(now - started, 1e-6)
            with store.write() as s:
                j = s.get(Job, job_id)
                if j.status == JobStatus.cancelled:
                    raise JobCancelled()
                j.progress = min(done / total, 1.0) if total else 0.0
                j.result = {"done": round(done, 1), "total": round(total, 1), "speed": round(speed, 2)}
                j.message = f"{done:,.0f} of {total:,.0f} s of audio, {speed:.1f}x real time"
                j.heartbeat_at = utcnow()

        transcript = transcribe_file(media, options, progress)
        parsed = to_parsed_source(transcript)
        elapsed = time.monotonic() - started
        with store.write(f"transcribe {name}", project_id=project_id, coder_id=coder_id) as s:
            job = s.get(Job, job_id)
            if job.status == JobStatus.cancelled:
                return
            src = s.get(Source, params["source_id"])
            if src.status != SourceStatus.ready:      # idempotent: a finished source is not redone
                fill_source(s, src, parsed)
                src.language = src.language or transcript.language
                src.duration = transcript.duration
            job.status, job.progress, job.finished_at = JobStatus.done, 1.0, utcnow()
            job.message = (f"{transcript.duration:,.0f} s of audio in {elapsed:,.0f} s "
                           f"({transcript.duration / max(elapsed, 1e-6):.1f}x real time)")
            job.result = {"language": transcript.language,
                          "language_probability": round(transcript.language_probability, 3),
                          "duration": transcript.duration, "segments": len(transcript.segments),
                          "seconds": round(elapsed, 1), "engine": transcript.engine}
    except JobCancelled:
        pass
    except WorkbenchError as exc:
        _fail(store, job_id, str(exc))
    except Exception as exc:
        _fail(store, job_id, f"unexpected error: {type(exc).__name__}: {exc}")
        traceback.print_exc()
    finally:
        store.dispose()


# -- the worker ------------------------------------------------------------------------------

def work(url: str, *, once: bool = False, job_ids: list[int] | None = None, poll: float = 1.0,
         timeout: float | None = None, on_tick: Callable[[int], None] | None = None,
         should_stop: Callable[[], bool] | None = None) -> int:
    """Claim and run jobs until told to stop (or, with ``once``, until the queue is empty).

    Each job runs in a fresh child process. Returns the number of jobs run.
    """
    from .store import open_store
    store = open_store(url, migrate=False)
    name = f"{socket.gethostname()}:{os.getpid()}"
    timeout = timeout or float(os.environ.get("WORKBENCH_JOB_TIMEOUT", DEFAULT_TIMEOUT))
    ran = 0
    try:
        while not (should_stop and should_stop()):
            requeue_stale(store)
            job_id = claim(store, name, job_ids)
            if job_id is None:
                if once:
                    return ran
                time.sleep(poll)
                continue
            ran += 1
            log = tempfile.TemporaryFile()
            child = subprocess.Popen([sys.executable, "-m", "workbench.run_job", url, str(job_id)],
                                     stdout=subprocess.DEVNULL, stderr=log)
            started = time.monotonic()
            while child.poll() is None:
                try:
                    child.wait(0.5)
                except subprocess.TimeoutExpired:
                    pass
                with store.write() as s:
                    job = s.get(Job, job_id)
                    cancelled = job.status == JobStatus.cancelled
                    if job.status == JobStatus.running:
                        job.heartbeat_at = utcnow()
                if on_tick:
                    on_tick(job_id)
                if cancelled:
                    child.kill()
                    child.wait()
                elif time.monotonic() - started > timeout:
                    child.kill()
                    child.wait()
                    _fail(store, job_id, f"timed out after {timeout:,.0f} s")
            if child.returncode not in (0, None):
                with store.read() as s:
                    still = s.get(Job, job_id).status == JobStatus.running
                if still:
                    log.seek(0)
                    tail = log.read()[-2000:].decode("utf-8", "replace").strip().splitlines()
                    _fail(store, job_id, f"the transcription process crashed (exit code {child.returncode})"
                          + (f": {tail[-1]}" if tail else ""))
            log.close()
            if on_tick:
                on_tick(job_id)
        return ran
    finally:
        store.dispose()
