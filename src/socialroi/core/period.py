"""Report periods (``last-month``, ``YYYY-MM``, ``YYYYQN``, ``FROM..TO``) as half-open UTC ranges.

`parse_period(text, as_of=...)` returns a `Period` (start inclusive, end exclusive, both at
midnight UTC). ``last-month`` is the calendar month before the one `as_of` falls in. In
``FROM..TO`` each side is a date (``2026-01-15``) or a month (``2026-01``) and both ends are
inclusive: ``2026-01..2026-03`` is the first quarter, ``2026-01-01..2026-01-31`` is January.
Text that is not a period raises `ConfigError`; a period that starts after `as_of` raises
`DataError` (there is no data for it yet). Pure: `as_of` is passed in.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

import polars as pl

from socialroi.core.months import add_months
from socialroi.errors import ConfigError, DataError

FORMS = "last-month, YYYY-MM, YYYYQN (e.g. 2026Q3) or FROM..TO (dates or months, both inclusive)"
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})[Qq]([1-4])$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


class Period(NamedTuple):
    """[start, end) in UTC."""

    start: datetime
    end: datetime

    def label(self) -> str:
        """``October 2026``, ``2026 Q3`` or ``2026-01-15 to 2026-02-14`` (end shown inclusive)."""
        s, last = self.start.date(), (self.end - timedelta(days=1)).date()
        if s.day == 1 and _next_month(s) == self.end.date():
            return s.strftime("%B %Y")
        if s.day == 1 and s.month % 3 == 1 and add_months(s, 3) == self.end.date():
            return f"{s.year} Q{(s.month - 1) // 3 + 1}"
        return f"{s:%Y-%m-%d} to {last:%Y-%m-%d}"


def _midnight(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def _next_month(d: date) -> date:
    return add_months(d, 1)


def _bad(text: str, why: str = "") -> ConfigError:
    extra = f" ({why})" if why else ""
    return ConfigError(f"'{text}' is not a period{extra}; use {FORMS}")


def _month(text: str, whole: str) -> date | None:
    m = _MONTH.match(text)
    if m is None:
        return None
    year, month = int(m[1]), int(m[2])
    if not 1 <= month <= 12:
        raise _bad(whole, f"month {month} does not exist")
    return date(year, month, 1)


def _side(text: str, whole: str, *, end: bool) -> date:
    """One side of FROM..TO as a day; for TO the day after it (the range's exclusive end)."""
    month = _month(text, whole)
    if month is not None:
        return _next_month(month) if end else month
    m = _DATE.match(text)
    if m is None:
        raise _bad(whole, f"'{text}' is neither YYYY-MM-DD nor YYYY-MM")
    try:
        day = date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError as exc:
        raise _bad(whole, str(exc)) from None
    return day + timedelta(days=1) if end else day


def check_syntax(text: str) -> str:
    """`text` stripped if it is a period in one of the accepted forms, else a ConfigError."""
    parse_period(text, as_of=datetime.max.replace(tzinfo=UTC) - timedelta(days=62))
    return text.strip()


def parse_period(text: str, *, as_of: datetime) -> Period:
    """The half-open UTC range `text` names (see the module docstring)."""
    try:
        period = _parse(text, as_of)
    except ValueError as exc:  # a year past 9999 and the like
        raise _bad(text, str(exc)) from None
    if period.start > as_of:
        raise DataError(
            f"period {period.label()} starts after the data's date {as_of:%Y-%m-%d}: "
            "there is nothing to report yet"
        )
    return period


def _parse(text: str, as_of: datetime) -> Period:
    t = text.strip()
    if t.lower() == "last-month":
        this = date(as_of.year, as_of.month, 1)
        start, end = add_months(this, -1), this
    elif (month := _month(t, text)) is not None:
        start, end = month, _next_month(month)
    elif (q := _QUARTER.match(t)) is not None:
        start = date(int(q[1]), 3 * (int(q[2]) - 1) + 1, 1)
        end = add_months(start, 3)
    elif ".." in t:
        left, _, right = t.partition("..")
        start, end = _side(left.strip(), text, end=False), _side(right.strip(), text, end=True)
        if end <= start:
            raise _bad(text, "it ends before it starts")
    else:
        raise _bad(text)
    return Period(_midnight(start), _midnight(end))


def in_period(col: str, period: Period) -> pl.Expr:
    """True where the time column `col` falls in `period`."""
    return (pl.col(col) >= period.start) & (pl.col(col) < period.end)


def month_share(col: str, period: Period) -> pl.Expr:
    """The share (0..1) of the calendar month starting at the date column `col` that lies in
    `period`: 1 for months inside it, a day-weighted fraction for months it cuts, else 0.

    Monthly costs are spread over their month this way, so a period of a few weeks carries the
    cost of those weeks."""
    month = pl.col(col).cast(pl.Datetime("us", "UTC"))
    following = month.dt.offset_by("1mo")
    lo = pl.max_horizontal(month, pl.lit(period.start))
    hi = pl.min_horizontal(following, pl.lit(period.end))
    overlap = (hi - lo).dt.total_seconds().clip(lower_bound=0)
    return overlap / (following - month).dt.total_seconds()
