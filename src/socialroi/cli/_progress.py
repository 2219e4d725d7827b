"""Progress bars on stderr, one facility for every command.

A bar is drawn only when stderr is a terminal and the command was not given ``--quiet``; otherwise
every call is a no-op, so piped or logged output never holds progress text. The library reports
progress through plain callbacks (no click there); commands turn those calls into `Bar` updates.

One line, redrawn in place::

    import posts: parsing  [##########----------]   6/12 columns   50%  0:03 elapsed, ETA 0:03

Without a known total the bar shows the count and the elapsed time only. The ETA is measured from
the start of the current count: a count that goes back or a new total (the next stage) restarts it.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

#: Characters of the bar itself.
WIDTH = 20
#: Redraws closer together than this (seconds) are skipped, except the last one.
MIN_INTERVAL = 0.1


def quiet_option(func: F) -> F:
    """--quiet/-q: no progress bar on stderr (none is drawn when stderr is not a terminal)."""
    return click.option(
        "--quiet",
        "-q",
        is_flag=True,
        help="Draw no progress bar on stderr (none is drawn when stderr is not a terminal).",
    )(func)


def _clock(seconds: float) -> str:
    s = max(0, int(seconds))
    h, rest = divmod(s, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


class Bar:
    """A progress line on `stream`; every method does nothing when `enabled` is false."""

    def __init__(
        self,
        label: str,
        total: int | None = None,
        *,
        unit: str = "",
        enabled: bool = True,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
        columns: int | None = None,
    ) -> None:
        self.label = label
        self.total = total
        self.unit = unit
        self.done = 0
        self.note = ""
        self.enabled = enabled
        self._stream = stream if stream is not None else sys.stderr
        self._clock = clock
        self._start = clock()
        self._count_start = self._start
        self._count_from = 0
        self._last_draw: float | None = None
        self._shown = 0
        self._columns = columns

    def update(
        self,
        done: int,
        *,
        total: int | None = None,
        label: str | None = None,
        unit: str | None = None,
        note: str | None = None,
    ) -> None:
        """Set the count (and optionally the total, label, unit or the note after the label),
        then redraw: at once for a new label, else at most every MIN_INTERVAL seconds."""
        if label is not None and label != self.label:
            self._last_draw = None  # a new stage is always shown
            self.label = label
        if unit is not None:
            self.unit = unit
        if note is not None:
            self.note = note
        if done < self.done or (total is not None and total != self.total):
            self._count_start = self._clock()  # a new count (a stage): its own ETA
            self._count_from = done
        if total is not None:
            self.total = total
        self.done = done
        self._draw()

    def advance(self, n: int = 1) -> None:
        self.update(self.done + n)

    def render(self) -> str:
        """The line as it is drawn now (without the carriage return)."""
        now = self._clock()
        elapsed = now - self._start
        unit = f" {self.unit}" if self.unit else ""
        label = f"{self.label}: {self.note}" if self.note else self.label
        if not self.total:
            return f"{label}  {self.done:,}{unit}  {_clock(elapsed)} elapsed"
        frac = min(1.0, max(0.0, self.done / self.total))
        filled = round(frac * WIDTH)
        bar = "#" * filled + "-" * (WIDTH - filled)
        count = f"{self.done:,}/{self.total:,}{unit}"
        counted = self.done - self._count_from
        rate = counted / (now - self._count_start) if counted > 0 and now > self._count_start else 0
        eta = _clock((self.total - self.done) / rate) if rate > 0 else "?"
        times = f"{_clock(elapsed)} elapsed, ETA {eta}"
        return f"{label}  [{bar}]  {count}  {frac:4.0%}  {times}"

    def _draw(self, force: bool = False) -> None:
        if not self.enabled:
            return
        now = self._clock()
        if not force and self._last_draw is not None and now - self._last_draw < MIN_INTERVAL:
            return
        self._last_draw = now
        columns = self._columns or shutil.get_terminal_size((80, 24)).columns
        line = self.render()[: max(10, columns - 1)]  # a wrapped line could not be redrawn
        pad = " " * max(0, self._shown - len(line))
        self._stream.write(f"\r{line}{pad}")
        self._stream.flush()
        self._shown = len(line)

    def close(self) -> None:
        """Draw the final state and end the line."""
        if not self.enabled or self._last_draw is None:
            return
        self._draw(force=True)
        self._stream.write("\n")
        self._stream.flush()
        self._last_draw = None


def stderr_is_terminal() -> bool:
    stream = sys.stderr
    return stream is not None and hasattr(stream, "isatty") and stream.isatty()


@contextmanager
def progress(
    label: str, total: int | None = None, *, unit: str = "", quiet: bool = False
) -> Iterator[Bar]:
    """A bar on stderr for the block, drawn only when stderr is a terminal and not `quiet`.

    The line is ended when the block exits, also when it raises.
    """
    bar = Bar(label, total, unit=unit, enabled=not quiet and stderr_is_terminal())
    try:
        yield bar
    finally:
        bar.close()
