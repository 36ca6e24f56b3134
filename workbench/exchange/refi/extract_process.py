"""Reading ``project.qde`` in a process of its own, so that parsing a large project and
writing it to the database run at the same time on two cores (a million codings: parsing and
reading the selections take about as long as SQLite takes to insert them).

The child runs :func:`workbench.exchange.refi.extract.messages` on the same hardened path and
sends each message back pickled; the parent unpickles only the types a message can hold. A
refusal in the child comes back as the same error (message, file, line); a child that dies is
reported, never waited on; the child is killed when the import stops early (an error, a
cancel)."""
from __future__ import annotations

import array
import pickle
import queue
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator

from workbench.errors import InvalidExchangeFile, WorkbenchError
from workbench.exchange.refi.archive import Archive
from workbench.exchange.refi.extract import CodingColumns, Message, SourceRecord, messages

# project.qde from this size (as unpacked) is read in a child process; below it, starting
# Python again costs more than it saves.
SEPARATE_PROCESS_BYTES = 32 * 1024 * 1024

_RECORDS = {cls.__name__: cls for cls in (SourceRecord, CodingColumns)}

MESSAGES_AHEAD = 64         # sources read ahead of the database (each one source's selections)
TEXT_AHEAD = 64 * 2**20     # ... and at most this many characters of their texts (one larger source
                            # is let through alone): 64 sources of 200 MB would be 12 GB


def project_messages(data: bytes, file: str, *, separate_process: bool | None = None) -> Iterator[Message]:
    """The messages of a ``.qdpx``'s project.qde (see :func:`extract.messages`), read here or,
    for a large project (or when ``separate_process`` says so), in a child process."""
    archive = Archive(data, file)
    if separate_process is None:
        separate_process = archive.project_size() >= SEPARATE_PROCESS_BYTES
    if not separate_process:
        yield from messages(archive, file)
        return
    yield from _from_child(data, file)


def _from_child(data: bytes, file: str) -> Iterator[Message]:
    with tempfile.TemporaryFile() as errors:
        child = subprocess.Popen([sys.executable, "-m", "workbench.exchange.refi.extract_process"],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors)
        # A thread takes the messages off the pipe as they come, so the child keeps reading
        # while this process writes a batch to the database (a pipe holds less than a source).
        ahead: queue.Queue = queue.Queue(maxsize=MESSAGES_AHEAD)
        stop = threading.Event()
        budget = _TextBudget(TEXT_AHEAD)
        reader = threading.Thread(target=_take, args=(child, data, file, ahead, stop, budget), daemon=True,
                                  name="qdpx-reader")
        reader.start()
        try:
            while True:
                message = ahead.get()
                budget.give(_text_size(message))
                if message[0] == "done":
                    return
                if message[0] == "stopped":
                    if message[1]:
                        # A message that cannot be read: the child may still be writing into a
                        # pipe nobody reads now, so waiting for it would wait for ever.
                        child.kill()
                        raise InvalidExchangeFile(f"reading project.qde stopped: {message[1]}; nothing was imported",
                                                  file=file)
                    child.wait()
                    errors.seek(0)
                    said = errors.read().decode("utf-8", "replace").strip().splitlines()
                    raise InvalidExchangeFile("reading project.qde stopped before its end (the reading process "
                                              f"exited with code {child.returncode}"
                                              f"{': ' + said[-1] if said else ''}); nothing was imported",
                                              file=file)
                if message[0] == "refused":
                    _, text, where, line, offset = message
                    raise InvalidExchangeFile(text, file=where, line=line, offset=offset)
                yield message
        finally:
            stop.set()
            if child.poll() is None:
                child.kill()
            child.wait()
            reader.join(timeout=60)


def _text_size(message: Message) -> int:
    return len(message[1].text or "") if message[0] == "source" else 0


class _TextBudget:
    """Characters of source text queued ahead: the reader thread waits (and so does the child,
    on its full pipe) while taking the next source would pass the limit and something is queued."""

    def __init__(self, limit: int):
        self.limit, self.used = limit, 0
        self.changed = threading.Condition()

    def take(self, n: int, stop: threading.Event) -> None:
        with self.changed:
            while self.used and self.used + n > self.limit and not stop.is_set():
                self.changed.wait(0.5)
            self.used += n

    def give(self, n: int) -> None:
        with self.changed:
            self.used -= n
            self.changed.notify_all()


def _take(child: subprocess.Popen, data: bytes, file: str, ahead: queue.Queue, stop: threading.Event,
          budget: _TextBudget) -> None:
    """The reader thread: send the child its input, then queue each message it writes; an end
    without "done" or "refused" is queued as "stopped", with why when a message could not be read."""
    try:
        pickle.dump((data, file), child.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        child.stdin.close()   # the child reads all of its input before it writes anything: no deadlock
    except (BrokenPipeError, OSError):        # it died at once: said from its exit code
        pass
    while not stop.is_set():
        try:       # an unpickler per message: an unpickler's memo outlives its load()
            message = _Messages(child.stdout).load()
        except (EOFError, OSError):            # the child ended: its exit code says why
            message = ("stopped", "")
        except (ValueError, pickle.UnpicklingError) as exc:
            message = ("stopped", f"a message from the reading process could not be read ({exc})")
        budget.take(_text_size(message), stop)
        while not stop.is_set():
            try:
                ahead.put(message, timeout=0.5)
                break
            except queue.Full:
                continue
        if message[0] in ("done", "refused", "stopped"):
            return


class _Messages(pickle.Unpickler):
    """Unpickles what a message holds (tuples, lists, strings, numbers, arrays of numbers and
    source records) and nothing else: the child read an untrusted file."""

    def find_class(self, module: str, name: str):
        if module == SourceRecord.__module__ and name in _RECORDS:
            return _RECORDS[name]
        if module == "array" and name in ("array", "_array_reconstructor"):     # a record's columns of numbers
            return getattr(array, name)
        raise pickle.UnpicklingError(f"a message from the reading process holds {module}.{name}")


def main() -> None:
    """The child: read ``(data, file)`` from stdin, write each message to stdout."""
    data, file = pickle.load(sys.stdin.buffer)
    out = sys.stdout.buffer
    try:
        for message in messages(Archive(data, file), file):
            pickle.dump(message, out, protocol=pickle.HIGHEST_PROTOCOL)
            if message[0] in ("progress", "project"):
                out.flush()
    except WorkbenchError as exc:     # the same refusal the importer would give in-process
        pickle.dump(("refused", exc.message, exc.file, exc.line, exc.offset), out)
    else:
        pickle.dump(("done",), out)
    out.flush()


if __name__ == "__main__":
    main()
