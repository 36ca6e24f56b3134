"""Times in transcripts: ``hh:mm:ss`` to seconds and back."""
from __future__ import annotations

import datetime as dt


def parse_timestamp(ts: str | None) -> float | None:
    """``hh:mm:ss``, ``mm:ss`` or ``hh:mm:ss.mmm`` (comma or dot) to seconds."""
    if not ts:
        return None
    ts = ts.replace(",", ".")
    parts = ts.split(":")
    seconds = float(parts[-1])
    minutes = int(parts[-2]) if len(parts) >= 2 else 0
    hours = int(parts[-3]) if len(parts) >= 3 else 0
    return hours * 3600 + minutes * 60 + seconds


def seconds_to_clock(seconds: float | None) -> str:
    """``hh:mm:ss`` for display and citations."""
    if seconds is None:
        return ""
    return str(dt.timedelta(seconds=int(seconds))).rjust(8, "0")
