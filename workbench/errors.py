"""Errors the workbench reports to a person.

Every error a researcher can cause (a bad file, a span outside the text, a database from a
newer version) is a subclass of :class:`WorkbenchError`. It carries *where* the problem is
(file, line, offset) so that the CLI and the UI can turn it into one clear message in one
place (``workbench.cli.main`` and ``workbench.ui.errors``).
"""
from __future__ import annotations


class WorkbenchError(Exception):
    """Base class: a message plus an optional location (file, line, offset)."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 offset: int | None = None):
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.offset = offset

    @property
    def where(self) -> str:
        """``file:line`` / ``file, offset N`` / ``""`` - the location part of the message."""
        parts = []
        if self.file:
            parts.append(self.file)
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.offset is not None:
            parts.append(f"offset {self.offset}")
        return ", ".join(parts)

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class InvalidCodebook(WorkbenchError):
    """A codebook file that cannot be loaded (syntax, schema, duplicate names...).

    ``problems`` holds every problem found when there were several; the message lists all.
    """

    def __init__(self, message: str, line: int | None = None, *, file: str | None = None,
                 problems: list[InvalidCodebook] | None = None):
        super().__init__(message, file=file, line=line)
        self.problems = problems or [self]

    def __str__(self) -> str:
        if len(self.problems) > 1:
            return "\n".join(WorkbenchError.__str__(p) for p in self.problems)
        return super().__str__()


class InvalidSource(WorkbenchError):
    """A transcript or document that cannot be imported."""


class InvalidCaseTable(WorkbenchError):
    """A case table (CSV/XLSX) with a bad row or value."""


class InvalidCodingsFile(WorkbenchError):
    """A file of hand codings given as quotes (YAML, CSV, XLSX) that cannot be read."""


class NotYours(WorkbenchError):
    """A coding or memo of another coder: each coder changes and removes only their own."""


class OthersAffected(WorkbenchError):
    """A change that would move or remove other coders' codings, asked for without saying so."""


class InvalidSpan(WorkbenchError):
    """A coding span that does not fit the source text."""


class NotFound(WorkbenchError):
    """A project, source, code, coding... that does not exist."""


class AlreadyExists(WorkbenchError):
    """A name or file that is already in the project."""


class DatabaseProblem(WorkbenchError):
    """The database cannot be opened safely (not a database, newer schema, damaged...)."""


class CannotWrite(WorkbenchError):
    """A file could not be written (disk full, read-only folder...); nothing partial was left."""


class DatabaseBusy(WorkbenchError):
    """Another process held the write lock past the busy timeout."""


class NothingToUndo(WorkbenchError):
    """Undo or redo was asked for with an empty stack."""


class UndoConflict(WorkbenchError):
    """The row an undo would restore was changed since (by another coder)."""


class ConcurrentEdit(WorkbenchError):
    """Someone else changed the same thing since it was read (optimistic version check)."""


class AnalysisProblem(WorkbenchError):
    """An analysis that cannot be computed as asked (no cases, one group, an unknown attribute...)."""


class InvalidQuery(WorkbenchError):
    """A text search or word count that cannot be run as typed (empty, an unclosed quote...)."""


class AgreementProblem(WorkbenchError):
    """Agreement that cannot be computed (fewer than two coders, nothing coded...)."""


class TranscriptionFailed(WorkbenchError):
    """Audio that cannot be transcribed (unreadable, silent, too long, unknown language...)."""


class ModelNotFound(WorkbenchError):
    """A model (Whisper, sentence embeddings) that is not installed, not pinned or not what its pin says."""


class SuggesterUnavailable(WorkbenchError):
    """A suggester that cannot run (too little coding to learn from, no model, an endpoint that
    does not answer or answers garbage): the run stores nothing and says why."""


class InvalidExchangeFile(WorkbenchError):
    """A QDPX/QDC file that cannot be imported safely or consistently."""
