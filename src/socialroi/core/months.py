"""Calendar months, defined once: a month is the date of its first day.

Every monthly grouping (ROI by month, the policy series, data-quality gaps, periods) truncates
with :func:`month_start`, so a touch at ``2024-03-31T23:30Z`` is in March everywhere (times are
UTC; the month of a tz-aware time is its UTC month).

:func:`month_start` works on a polars expression (Date or Datetime column → Date column) and
on one ``date``/``datetime`` (→ ``date``). :func:`add_months` steps month starts,
:func:`months_between` lists them, :func:`month_label` writes ``YYYY-MM``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import overload

import polars as pl


@overload
def month_start(value: pl.Expr) -> pl.Expr: ...
@overload
def month_start(value: date) -> date: ...  # a datetime is a date too


def month_start(value: pl.Expr | date) -> pl.Expr | date:
    """The first day of the month of `value`, as a Date (expression) or a ``date``.

    On an expression the result keeps the input's name; a null stays null.
    """
    if isinstance(value, pl.Expr):
        return value.dt.month_start().dt.date()
    return date(value.year, value.month, 1)


def add_months(d: date, k: int) -> date:
    """The first day of the month `k` months after `d`'s (before it for negative `k`)."""
    m = d.year * 12 + d.month - 1 + k
    return date(m // 12, m % 12 + 1, 1)


def months_between(first: date, stop: date) -> list[date]:
    """Month starts from `first`'s month up to, not including, `stop` (empty if none); with a
    datetime `stop`, the months that start before that moment."""
    out: list[date] = []
    m = month_start(first)
    while _starts_before(m, stop):
        out.append(m)
        m = add_months(m, 1)
    return out


def _starts_before(m: date, stop: date) -> bool:
    if isinstance(stop, datetime):  # the month's first midnight, in the stop's time zone
        return datetime(m.year, m.month, m.day, tzinfo=stop.tzinfo) < stop
    return m < stop


def month_label(d: date) -> str:
    """``YYYY-MM`` of `d`'s month."""
    return f"{d.year:04d}-{d.month:02d}"


__all__ = ["add_months", "month_label", "month_start", "months_between"]
