"""Peak memory of a benchmark's child process and of the processes it starts.

``ru_maxrss`` is no good here: Linux carries a parent's size over fork and exec, so a child
started by a bench that holds its generated inputs reported the parent's size. VmHWM in
``/proc/<pid>/status`` is each process's own high-water mark. A process the measured one starts
(a QDPX import's reading process) is watched from ``/proc`` while it lives.

Used by the benches' child code: ``sys.path.insert(0, <this folder>); from peaks import ...``.
"""
from __future__ import annotations

import os
import threading


def own_peak_mb(pid: int | str = "self") -> float | None:
    """The high-water mark of a process's resident memory, in MiB (None once it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        return None


class ChildPeaks:
    """Watches this process's children every 0.2 s and keeps each one's peak (VmHWM only rises,
    so the last reading before a child exits is within 0.2 s of its peak)."""

    def __init__(self):
        self.peaks: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        me = str(os.getpid())
        while not self._stop.wait(0.2):
            for pid in filter(str.isdigit, os.listdir("/proc")):
                try:
                    with open(f"/proc/{pid}/stat") as fh:
                        ppid = fh.read().rsplit(")", 1)[1].split()[1]
                except OSError:
                    continue
                if ppid == me and (peak := own_peak_mb(pid)) is not None:
                    self.peaks[pid] = max(peak, self.peaks.get(pid, 0.0))

    def stop(self) -> float:
        """Stop watching; the largest peak of any child (0 when none was started)."""
        self._stop.set()
        self._thread.join()
        return max(self.peaks.values(), default=0.0)
