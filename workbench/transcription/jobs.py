"""Queued transcriptions: a recording stored under a generated name and a job waiting for a
worker (``workbench.transcription.worker``); listing, cancelling and retrying jobs.

The UI and the CLI only *queue* a job; a worker runs it in a child process and stores the
transcript in one transaction when it is complete.
"""
from __future__ import annotations

import uuid
from dataclasses import asdict
from pathlib import Path

from sqlalchemy import select

from workbench.corpus.cases import get_or_create_case
from workbench.corpus.importing import safe_upload_name
from workbench.corpus.sources import unique_source_name
from workbench.corpus.text import sha256
from workbench.db.models import Job, JobStatus, Source, SourceKind, SourceStatus, utcnow
from workbench.errors import CannotWrite, InvalidSource, NotFound, WorkbenchError
from workbench.safety.atomic import write_atomic
from workbench.safety.untrusted import MAX_AUDIO_BYTES
from workbench.transcription.options import Options

TRANSCRIBE = "transcribe"

AUDIO_EXTENSIONS = {".wav", ".mp3", ".m4a", ".flac", ".ogg", ".opus", ".webm", ".mp4", ".aac", ".wma", ".mkv", ".mov"}



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
    try:
        media_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CannotWrite(f"cannot hold the recording ({exc.strerror}); nothing was queued", file=str(media_dir)) from exc
    target = media_dir / f"{uuid.uuid4().hex}{Path(filename).suffix.lower()}"
    write_atomic(target, data)
    try:
        with store.write(f"queue transcription of {filename}", project_id=project_id, coder_id=coder_id) as s:
            source = Source(project_id=project_id, name=unique_source_name(s, project_id, Path(filename).stem),
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


def list_jobs(session, project_id: int, *, open_only: bool = False, limit: int = 50,
              kind: str | None = TRANSCRIBE) -> list[dict]:
    """Jobs of a project (transcriptions unless another ``kind``, or None for all, is asked
    for), newest first, with their source, progress and message."""
    stmt = select(Job).where(Job.project_id == project_id).order_by(Job.id.desc()).limit(limit)
    if kind is not None:
        stmt = stmt.where(Job.kind == kind)
    if open_only:
        stmt = stmt.where(Job.status.in_([JobStatus.queued, JobStatus.running]))
    rows = []
    for job in session.scalars(stmt):
        src = session.get(Source, job.params.get("source_id")) if job.params.get("source_id") else None
        name = src.name if src else (job.params.get("filename") or "(source deleted)")
        rows.append({"id": job.id, "kind": job.kind, "source": name, "status": job.status.value,
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
        set_source_status(s, job, SourceStatus.failed)
        return job.status.value


def retry(store, project_id: int, job_id: int) -> None:
    """Put a failed or cancelled job back in the queue."""
    with store.write() as s:
        job = _job(s, project_id, job_id)
        if job.status not in (JobStatus.failed, JobStatus.cancelled):
            raise WorkbenchError(f"job {job_id} is {job.status.value}; only failed or cancelled jobs can be retried")
        job.status, job.error, job.progress, job.message = JobStatus.queued, "", 0.0, "waiting for a worker"
        job.attempts = 0
        set_source_status(s, job, SourceStatus.pending)


def set_source_status(s, job: Job, status: SourceStatus) -> None:
    src = s.get(Source, job.params.get("source_id")) if job.params.get("source_id") else None
    if src is not None and src.status != SourceStatus.ready:
        src.status = status
