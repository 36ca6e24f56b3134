"""Transcription on this computer: queue recordings, run workers, list models and jobs."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from workbench.cli.base import State, app, err, out, state, sub_app, table
from workbench.db.models import Job, JobStatus
from workbench.safety.untrusted import read_limited
from workbench.transcription import jobs
from workbench.transcription.jobs import MAX_AUDIO_BYTES
from workbench.transcription.models import default_model, list_models
from workbench.transcription.options import Options
from workbench.transcription.worker import work

jobs_app = sub_app("Queued work (transcriptions): list, cancel, retry.")
app.add_typer(jobs_app, name="jobs")


@app.command()
def transcribe(ctx: typer.Context,
               files: Annotated[list[Path], typer.Argument(help="Recordings (wav, mp3, m4a, flac, ogg, opus, webm, mp4...).")],
               case: Annotated[str | None, typer.Option(help="Put the transcripts into this case.")] = None,
               language: Annotated[str | None, typer.Option(help="Language code, e.g. pt or en (default: detect).")] = None,
               languages_may_change: Annotated[bool, typer.Option(
                   "--languages-may-change", help="Detect the language of each stretch of speech and transcribe "
                                                  "each in its own (slower; each turn keeps its language).")] = False,
               expect: Annotated[list[str] | None, typer.Option(
                   "--expect", help="With --languages-may-change: a language the recording uses (repeat: "
                                    "--expect en --expect pt); detection then chooses among these.")] = None,
               model: Annotated[str, typer.Option(help="Model name (tiny, base, small...), or a model folder (default: the installed multilingual model).")] = "",
               engine: Annotated[str, typer.Option(help="faster-whisper (default) or openai-whisper.")] = "faster-whisper",
               beam_size: Annotated[int | None, typer.Option(help="Beam size (default: greedy for English, 5 for other languages, as measured; 1 = greedy).")] = None,
               batch_size: Annotated[int, typer.Option(help="Chunks decoded at once (default 1; 8 is faster and uses about twice the memory).")] = 1,
               sequential: Annotated[bool, typer.Option("--sequential", help="Use the classic sequential decoder instead of the batched pipeline.")] = False,
               compute_type: Annotated[str, typer.Option(help="int8 (default on CPU) or float32.")] = "int8",
               vad: Annotated[bool, typer.Option("--vad/--no-vad", help="Skip silence with voice-activity detection.")] = True,
               prompt: Annotated[str | None, typer.Option(help="Names and jargon to expect, e.g. 'AICEP, Heimtextil, Oeko-Tex'.")] = None,
               queue_only: Annotated[bool, typer.Option("--queue-only", help="Only queue the jobs; a running worker does them.")] = False):
    """Transcribe recordings locally into sources of the project (one job per file)."""
    st = state(ctx)
    project_id, coder_id = st.project_and_coder()
    options = Options(model=model, engine=engine, language=language, languages_may_change=languages_may_change,
                      expected_languages=[code.strip().lower() for code in expect or [] if code.strip()],
                      beam_size=beam_size, batch_size=batch_size,
                      pipeline="sequential" if sequential else "batched", compute_type=compute_type, vad_filter=vad,
                      initial_prompt=prompt)
    queued = []
    for f in files:
        source_id, job_id, created = jobs.enqueue_audio(st.store, project_id, coder_id, f.name,
                                                        read_limited(f, MAX_AUDIO_BYTES),
                                                        media_dir=st.settings.media_dir, options=options, case=case)
        out.print(Text(f"{'queued' if created else 'already in the project'}: {f} (source {source_id}, job {job_id})"))
        if created:
            queued.append(job_id)
    if queue_only or not queued:
        return
    run_jobs(st, queued)


def run_jobs(st: State, job_ids: list[int]) -> None:
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[audio]}"),
               TextColumn("{task.fields[speed]}"), TimeElapsedColumn())
    with Progress(*columns, console=err) as bar:
        tasks = {jid: bar.add_task(f"job {jid}", total=1.0, audio="", speed="") for jid in job_ids}

        def tick(job_id: int) -> None:
            with st.store.read() as s:
                job = s.get(Job, job_id)
                r = job.result or {}
                done, total = r.get("done"), r.get("total")
                bar.update(tasks[job_id], completed=job.progress, description=f"job {job_id} {job.status.value}",
                           audio=f"{done:,.0f}/{total:,.0f} s audio" if total else "",
                           speed=f"{r['speed']:.1f}x real time" if r.get("speed") else "")
        work(st.store.url, once=True, job_ids=job_ids, on_tick=tick)
    failed = 0
    with st.store.read() as s:
        for jid in job_ids:
            job = s.get(Job, jid)
            if job.status == JobStatus.done:
                out.print(Text(f"job {jid}: done - {job.message}"))
            else:
                failed += 1
                err.print(Text(f"job {jid}: {job.status.value} - {job.error}", style="red"))
    if failed:
        raise typer.Exit(1)


@app.command()
def worker(ctx: typer.Context,
           once: Annotated[bool, typer.Option("--once", help="Stop when the queue is empty.")] = False,
           poll: Annotated[float, typer.Option(help="Seconds between looks at an empty queue.")] = 2.0):
    """Run queued jobs (transcriptions) against this database; several may run at once."""
    st = state(ctx)
    st.store  # noqa: B018 - open (and migrate) before the loop
    out.print(Text(f"worker on {st.settings.database_url}: waiting for jobs (Ctrl+C stops)"))
    try:
        ran = work(st.store.url, once=once, poll=poll)
    except KeyboardInterrupt:
        return
    out.print(Text(f"ran {ran} job(s)"))


@app.command()
def models():
    """Whisper models available here: installed (offline) ones and names downloaded on first use."""
    rows = list_models()
    default = default_model()
    for r in rows:
        r["default"] = "yes" if r["model"] == default and r["offline"] else ""
    table(rows, "models", columns=["model", "default", "languages", "where", "size_mb", "path"])


@jobs_app.command("list")
def jobs_list(ctx: typer.Context, all_: Annotated[bool, typer.Option("--all", help="Also finished jobs.")] = False):
    """Jobs of the project, newest first."""
    st = state(ctx)
    with st.reading() as (s, project):
        rows = jobs.list_jobs(s, project.id, open_only=not all_)
    for r in rows:
        r["progress"] = f"{r['progress']:.0%}"
    table(rows, "jobs", columns=["id", "kind", "source", "status", "progress", "message", "error"],
           empty="No jobs." if all_ else "No open jobs (see `workbench jobs list --all`).")


@jobs_app.command("cancel")
def jobs_cancel(ctx: typer.Context, job_id: Annotated[int, typer.Argument(help="Job id.")]):
    """Cancel a queued or running job."""
    st = state(ctx)
    project_id, _ = st.project_and_coder()
    jobs.cancel(st.store, project_id, job_id)
    out.print(Text(f"job {job_id} cancelled"))


@jobs_app.command("retry")
def jobs_retry(ctx: typer.Context, job_id: Annotated[int, typer.Argument(help="Job id.")],
               run: Annotated[bool, typer.Option("--run/--queue-only", help="Run it now in this terminal.")] = True):
    """Put a failed or cancelled job back in the queue (and run it)."""
    st = state(ctx)
    project_id, _ = st.project_and_coder()
    jobs.retry(st.store, project_id, job_id)
    out.print(Text(f"job {job_id} queued again"))
    if run:
        run_jobs(st, [job_id])
