"""The nouns of an interview study as SQLAlchemy 2.x ORM classes.

Offsets (``start``/``end``) are Python ``str`` indices (code points) into ``Source.text``,
``end`` exclusive; see ARCHITECTURE.md. Tables use AUTOINCREMENT on SQLite so that an id is
never reused: undo re-inserts deleted rows with their old id.
"""
from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# The schema's vocabularies, importable from here beside the tables that use them.
from workbench.db.enums import (
    AttributeType,
    CodingOrigin,
    EventState,
    JobStatus,
    SourceKind,
    SourceStatus,
    SpeakerRole,
    SuggestionStatus,
)


def new_guid() -> str:
    """A fresh GUID (UUID4) as text, the form REFI-QDA uses."""
    return str(uuid.uuid4())


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Base(DeclarativeBase):
    __table_args__ = {"sqlite_autoincrement": True}


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    # Store the value (not the member name), as a CHECK-constrained string on every backend.
    return Enum(cls, name=name, native_enum=False, values_callable=lambda e: [m.value for m in e],
                validate_strings=True, length=20)


class Project(Base):
    __tablename__ = "project"
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[str] = mapped_column(String(36), unique=True, default=new_guid)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Coder(Base):
    __tablename__ = "coder"
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[str] = mapped_column(String(36), unique=True, default=new_guid)
    name: Mapped[str] = mapped_column(String(200))
    # "local:<name>" for a name typed locally, "<iss>|<sub>" for an OIDC login.
    identity: Mapped[str] = mapped_column(String(400), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Case(Base):
    __tablename__ = "case_"
    __table_args__ = (UniqueConstraint("project_id", "name"), {"sqlite_autoincrement": True})
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[str] = mapped_column(String(36), unique=True, default=new_guid)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    values: Mapped[list[AttributeValue]] = relationship(
        back_populates="case", cascade="all, delete-orphan", passive_deletes=True)


class Attribute(Base):
    __tablename__ = "attribute"
    __table_args__ = (UniqueConstraint("project_id", "name"), {"sqlite_autoincrement": True})
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[str] = mapped_column(String(36), unique=True, default=new_guid)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[AttributeType] = mapped_column(_enum(AttributeType, "attribute_type"))
    position: Mapped[int] = mapped_column(Integer, default=0)


class AttributeValue(Base):
    """One typed value; exactly one of the ``*_value`` columns is used, per the attribute type."""
    __tablename__ = "attribute_value"
    __table_args__ = (UniqueConstraint("case_id", "attribute_id"), {"sqlite_autoincrement": True})
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_.id", ondelete="CASCADE"), index=True)
    attribute_id: Mapped[int] = mapped_column(ForeignKey("attribute.id", ondelete="CASCADE"), index=True)
    text_value: Mapped[str | None] = mapped_column(Text)
    number_value: Mapped[float | None] = mapped_column(Float)
    bool_value: Mapped[bool | None] = mapped_column(Boolean)
    date_value: Mapped[dt.date | None] = mapped_column(Date)
    case: Mapped[Case] = relationship(back_populates="values")
    attribute: Mapped[Attribute] = relationship()


class Source(Base):
    __tablename__ = "source"
    __table_args__ = (UniqueConstraint("project_id", "file_hash"),
                      UniqueConstraint("project_id", "name"), {"sqlite_autoincrement": True})
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[str] = mapped_column(String(36), unique=True, default=new_guid)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[SourceKind] = mapped_column(_enum(SourceKind, "source_kind"))
    format: Mapped[str] = mapped_column(String(20))           # txt, docx, srt, vtt, noscribe, pdf, audio
    original_filename: Mapped[str] = mapped_column(String(500), default="")
    file_hash: Mapped[str] = mapped_column(String(64))         # sha256 of the imported file's bytes
    text: Mapped[str] = mapped_column(Text, default="")         # NFC, "\n" line endings
    text_hash: Mapped[str] = mapped_column(String(64), default="")
    language: Mapped[str | None] = mapped_column(String(20))
    media_path: Mapped[str | None] = mapped_column(String(1000))
    duration: Mapped[float | None] = mapped_column(Float)      # seconds of audio
    status: Mapped[SourceStatus] = mapped_column(_enum(SourceStatus, "source_status"),
                                                 default=SourceStatus.ready)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                    onupdate=utcnow)
    case: Mapped[Case | None] = relationship()
    speakers: Mapped[list[Speaker]] = relationship(
        back_populates="source", cascade="all, delete-orphan", passive_deletes=True,
        order_by="Speaker.id")
    segments: Mapped[list[Segment]] = relationship(
        back_populates="source", cascade="all, delete-orphan", passive_deletes=True,
        order_by="Segment.idx")
    codings: Mapped[list[Coding]] = relationship(
        back_populates="source", cascade="all, delete-orphan", passive_deletes=True)


class Speaker(Base):
    __tablename__ = "speaker"
    __table_args__ = (UniqueConstraint("source_id", "label"), {"sqlite_autoincrement": True})
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    role: Mapped[SpeakerRole | None] = mapped_column(_enum(SpeakerRole, "speaker_role"))
    source: Mapped[Source] = relationship(back_populates="speakers")


class Segment(Base):
    """A speaker turn (transcripts) or a page (documents): ``[start, end)`` of the source text."""
    __tablename__ = "segment"
    __table_args__ = (UniqueConstraint("source_id", "idx"),
                      CheckConstraint("start >= 0 AND \"end\" >= start", name="segment_span"),
                      {"sqlite_autoincrement": True})
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id", ondelete="CASCADE"), index=True)
    idx: Mapped[int] = mapped_column(Integer)
    speaker_id: Mapped[int | None] = mapped_column(ForeignKey("speaker.id", ondelete="SET NULL"))
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    t_start: Mapped[float | None] = mapped_column(Float)
    t_end: Mapped[float | None] = mapped_column(Float)
    page: Mapped[int | None] = mapped_column(Integer)
    # The language this turn was transcribed in, when a recording's language may change (else
    # None: the source's language holds for every turn).
    language: Mapped[str | None] = mapped_column(String(20))
    source: Mapped[Source] = relationship(back_populates="segments")
    speaker: Mapped[Speaker | None] = relationship()


class Codebook(Base):
    __tablename__ = "codebook"
    __table_args__ = (UniqueConstraint("project_id", "name"), UniqueConstraint("project_id", "guid"),
                      {"sqlite_autoincrement": True})
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[str] = mapped_column(String(36), default=new_guid)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    reference: Mapped[str] = mapped_column(Text, default="")
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Words one of which a turn must contain for any rule of the codebook to fire there
    # (a rule's own ``context`` overrides it): keeps the rules to talk about the codebook's subject.
    rule_context: Mapped[list[str]] = mapped_column(JSON, default=list)
    source_file: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    codes: Mapped[list[Code]] = relationship(
        back_populates="codebook", cascade="all, delete-orphan", passive_deletes=True,
        order_by="Code.position")


class Code(Base):
    __tablename__ = "code"
    __table_args__ = (UniqueConstraint("codebook_id", "guid"),
                      Index("ix_code_parent_name", "codebook_id", "parent_id", "name"),
                      {"sqlite_autoincrement": True})
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[str] = mapped_column(String(36), default=new_guid)
    codebook_id: Mapped[int] = mapped_column(ForeignKey("codebook.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("code.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    color: Mapped[str] = mapped_column(String(9), default="#999999")
    definition: Mapped[str] = mapped_column(Text, default="")
    when_to_use: Mapped[str] = mapped_column(Text, default="")
    when_not_to_use: Mapped[str] = mapped_column(Text, default="")
    examples: Mapped[list[str]] = mapped_column(JSON, default=list)
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)   # optimistic locking of edits
    codebook: Mapped[Codebook] = relationship(back_populates="codes")
    parent: Mapped[Code | None] = relationship(remote_side="Code.id", back_populates="children")
    children: Mapped[list[Code]] = relationship(back_populates="parent", order_by="Code.position")


class Coding(Base):
    __tablename__ = "coding"
    __table_args__ = (
        # One coder applying one code to one span is one coding, however often it is clicked.
        UniqueConstraint("source_id", "code_id", "coder_id", "start", "end", name="uq_coding_span"),
        CheckConstraint("start >= 0 AND \"end\" > start", name="coding_span"),
        Index("ix_coding_code", "code_id"),
        {"sqlite_autoincrement": True})
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[str] = mapped_column(String(36), unique=True, default=new_guid)
    # no index of its own: uq_coding_span begins with source_id (migration 0005)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id", ondelete="CASCADE"))
    code_id: Mapped[int] = mapped_column(ForeignKey("code.id", ondelete="CASCADE"))
    coder_id: Mapped[int] = mapped_column(ForeignKey("coder.id"), index=True)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    origin: Mapped[CodingOrigin] = mapped_column(_enum(CodingOrigin, "coding_origin"),
                                                 default=CodingOrigin.manual)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("job.id", ondelete="SET NULL"))
    # Which suggester proposed it when a suggestion was accepted (the model, endpoint, prompt
    # version and rationale of an LLM; journals ask for them).
    provenance: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                    onupdate=utcnow)
    source: Mapped[Source] = relationship(back_populates="codings")
    code: Mapped[Code] = relationship()
    coder: Mapped[Coder] = relationship()
    memos: Mapped[list[Memo]] = relationship(back_populates="coding", cascade="all, delete-orphan",
                                             passive_deletes=True)


class CodingStatus(Base):
    """A coder's own word on a source: whether they have finished coding it. Agreement compares
    the sources every compared coder marked done - a source left empty but marked done counts as
    "coded nothing", a source never marked is not judged - and the crosstab by coder uses the same
    bases."""
    __tablename__ = "coding_status"
    __table_args__ = (UniqueConstraint("source_id", "coder_id"), {"sqlite_autoincrement": True})
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id", ondelete="CASCADE"), index=True)
    coder_id: Mapped[int] = mapped_column(ForeignKey("coder.id"))
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class Memo(Base):
    """Free text on the project, a source, a code or a coding (the one target id that is set)."""
    __tablename__ = "memo"
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[str] = mapped_column(String(36), unique=True, default=new_guid)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("source.id", ondelete="CASCADE"), index=True)
    code_id: Mapped[int | None] = mapped_column(ForeignKey("code.id", ondelete="CASCADE"), index=True)
    coding_id: Mapped[int | None] = mapped_column(ForeignKey("coding.id", ondelete="CASCADE"), index=True)
    coder_id: Mapped[int | None] = mapped_column(ForeignKey("coder.id"))
    title: Mapped[str] = mapped_column(String(300), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                    onupdate=utcnow)
    coding: Mapped[Coding | None] = relationship(back_populates="memos")
    coder: Mapped[Coder | None] = relationship()

    @property
    def target(self) -> str:
        """``coding``, ``code``, ``source`` or ``project``: what the memo annotates."""
        if self.coding_id:
            return "coding"
        if self.code_id:
            return "code"
        if self.source_id:
            return "source"
        return "project"


class Job(Base):
    """Queued long work (transcription, autocoding run) and its progress."""
    __tablename__ = "job"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[JobStatus] = mapped_column(_enum(JobStatus, "job_status"), default=JobStatus.queued,
                                              index=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Loaded when read, not with every listing of jobs: an autocoding run keeps in it the
    # proposals it did not store twice, which can be many for a re-run over a large corpus.
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, deferred=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str] = mapped_column(String(200), default="")
    coder_id: Mapped[int | None] = mapped_column(ForeignKey("coder.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Suggestion(Base):
    """A coding proposed by an autocoding run; a person accepts or rejects it."""
    __tablename__ = "suggestion"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"), index=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id", ondelete="CASCADE"), index=True)
    code_id: Mapped[int] = mapped_column(ForeignKey("code.id", ondelete="CASCADE"), index=True)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    rule: Mapped[str] = mapped_column(Text, default="")
    matched: Mapped[str] = mapped_column(Text, default="")
    suggester: Mapped[str] = mapped_column(String(20), default="rules")    # rules | learned | semantic | llm
    score: Mapped[float | None] = mapped_column(Float)                     # confidence, 0-1
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON)         # why: see autocode.review
    status: Mapped[SuggestionStatus] = mapped_column(_enum(SuggestionStatus, "suggestion_status"),
                                                     default=SuggestionStatus.pending)
    coding_id: Mapped[int | None] = mapped_column(ForeignKey("coding.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Embedding(Base):
    """A sentence embedding of a text, kept by the text's hash: a corrected turn is embedded again
    and nothing else (machine bookkeeping, outside the event log)."""
    __tablename__ = "embedding"
    __table_args__ = (UniqueConstraint("model", "text_hash"), {"sqlite_autoincrement": True})
    id: Mapped[int] = mapped_column(primary_key=True)
    model: Mapped[str] = mapped_column(String(80))
    text_hash: Mapped[str] = mapped_column(String(64))
    vector: Mapped[bytes] = mapped_column(LargeBinary)                     # float16, little-endian


class RuleHit(Base):
    """What the rules found in one turn, by the rules' fingerprint and the turn's hash: a rerun matches
    only what changed (a cache outside the event log; see autocode.rule_cache)."""
    __tablename__ = "rule_hit"
    __table_args__ = (UniqueConstraint("fingerprint", "turn_hash"), {"sqlite_autoincrement": True})
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(16))
    turn_hash: Mapped[str] = mapped_column(String(64))
    hits: Mapped[str] = mapped_column(Text)                                # JSON: [[code, a, b, rule, s, e], ...]


class Event(Base):
    """One row change made by a person: the audit trail and the undo/redo stack.

    All events of one action share ``group_id``; undo reverts a whole group.
    """
    __tablename__ = "event"
    __table_args__ = (Index("ix_event_stack", "project_id", "coder_id", "state"),
                      {"sqlite_autoincrement": True})
    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[str] = mapped_column(String(36), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    coder_id: Mapped[int | None] = mapped_column(ForeignKey("coder.id"))
    action: Mapped[str] = mapped_column(String(300))
    op: Mapped[str] = mapped_column(String(10))         # insert | update | delete
    entity: Mapped[str] = mapped_column(String(40))     # table name
    entity_id: Mapped[int] = mapped_column(Integer)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    state: Mapped[EventState] = mapped_column(_enum(EventState, "event_state"), default=EventState.done)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    undone_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


MODELS_BY_TABLE: dict[str, type[Base]] = {
    m.class_.__tablename__: m.class_ for m in Base.registry.mappers}
