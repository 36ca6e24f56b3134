"""The fixed vocabularies of the schema (stored as their values)."""
from __future__ import annotations

import enum


class AttributeType(str, enum.Enum):
    text = "text"
    number = "number"
    boolean = "boolean"
    date = "date"


class SpeakerRole(str, enum.Enum):
    interviewer = "interviewer"
    interviewee = "interviewee"
    other = "other"


class SourceKind(str, enum.Enum):
    transcript = "transcript"
    document = "document"


class SourceStatus(str, enum.Enum):
    ready = "ready"
    pending = "pending"        # audio waiting for its transcription job
    failed = "failed"


class CodingOrigin(str, enum.Enum):
    manual = "manual"
    autocode = "autocode"
    imported = "import"


class SuggestionStatus(str, enum.Enum):
    pending = "pending"
    accepted = "accepted"
    rejected = "rejected"


class JobStatus(str, enum.Enum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"
    cancelled = "cancelled"


class EventState(str, enum.Enum):
    done = "done"
    undone = "undone"
    discarded = "discarded"    # undone, then a new action made redo impossible
