"""Reading REFI-QDA: a ``.qdpx`` from NVivo, ATLAS.ti, MAXQDA, QualCoder, Taguette or the
workbench becomes a new project, in one transaction (all or nothing); a ``.qdc`` becomes a
codebook. GUIDs this database already uses are replaced, so a project can be imported into the
database it was exported from."""
from __future__ import annotations

from collections.abc import Callable
from contextlib import closing
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.db.bulk import load_cache
from workbench.db.models import Codebook, Coder
from workbench.errors import InvalidExchangeFile
from workbench.exchange.refi.extract_process import project_messages
from workbench.exchange.refi.import_parts import ImportReport, import_codes
from workbench.exchange.refi.importer import ProjectImporter
from workbench.exchange.refi.qda_xml import child_named, children_named, local_name, parse_xml
from workbench.safety.untrusted import MAX_QDPX_BYTES

__all__ = ["ImportReport", "import_qdc", "import_qdpx"]

Progress = Callable[[str, float], None]      # (stage, share done)


def import_qdpx(session: Session, data: bytes, file: str, *, project_name: str | None = None,
                coder: Coder, progress: Progress | None = None,
                separate_process: bool | None = None) -> ImportReport:
    """Import a ``.qdpx`` as a new project, in the caller's transaction (all or nothing).

    ``project.qde`` is read as a stream: each source is imported with its codings and then
    dropped, so memory holds one source at a time, not the whole document. A large project is
    read in a child process while this one writes (``separate_process``: by size when None; see
    :mod:`workbench.exchange.refi.extract_process` and bench/analysis.py). ``progress(stage,
    share)`` follows the bytes read; an exception it raises (the app's cancel) stops the import,
    and the caller's transaction rolls back."""
    if len(data) > MAX_QDPX_BYTES:
        raise InvalidExchangeFile(f"is larger than {MAX_QDPX_BYTES // 2**30} GB", file=file)
    importer = ProjectImporter(session, file, project_name, coder)
    # closing(): an import stopped early (an error, a cancel raised by ``progress``) stops the
    # reading process at once, not when the generator is collected
    with load_cache(session), closing(project_messages(data, file, separate_process=separate_process)) as stream:
        for message in stream:
            if message[0] == "progress":
                if progress:
                    progress("sources and codings", message[1])
            else:
                importer.handle(message)
    if importer.report is None:
        raise InvalidExchangeFile("project.qde does not hold a Project", file=file)
    if progress:
        progress("cases, sets and memos", 1.0)
    return importer.finish()


def import_qdc(session: Session, project_id: int, data: bytes, file: str,
               notes: list[str] | None = None) -> Codebook:
    """Import a REFI-QDA codebook (``.qdc``) into a project; what was changed on the way (a
    colour that is not one) is added to ``notes``."""
    root = parse_xml(data, file)
    if local_name(root) != "CodeBook":
        raise InvalidExchangeFile("is not a REFI-QDA codebook (no CodeBook element)", file=file)
    name = Path(file).stem
    if session.scalar(select(Codebook.id).where(Codebook.project_id == project_id, Codebook.name == name)):
        raise InvalidExchangeFile(f"a codebook named {name!r} is already in the project", file=file)
    codebook = Codebook(project_id=project_id, name=name, source_file=Path(file).name,
                        description=f"Imported from {root.get('origin') or 'a REFI-QDA codebook'}")
    session.add(codebook)
    session.flush()
    codes_el = child_named(root, "Codes")
    import_codes(session, codebook, children_named(codes_el, "Code") if codes_el is not None else [], None, {}, file,
                  notes if notes is not None else [])
    return codebook

