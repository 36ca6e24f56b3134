"""The worker: claims queued jobs and runs each in a child process.

A worker claims a job (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers share one
queue; an IMMEDIATE transaction on SQLite) and runs it in ``python -m
workbench.transcription.run_job``: a crash, a hang or a hostile file kills only the child, and
the worker records why. The child writes progress into the job row as it goes and commits the
transcript with its segments in one transaction at the end - a half-done transcript is never
stored. A worker that dies leaves a stale heartbeat; any other worker puts such a job back in
the queue (or fails it after three attempts), so nothing stays "running" forever.

The database URL reaches the child through its environment (``WORKBENCH_DATABASE_URL``), never
its command line, where any user of the machine could read a password in it.
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
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from workbench.corpus.text import text_sha256
from workbench.db.models import Job, JobStatus, Segment, Source, SourceStatus, Speaker, utcnow
from workbench.db.store import open_store
from workbench.errors import WorkbenchError
from workbench.transcription.jobs import set_source_status
from workbench.transcription.options import Options
from workbench.transcription.transcribe import to_parsed_source, transcribe_file

STALE_AFTER = 120          # seconds without a heartbeat: the worker is gone

MAX_ATTEMPTS = 3

DEFAULT_TIMEOUT = 6 * 3600

DEFAULT_CHILD_MEMORY_MB = 8192     # address space of a job's child: a 4-hour recording needs ~3 GB


def child_limits() -> None:
    """Called first thing in a job's child: die with the worker (a SIGKILLed worker left its
    child transcribing, unbounded, with the job "running" forever) and stay within a memory cap.

    Set here, not in a ``preexec_fn``: the app's worker is a thread, and a ``preexec_fn`` is not
    safe in a process with threads. A worker that died before the signal was set is caught by
    comparing the parent's pid with the one it passed down.
    """
    import ctypes
    import resource
    import signal
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)     # PR_SET_PDEATHSIG (Linux)
    except (OSError, AttributeError):
        pass                                                           # elsewhere: the lease still ends it
    expected = os.environ.get("WORKBENCH_WORKER_PID")
    if expected and os.getppid() != int(expected):
        os._exit(1)                                                    # the worker is already gone
    cap = int(float(os.environ.get("WORKBENCH_JOB_MEMORY_MB", DEFAULT_CHILD_MEMORY_MB)) * 2**20)
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


class JobCancelled(Exception):
    """Raised inside a running job when someone cancelled it (the child stops there)."""


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
                    set_source_status(s, job, SourceStatus.failed)
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
        set_source_status(s, job, SourceStatus.failed)


def fill_source(session, source: Source, parsed) -> None:
    """Give a pending audio source its transcript: text, speakers, segments."""
    source.text = parsed.text
    source.text_hash = text_sha256(parsed.text)
    speakers = {}
    for label in parsed.speakers:
        speakers[label] = Speaker(source_id=source.id, label=label)   # roles: the user says who is who
        session.add(speakers[label])
    session.flush()
    for idx, start, end, speaker, t_start, t_end, _page, language in parsed.rows():
        session.add(Segment(source_id=source.id, idx=idx, start=start, end=end, t_start=t_start,
                            t_end=t_end, speaker_id=speakers[speaker].id if speaker else None,
                            language=language))
    source.status = SourceStatus.ready


def execute(url: str, job_id: int) -> None:
    """Run one transcription job to the end (called in the worker's child process)."""
    store = open_store(url, migrate=False)
    media = shown = None
    try:
        with store.read() as s:
            job = s.get(Job, job_id)
            params, project_id, coder_id = dict(job.params), job.project_id, job.coder_id
            source = s.get(Source, params["source_id"])
            media, name = source.media_path, source.name
            # Errors name the file the researcher gave, not our stored copy (a random name).
            shown = source.original_filename or source.name
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
                           f"({transcript.duration / max(elapsed, 1e-6):.1f}x real time)"
                           + "".join(f"; {note}" for note in transcript.notes))
            job.result = {"language": transcript.language, "notes": transcript.notes,
                          "language_probability": round(transcript.language_probability, 3),
                          "duration": transcript.duration, "segments": len(transcript.segments),
                          "seconds": round(elapsed, 1), "engine": transcript.engine}
    except JobCancelled:
        pass
    except WorkbenchError as exc:
        if media and exc.file and Path(exc.file) == Path(media):
            exc.file = shown
        _fail(store, job_id, str(exc))
    except Exception as exc:
        _fail(store, job_id, f"unexpected error: {type(exc).__name__}: {exc}")
        traceback.print_exc()
    finally:
        store.dispose()


def work(url: str, *, once: bool = False, job_ids: list[int] | None = None, poll: float = 1.0,
         timeout: float | None = None, on_tick: Callable[[int], None] | None = None,
         should_stop: Callable[[], bool] | None = None) -> int:
    """Claim and run jobs until told to stop (or, with ``once``, until the queue is empty).

    Each job runs in a fresh child process. Returns the number of jobs run.
    """
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
            child = subprocess.Popen([sys.executable, "-m", "workbench.transcription.run_job", str(job_id)],
                                     stdout=subprocess.DEVNULL, stderr=log,
                                     env={**os.environ, "WORKBENCH_DATABASE_URL": url,
                                          "WORKBENCH_WORKER_PID": str(os.getpid())})
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
