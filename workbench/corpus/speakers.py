"""Speakers of a source: their labels and roles (interviewer, interviewee, other)."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workbench.corpus.parsers.labels import guess_role
from workbench.corpus.sources import get_source
from workbench.db.models import Segment, Source, Speaker, SpeakerRole
from workbench.errors import AlreadyExists, InvalidSource, NotFound


def initial_role(label: str, any_interviewer: bool) -> SpeakerRole | None:
    """The role a speaker gets on import: interviewer when the label says so; interviewee when
    another label of the transcript names the interviewer; none otherwise."""
    role = guess_role(label) or ("interviewee" if any_interviewer else None)
    return SpeakerRole(role) if role else None


def speaker_rows(session: Session, source: Source) -> list[dict]:
    """One row per speaker of a source: label, role and number of turns (counted in SQL)."""
    turns = dict(session.execute(select(Segment.speaker_id, func.count(Segment.id))
                                 .where(Segment.source_id == source.id).group_by(Segment.speaker_id)).all())
    return [{"speaker": sp.label, "role": sp.role.value if sp.role else "", "turns": turns.get(sp.id, 0)}
            for sp in source.speakers]


def _speaker(session: Session, source: Source, label: str) -> Speaker:
    sp = session.scalar(select(Speaker).where(Speaker.source_id == source.id, Speaker.label == label))
    if sp is None:
        known = ", ".join(s.label for s in source.speakers) or "none"
        raise NotFound(f"source {source.name!r} has no speaker {label!r} (speakers: {known})")
    return sp


def rename_speaker(session: Session, project_id: int, source_ref: str | int, old: str, new: str) -> Speaker:
    """Rename a speaker of one source; turns keep their speaker, codings do not move."""
    source = get_source(session, project_id, source_ref)
    new = new.strip()
    if not new:
        raise InvalidSource("a speaker needs a name")
    sp = _speaker(session, source, old)
    if new != old and any(s.label == new for s in source.speakers):
        raise AlreadyExists(f"source {source.name!r} already has a speaker {new!r}")
    sp.label = new
    return sp


def set_speaker_role(session: Session, project_id: int, source_ref: str | int, label: str,
                     role: str | None) -> Speaker:
    """Give a speaker the role interviewer, interviewee or other (None clears it)."""
    source = get_source(session, project_id, source_ref)
    sp = _speaker(session, source, label)
    try:
        sp.role = SpeakerRole(role) if role else None
    except ValueError as exc:
        raise InvalidSource(f"unknown role {role!r}; use interviewer, interviewee or other") from exc
    return sp
