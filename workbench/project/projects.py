"""Projects: a study in a database (one database may hold many, a team server does)."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workbench.db.models import Case, Code, Codebook, Coding, Job, JobStatus, Memo, Project, Source
from workbench.errors import AlreadyExists, NotFound


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
