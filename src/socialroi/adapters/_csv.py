"""Locating why a broken CSV cannot be read: the field whose quoting is wrong, and how.

Used by the raw reader (:mod:`socialroi.adapters._raw`) on its error path only, so plain Python.
"""

from __future__ import annotations


def quote_problem(text: str, start: int, delimiter: str) -> tuple[int, str] | None:
    """In the record starting at `start`: the field index of a bad quote and what is wrong."""
    field, i, at_start = 0, start, True
    while i < len(text):
        ch = text[i]
        if ch == '"' and at_start:
            opened = field
            while True:
                j = text.find('"', i + 1)
                if j < 0:
                    return opened, "a quote opened in this value is never closed"
                if text.startswith('""', j):
                    i = j + 1
                    continue
                i = j + 1
                break
            if i < len(text) and text[i] not in (delimiter, "\n", "\r"):
                return opened, "a closing quote must be followed by the delimiter or a line end"
            at_start = False
            continue
        if ch == "\n":
            return None
        at_start = ch == delimiter
        field += ch == delimiter
        i += 1
    return None
