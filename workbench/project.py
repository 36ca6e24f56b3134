"""Projects and coders: finding, creating, and who is working."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .errors import AlreadyExists, NotFound
from .models import Case, Code, Codebook, Coder, Coding, Job, JobStatus, Memo, Project, Source


def find_coder(session: Session, identity: str) -> Coder | None:
    """The coder with this identity, if any."""
    return session.scalar(select(Coder).where(Coder.identity == identity))


def get_or_create_coder(session: Session, name: str, identity: str | None = None) -> Coder:
    """The coder with this identity (default ``local:<name>``), created on first use."""
    identity = identity or f"local:{name}"
    coder = find_coder(session, identity)
    if coder is None:
        coder = Coder(name=name, identity=identity)
        session.add(coder)
        session.flush()
    return coder


def create_project(session: Session, name: str, description: str = "") -> Project:
    """A new, empty project; names are unique in a database."""
    name = name.strip()
    if not name:
        raise AlreadyExists("a project needs a name")
    if session.scalar(select(Project).where(Project.name == name)):
        raise AlreadyExists(f"a project named {name!r} already exists")
    project = Project(name=name, description=description)
    session.add(project)
    session.flush()
    return project


def list_projects(session: Session) -> list[Project]:
    return list(session.scalars(select(Project).order_by(Project.name)))


def resolve_project(session: Session, name: str | None = None) -> Project:
    """The project called ``name``; without a name, the only project there is."""
    if name:
        project = session.scalar(select(Project).where(Project.name == name))
        if project is None and name.isdigit():
            project = session.get(Project, int(name))
        if project is None:
            known = ", ".join(p.name for p in list_projects(session)) or "none yet"
            raise NotFound(f"no project named {name!r} (projects: {known})")
        return project
    projects = list_projects(session)
    if len(projects) == 1:
        return projects[0]
    if not projects:
        raise NotFound("the database holds no project yet: run `workbench init NAME` or `workbench demo`")
    raise NotFound("the database holds several projects; choose one with --project "
                   f"({', '.join(p.name for p in projects)})")


def overview(session: Session, project_id: int) -> dict[str, int]:
    """Counts for a project's dashboard: sources, cases, codebooks, codes, codings, memos, open jobs."""
    def count(stmt):
        return session.scalar(stmt) or 0
    return {
        "sources": count(select(func.count(Source.id)).where(Source.project_id == project_id)),
        "cases": count(select(func.count(Case.id)).where(Case.project_id == project_id)),
        "codebooks": count(select(func.count(Codebook.id)).where(Codebook.project_id == project_id)),
        "codes": count(select(func.count(Code.id)).join(Codebook).where(Codebook.project_id == project_id)),
        "codings": count(select(func.count(Coding.id)).join(Source).where(Source.project_id == project_id)),
        "memos": count(select(func.count(Memo.id)).where(Memo.project_id == project_id)),
        "open_jobs": count(select(func.count(Job.id)).where(
            Job.project_id == project_id, Job.status.in_([JobStatus.queued, JobStatus.running]))),
    }


def codebook_summary(session: Session, project_id: int) -> list[dict]:
    """One row per codebook: name, number of codes, number of codings, the file it came from."""
    codes = dict(session.execute(select(Code.codebook_id, func.count(Code.id)).join(Codebook)
                                 .where(Codebook.project_id == project_id).group_by(Code.codebook_id)).all())
    codings = dict(session.execute(select(Code.codebook_id, func.count(Coding.id)).join(Coding)
                                   .join(Codebook).where(Codebook.project_id == project_id)
                                   .group_by(Code.codebook_id)).all())
    return [{"codebook": cb.name, "codes": codes.get(cb.id, 0), "codings": codings.get(cb.id, 0),
             "file": cb.source_file}
            for cb in session.scalars(select(Codebook).where(Codebook.project_id == project_id)
                                      .order_by(Codebook.name))]


def coder_names(session: Session) -> dict[int, str]:
    """Coder id -> name, for showing who did what."""
    return dict(session.execute(select(Coder.id, Coder.name)).all())


def codebook_choices(session: Session, project_id: int) -> list[tuple[int, str]]:
    """``(id, name)`` of the project's codebooks, by name."""
    return [tuple(r) for r in session.execute(select(Codebook.id, Codebook.name)
                                              .where(Codebook.project_id == project_id).order_by(Codebook.name))]


def source_choices(session: Session, project_id: int) -> list[tuple[int, str]]:
    """``(id, name)`` of the project's sources, by name."""
    return [tuple(r) for r in session.execute(select(Source.id, Source.name)
                                              .where(Source.project_id == project_id).order_by(Source.name))]


def case_names(session: Session, project_id: int) -> list[str]:
    return list(session.scalars(select(Case.name).where(Case.project_id == project_id).order_by(Case.name)))


def coders_of_source(session: Session, source_id: int) -> list[int]:
    """Ids of the coders who coded in a source."""
    return sorted(set(session.scalars(select(Coding.coder_id).where(Coding.source_id == source_id))))
