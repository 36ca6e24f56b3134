"""Importing files as sources of a project: all in one transaction, every file parsed before
anything is written, the same file twice recognised by its hash, uploads on the hardened path."""
from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.corpus.cases import get_or_create_case
from workbench.corpus.parsers import TRANSCRIPT_EXTENSIONS, parse_bytes, parse_file
from workbench.corpus.parsers.parsed import ParsedSource
from workbench.corpus.sources import unique_source_name
from workbench.corpus.speakers import RolePlan, plan_roles
from workbench.corpus.text import reading_progress, sha256, text_sha256
from workbench.db.columns import NULL_INT
from workbench.db.history import insert_columns
from workbench.db.models import Segment, Source, SourceKind, Speaker
from workbench.errors import InvalidSource, WorkbenchError
from workbench.safety.untrusted import MAX_SOURCE_BYTES, megabytes


@dataclass
class ImportResult:
    """What happened to one file of an import."""
    file: str
    name: str
    source_id: int | None = None
    created: bool = False
    duplicate_of: str | None = None
    segments: int = 0
    speakers: int = 0
    speaker_note: str = ""          # speakers left without a role, and who asks the most questions


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files named directly, plus the supported files inside named folders (sorted)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file()
                              and f.suffix.lower() in TRANSCRIPT_EXTENSIONS))
        else:
            out.append(p)
    return out


def add_parsed_source(session: Session, project_id: int, parsed: ParsedSource, *, name: str,
                      file_hash: str, original_filename: str = "", case_id: int | None = None,
                      language: str | None = None, plan: RolePlan | None = None) -> Source:
    """Store a parsed source with its speakers (roles from ``plan``, else :func:`plan_roles`) and
    segments (in the caller's transaction)."""
    source = Source(project_id=project_id, case_id=case_id, name=unique_source_name(session, project_id, name),
                    kind=SourceKind(parsed.kind), format=parsed.format,
                    original_filename=original_filename, file_hash=file_hash, text=parsed.text,
                    text_hash=text_sha256(parsed.text),
                    language=language or parsed.language)
    plan = plan or plan_roles(parsed.turns())
    speakers = {}
    for label in parsed.speakers:
        speakers[label] = Speaker(label=label, role=plan.roles.get(label))
        source.speakers.append(speakers[label])
    session.add(source)
    session.flush()
    # Turns in bulk, column by column, one event for all of them (see history.insert_columns):
    # an object per turn cost ~6 KB and 160 us each, 2.3 GB for a 20 MB transcript of short turns.
    speaker_ids = {label: speaker.id for label, speaker in speakers.items()}
    columns, same = segment_columns(parsed, speaker_ids)
    insert_columns(session, Segment, columns, select(Segment.id).where(Segment.source_id == source.id)
                   .order_by(Segment.idx), same={"source_id": source.id, **same})
    session.expire(source, ["segments"])
    return source


def segment_columns(parsed: ParsedSource, speaker_ids: dict[str, int]) -> tuple[dict[str, Sequence], dict[str, object]]:
    """The segments as the ``segment`` table's columns (``speaker_ids``: label -> speaker id),
    and the columns whose value every segment shares (``bulk.load_columns``'s two arguments).
    Pages and languages are columns only where a segment has one."""
    lookup = np.array([*(speaker_ids[label] for label in parsed.speakers), NULL_INT], dtype=np.int64)
    speaker = array("q", lookup[np.frombuffer(parsed.speaker_numbers, dtype=np.int32)].tobytes())   # -1: the last, None
    n = len(parsed)
    columns: dict[str, Sequence] = {"idx": range(n), "start": parsed.spans.starts, "end": parsed.spans.ends,
                                    "speaker_id": speaker}
    same: dict[str, object] = {}
    if parsed.t_starts is None:
        same["t_start"] = same["t_end"] = None
    else:
        columns["t_start"], columns["t_end"] = parsed.t_starts, parsed.t_ends
    for key, sparse in (("page", parsed.pages), ("language", parsed.languages)):
        if sparse:
            columns[key] = [sparse.get(i) for i in range(n)]
        else:
            same[key] = None
    return columns, same


def safe_upload_name(name: str) -> str:
    """The name of an uploaded file, refused when it could point anywhere but at itself.

    Browsers send a bare file name; one with a folder part (``../``), a NUL byte or another
    control character was made by hand to reach elsewhere, and is refused with the reason.
    The name is only ever a label: stored files get generated names.
    """
    shown = repr(name)[1:-1][:200]
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise InvalidSource("has a NUL byte or another control character in its name; rename the file",
                            file=shown)
    if "/" in name or "\\" in name or name.strip() in ("", ".", ".."):
        raise InvalidSource("has a folder part (such as ../) in its name; upload the file itself", file=shown)
    return name.strip().lstrip(".") or "upload"


def import_files(store, project_id: int, coder_id: int | None, paths: Iterable[str | Path], *,
                 case: str | None = None, language: str | None = None, encoding: str | None = None,
                 skip_bad: bool = False,
                 progress: Callable[[int, int, str], None] | None = None) -> tuple[list[ImportResult], list[WorkbenchError]]:
    """Import files (or folders) as sources of a project, all in one transaction.

    Every file is parsed before anything is written. A bad file stops the whole import
    (nothing stored) unless ``skip_bad``; then the good files are stored and the errors
    returned. A file whose bytes are already in the project is reported, not duplicated.
    """
    files = expand_paths(paths)
    if not files:
        raise InvalidSource("no files to import (folders are searched for "
                            f"{', '.join(sorted(TRANSCRIPT_EXTENSIONS))})")

    def read(i: int, label: str):
        if progress:
            progress(i, len(files), Path(label).name)
        return parse_file(Path(label), encoding=encoding)
    return _import(store, project_id, coder_id, [(str(f), f.stem, f.name) for f in files], read,
                   case=case, language=language, skip_bad=skip_bad, progress=progress)


def import_uploads(store, project_id: int, coder_id: int | None, uploads: list[tuple[str, bytes]], *,
                   case: str | None = None, language: str | None = None, encoding: str | None = None,
                   skip_bad: bool = False, max_bytes: int | None = None,
                   progress: Callable[[int, int, str, float], None] | None = None) -> tuple[list[ImportResult], list[WorkbenchError]]:
    """Import files uploaded in the browser: ``(file name, bytes)`` pairs, same rules as files.

    ``max_bytes`` is the configured upload limit (``Settings.max_upload_bytes``). ``progress``
    hears ``(file number, files, name, share of that file read)`` while files are read, and
    ``(files, files, "", 1.0)`` before they are stored; raising in it stops the import with
    nothing stored."""
    limit = min(max_bytes or MAX_SOURCE_BYTES, MAX_SOURCE_BYTES)
    items = []
    for name, data in uploads:
        clean = safe_upload_name(name)
        items.append((clean, Path(clean).stem, clean, data))

    by_label = {label: data for label, _, _, data in items}

    def read(i: int, clean: str):
        data = by_label[clean]
        if len(data) > limit:
            raise InvalidSource(f"is {megabytes(len(data), 1)}, above the upload limit of {megabytes(limit)}",
                                file=clean)
        if progress is None:
            return parse_bytes(data, clean, encoding=encoding), sha256(data)
        progress(i, len(items), clean, 0.0)
        with reading_progress(lambda share: progress(i, len(items), clean, share)):
            return parse_bytes(data, clean, encoding=encoding), sha256(data)
    return _import(store, project_id, coder_id, [(label, stem, orig) for label, stem, orig, _ in items],
                   read, case=case, language=language, skip_bad=skip_bad,
                   progress=progress and (lambda done, total, _name: progress(done, total, "", 1.0)))


def _import(store, project_id, coder_id, entries, read, *, case, language, skip_bad, progress):
    parsed: list[tuple[tuple[str, str, str], ParsedSource, str]] = []
    errors: list[WorkbenchError] = []
    for i, entry in enumerate(entries):
        try:
            parsed.append((entry, *read(i, entry[0])))     # (parsed source, the file's SHA-256): no bytes kept
        except WorkbenchError as exc:
            errors.append(exc)
    if errors and not skip_bad:
        raise errors[0] if len(errors) == 1 else InvalidSource(
            f"{len(errors)} files cannot be imported, nothing was stored:\n" + "\n".join(map(str, errors)))
    results = []
    if progress:
        progress(len(entries), len(entries), "")       # every file read: storing them now
    with store.write(f"import {len(parsed)} file(s)", project_id=project_id, coder_id=coder_id) as s:
        case_id = get_or_create_case(s, project_id, case).id if case else None
        seen: dict[str, str] = {}
        for (label, stem, original), p, digest in parsed:
            existing = s.scalar(select(Source).where(Source.project_id == project_id,
                                                     Source.file_hash == digest))
            if existing or digest in seen:
                results.append(ImportResult(label, existing.name if existing else seen[digest],
                                            existing.id if existing else None,
                                            duplicate_of=existing.name if existing else seen[digest]))
                continue
            plan = plan_roles(p.turns())
            src = add_parsed_source(s, project_id, p, name=stem, file_hash=digest, original_filename=original,
                                    case_id=case_id, language=language, plan=plan)
            seen[digest] = src.name
            results.append(ImportResult(label, src.name, src.id, created=True, segments=len(p),
                                        speakers=len(p.speakers), speaker_note=plan.note()))
    if progress:
        progress(len(entries), len(entries), "")
    return results, errors
