"""The demo project: six interviews (IT/electronics vs textile), their cases, all codebooks."""
from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import select

from workbench.codebook.format import read_codebook
from workbench.codebook.storage import store_codebook
from workbench.coding.quotes_import import import_codings_file
from workbench.coding.status import set_done
from workbench.config import Settings
from workbench.corpus.case_table import import_case_table, read_table
from workbench.corpus.cases import get_or_create_case
from workbench.corpus.importing import import_files
from workbench.db.models import Project, Source
from workbench.errors import InvalidSource
from workbench.project.coders import get_or_create_coder
from workbench.project.projects import create_project


def read_manifest(demo_dir: Path) -> dict:
    """The demo's manifest (``demo.yaml``): project name, cases table, sources and their cases."""
    path = demo_dir / "demo.yaml"
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidSource(f"demo manifest missing ({exc.strerror})", file=str(path)) from exc


def demo_gold(settings: Settings, project_name: str | None) -> Path | None:
    """The demo's hand-coded gold set (quotes), when ``project_name`` is the demo project and
    its manifest names one."""
    try:
        manifest = read_manifest(settings.demo_dir)
    except InvalidSource:
        return None
    gold = manifest.get("gold")
    if not gold or project_name != manifest.get("project"):
        return None
    path = settings.demo_dir / gold
    return path if path.is_file() else None


def build_demo(store, settings: Settings, *, coder_name: str | None = None, codings: bool = True) -> dict:
    """Create the demo project (once): cases with attributes, six transcripts, every codebook and
    (unless ``codings`` is false) the hand coding of two coders, their interviews marked finished.

    Returns what was done; running it again on a database that has the demo adds nothing.
    """
    manifest = read_manifest(settings.demo_dir)
    name = manifest["project"]
    with store.write() as s:
        coder = get_or_create_coder(s, coder_name or settings.coder)
        coder_id = coder.id
        project = s.scalar(select(Project).where(Project.name == name))
        if project is not None and s.scalar(select(Source.id).where(Source.project_id == project.id).limit(1)):
            return {"project": name, "project_id": project.id, "created": False}
        if project is None:
            project = create_project(s, name, manifest.get("description", "").strip())
        project_id = project.id
    with store.write("load the demo case table", project_id=project_id, coder_id=coder_id) as s:
        frame = read_table(settings.demo_dir / manifest["cases"])
        import_case_table(s, project_id, frame, file=manifest["cases"])
    sources = []
    for entry in manifest["sources"]:
        results, _ = import_files(store, project_id, coder_id, [settings.demo_dir / entry["file"]])
        sources.extend(results)
        with store.write(f"assign {entry['file']} to its case", project_id=project_id, coder_id=coder_id) as s:
            src = s.get(Source, results[0].source_id)
            src.case_id = get_or_create_case(s, project_id, entry["case"]).id
    books = []
    for path in sorted(settings.codebooks_dir.glob("*.yaml")):
        spec = read_codebook(path)
        with store.write(f"load codebook {spec.name}", project_id=project_id, coder_id=coder_id) as s:
            books.append(store_codebook(s, project_id, spec)["name"])
    coded = _load_coding(store, project_id, settings.demo_dir, manifest.get("coding") or []) if codings else {}
    return {"project": name, "project_id": project_id, "created": True,
            "sources": len(sources), "codebooks": books, "codings": coded}


def _load_coding(store, project_id: int, demo_dir: Path, entries: list[dict]) -> dict[str, int]:
    """Each coder's quotes file, and the interviews that coder finished: coder -> codings."""
    coded = {}
    for entry in entries:
        result = import_codings_file(store, project_id, demo_dir / entry["file"])
        with store.write(f"mark {result['coder']}'s demo interviews finished", project_id=project_id) as s:
            coder_id = get_or_create_coder(s, result["coder"]).id
            finished = entry.get("finished", [])
            names = list(s.scalars(select(Source.name).where(Source.project_id == project_id))) \
                if finished == "all" else finished
            for source in names:
                set_done(s, project_id, source, coder_id)
        coded[result["coder"]] = result["created"]
    return coded
