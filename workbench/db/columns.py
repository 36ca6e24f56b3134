"""Many rows of one table, stored compactly in one event: each column as one value when all rows
share it, as a start when it counts up by one (ids, positions), as a machine array (base64) when
it is numbers (integers as compressed differences: a transcript's turn offsets shrink ~10x), and
as a list only otherwise. In machine arrays NaN (floats) and :data:`NULL_INT` (integers) stand
for None.

A 200 MB transcript has millions of turns; a list (or dict) per turn in the event took more memory
than the transcript and its database together.
"""
from __future__ import annotations

import base64
import math
import zlib
from array import array

import numpy as np

NULL_INT = _NONE_INT = -(2 ** 63)          # stands for None in a column of integers


class ColumnLog:
    """The values of one column, appended row by row: integers (None allowed) in an int64 array
    until a float comes (then float64, None as NaN), anything else in a list."""

    def __init__(self):
        self.kind = "int"
        self.data: array | list = array("q")

    def add(self, value) -> None:
        if self.kind == "list":
            self.data.append(value)
        elif value is None:
            self.data.append(_NONE_INT if self.kind == "int" else math.nan)
        elif isinstance(value, bool) or not isinstance(value, (int, float)) or value == _NONE_INT:
            self._to_list()
            self.data.append(value)
        elif self.kind == "int" and isinstance(value, int):
            self.data.append(value)
        else:
            if self.kind == "int":
                self.data = array("d", (math.nan if v == _NONE_INT else float(v) for v in self.data))
                self.kind = "float"
            self.data.append(float(value))

    def values(self) -> list:
        if self.kind == "list":
            return list(self.data)
        missing = (lambda v: v == _NONE_INT) if self.kind == "int" else math.isnan
        return [None if missing(v) else v for v in self.data]

    def _value(self, i: int):
        v = self.data[i]
        if self.kind == "int":
            return None if v == _NONE_INT else v
        return None if self.kind == "float" and math.isnan(v) else v

    def _to_list(self) -> None:
        self.data, self.kind = self.values(), "list"

    def encode(self) -> dict:
        """The column as JSON: ``same``, ``from``, ``int64``/``float64`` (base64) or ``list``."""
        n = len(self.data)
        if self.kind == "list":
            return {"list": self.data}
        values = np.frombuffer(self.data, dtype=np.int64 if self.kind == "int" else np.float64)
        if n and (np.all(values == values[0]) or (self.kind == "float" and np.all(np.isnan(values)))):
            return {"same": self._value(0), "n": n}
        if self.kind == "int" and n and values[0] != _NONE_INT and np.all(np.diff(values) == 1):
            return {"from": int(values[0]), "n": n}
        if self.kind == "int":
            # differences (wrapping, as numpy's int64 does, so cumsum restores every value)
            deltas = np.diff(values, prepend=np.int64(0))
            return {"int64dz": base64.b64encode(zlib.compress(deltas.tobytes(), 1)).decode("ascii")}
        return {"float64": base64.b64encode(self.data.tobytes()).decode("ascii")}


def encode_values(values) -> dict:
    """Encode a whole column at once: a ``range``, a machine array (``q`` or ``d``), or any
    sequence (through :class:`ColumnLog`)."""
    if isinstance(values, range) and values.step == 1:
        return {"from": values.start, "n": len(values)}
    log = ColumnLog()
    if isinstance(values, array) and values.typecode in ("q", "d"):
        log.data, log.kind = values, "int" if values.typecode == "q" else "float"
    else:
        for v in values:
            log.add(v)
    return log.encode()


def decode(column: dict) -> list:
    """The values of a column :meth:`ColumnLog.encode` wrote."""
    if "list" in column:
        return list(column["list"])
    if "same" in column:
        return [column["same"]] * column["n"]
    if "from" in column:
        return list(range(column["from"], column["from"] + column["n"]))
    if "int64" in column or "int64dz" in column:
        if "int64" in column:                   # events written before differences were
            values = array("q", base64.b64decode(column["int64"]))
        else:
            deltas = np.frombuffer(zlib.decompress(base64.b64decode(column["int64dz"])), dtype=np.int64)
            values = array("q", np.cumsum(deltas, dtype=np.int64).tobytes())
        return [None if v == _NONE_INT else v for v in values]
    values = array("d", base64.b64decode(column["float64"]))
    return [None if math.isnan(v) else v for v in values]
