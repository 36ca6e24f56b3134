"""Speakers of a source: their labels and roles (interviewer, interviewee, other)."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workbench.corpus.parsers.labels import guess_role
from workbench.corpus.sources import get_source
from workbench.db.models import Segment, Source, Speaker, SpeakerRole
from workbench.errors import AlreadyExists, InvalidSource, NotFound


@dataclass
class RolePlan:
    """The roles a transcript's speakers get on import, and what the import says about them:
    ``unplaced`` labels got no role (the user sets them once, in the Speakers tab or with
    ``workbench speakers role``); ``asks_most`` is the unplaced label whose turns hold the most
    questions - offered as the likely interviewer, never set silently."""
    roles: dict[str, SpeakerRole | None]
    unplaced: list[str] = field(default_factory=list)
    asks_most: str | None = None

    def note(self) -> str:
        """One sentence for the import report ("" when every speaker has a role)."""
        if not self.unplaced:
            return ""
        said = f"no role for {', '.join(self.unplaced)}: set them in the Speakers tab or with `workbench speakers role`"
        if self.asks_most:
            said += f" ({self.asks_most} asks the most questions: the interviewer?)"
        return said


def plan_roles(turns: Iterable[tuple[str | None, str]]) -> RolePlan:
    """Roles from the labels of ``(speaker, text)`` turns (read once; a generator will do): a
    label that says its role keeps it (Interviewer1, Moderator, Q; Respondent, P1, Participant 3);
    when one speaker is left besides labelled interviewers and nobody is labelled interviewee,
    that one is the interviewee (a two-party interview); every other label stays without a role."""
    questions: dict[str, int] = {}          # label -> question marks in its turns, in order of appearance
    for speaker, text in turns:
        if speaker:
            questions[speaker] = questions.get(speaker, 0) + text.count("?")
    roles = {label: guess_role(label) for label in questions}
    left = [label for label, role in roles.items() if role is None]
    said = set(roles.values())
    if len(left) == 1 and said == {"interviewer", None}:
        roles[left[0]] = "interviewee"
        left = []
    asks = None
    if left:
        best = max(left, key=lambda label: questions[label])
        tied = sum(questions[label] == questions[best] for label in left) > 1
        asks = best if questions[best] and not tied else None
    return RolePlan({label: SpeakerRole(role) if role else None for label, role in roles.items()}, left, asks)


def role_suggestion(session: Session, source: Source) -> str:
    """What to say about the source's speakers without a role ("" when all have one): which
    they are, and which of them asks the most questions."""
    unset = {sp.id: sp.label for sp in source.speakers if sp.role is None}
    if not unset:
        return ""
    turns = [(unset[sp], source.text[a:b]) for sp, a, b in session.execute(
        select(Segment.speaker_id, Segment.start, Segment.end).where(Segment.source_id == source.id,
                                                                    Segment.speaker_id.in_(unset)))]
    plan = plan_roles(turns)
    plan = RolePlan(plan.roles, list(unset.values()), plan.asks_most if len(unset) > 1 else None)
    return plan.note()


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
