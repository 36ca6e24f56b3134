"""Coders: the people who code; every coding records who made it."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.db.models import Coder
from workbench.errors import NotFound


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


def coder_names(session: Session) -> dict[int, str]:
    """Coder id -> name, for showing who did what."""
    return dict(session.execute(select(Coder.id, Coder.name)).all())


def coder_ids_named(session: Session, names: list[str]) -> list[int]:
    """Ids of the coders called ``names``; an unknown name is an error naming the known coders
    (a mistyped name must never silently mean "every coder")."""
    known = coder_names(session)
    by_name: dict[str, list[int]] = {}
    for cid, name in known.items():
        by_name.setdefault(name, []).append(cid)
    missing = [n for n in names if n not in by_name]
    if missing:
        raise NotFound(f"no coder named {', '.join(map(repr, missing))} "
                       f"(coders: {', '.join(sorted(set(known.values()))) or 'none yet'})")
    return sorted({cid for n in names for cid in by_name[n]})
