"""What the ad-cost report formats share: spend rows with a date span into monthly ``costs`` rows.

An ad report row says "this much was spent from day A to day B" (one day in a daily report, the
whole report range in a campaign total). ``costs`` holds one amount per month, category and
platform, so each row is spread over the days it spans, pro rata, and summed per month: 300 spent
from 21 September to 10 October (20 days) is 150 in September and 150 in October. Amounts are
rounded to cents after summing. Money is never converted: a report in another currency than the
reporting currency is refused.
"""

from __future__ import annotations

import calendar
import re
from datetime import date

import polars as pl

from socialroi import schema
from socialroi.adapters._raw import ROW, Book, RawTable
from socialroi.errors import DataError

CATEGORY = "ad_spend"

#: Columns of the frame :func:`monthly` reads.
START, END, AMOUNT, PLATFORM = "_start", "_end", "_amount", "_platform"


def check_currency(
    found: str, wanted: str, *, file: str, row: int | None, column: str | None
) -> None:
    """DataError unless the report's currency `found` is the reporting currency `wanted`."""
    if found.strip().upper() != wanted.strip().upper():
        raise DataError(
            f"the report is in {found.strip().upper()} but the reporting currency is "
            f"{wanted.strip().upper()}; money is never converted (set currency in the config "
            "or download the report in the reporting currency)",
            file=file,
            row=row,
            column=column,
        )


def _month_name(d: date) -> str:
    return f"{_MONTH_NAMES[d.month - 1].capitalize()} {d.year}"


def monthly(rows: pl.DataFrame, *, file: str, column: str | None) -> tuple[pl.DataFrame, int]:
    """Monthly ``costs`` rows (category ad_spend, employee_id '') from spend rows.

    `rows` has START and END (Date, inclusive), AMOUNT (Float64; null counts as 0), PLATFORM
    (String) and ROW. Returns the costs frame, sorted by month and platform, and how many rows
    spanned more than one month (split pro rata by days). `column` names the date header for
    an error (a row that ends before it starts).
    """
    t = schema.table("costs")
    if rows.height == 0:
        return pl.DataFrame(schema=t.polars_schema), 0
    backwards = rows.filter(pl.col(END) < pl.col(START))
    if backwards.height:
        r = backwards.row(0, named=True)
        raise DataError(
            f"the row ends ({r[END]}) before it starts ({r[START]})",
            file=file,
            row=int(r[ROW]),
            column=column,
        )
    spans = rows.with_columns(
        ((pl.col(END) - pl.col(START)).dt.total_days() + 1).alias("_days"),
        pl.col(AMOUNT).fill_null(0.0),
        pl.int_range(pl.len()).alias("_i"),
    )
    days = spans.with_columns(pl.date_ranges(START, END, interval="1d").alias("_day")).explode(
        "_day", empty_as_null=True
    )
    per_month = days.group_by("_i", pl.col("_day").dt.truncate("1mo").alias("month")).agg(
        pl.len().alias("_n"),
        pl.first(AMOUNT),
        pl.first("_days"),
        pl.first(PLATFORM),
    )
    split = int(per_month.group_by("_i").len().filter(pl.col("len") > 1).height)
    share = (
        pl.when(pl.col("_n") == pl.col("_days"))
        .then(pl.col(AMOUNT))
        .otherwise(pl.col(AMOUNT) * pl.col("_n") / pl.col("_days"))
    )
    out = (
        per_month.with_columns(share.alias("amount"))
        .group_by("month", pl.col(PLATFORM).alias("platform"))
        .agg(pl.col("amount").sum().round(2))
        .select(
            pl.col("month").cast(pl.Date),
            pl.lit(CATEGORY).alias("category"),
            "platform",
            pl.lit("").alias("employee_id"),
            pl.col("amount").cast(pl.Float64),
        )
        .sort("month", "platform")
    )
    return out.cast(t.polars_schema), split  # type: ignore[arg-type]


def coverage_warnings(first: date, last: date) -> list[str]:
    """A warning per month the report range [first, last] covers only in part.

    Loading costs replaces a month's amount: a later report for the rest of such a month would
    replace this part instead of adding to it.
    """
    out = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        days = calendar.monthrange(y, m)[1]
        lo = max(first, date(y, m, 1))
        hi = min(last, date(y, m, days))
        covered = (hi - lo).days + 1
        if covered < days:
            out.append(
                f"the report covers only {lo.isoformat()} to {hi.isoformat()} of "
                f"{_month_name(lo)} ({covered} of {days} days); importing a report for the "
                "rest of that month replaces this amount instead of adding to it, so download "
                "whole months"
            )
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def split_note(split: int) -> list[str]:
    """The note saying how many rows spanned two or more months."""
    if not split:
        return []
    rows = "row spans" if split == 1 else "rows span"
    return [f"{split} {rows} more than one month: spend split between the months by days"]


_MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_MONTHS = (
    {n: i for i, n in enumerate(_MONTH_NAMES, 1)}
    | {n[:3]: i for i, n in enumerate(_MONTH_NAMES, 1)}
    | {"sept": 9}
)
_ISO_RE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_SLASH_RE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_MDY_WORDS_RE = re.compile(r"([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})")
_DMY_WORDS_RE = re.compile(r"(\d{1,2})\.?\s+([A-Za-z]+)\.?,?\s+(\d{4})")


def _make(y: str, m: int | None, d: str) -> date | None:
    if m is None:
        return None
    try:
        return date(int(y), m, int(d))
    except ValueError:
        return None


def loose_date(text: str, *, slashes: str = "mdy") -> date | None:
    """The first date in a report's title line (``Report Start: 9/1/2026, 12:00 AM``,
    ``September 1, 2026``, ``1 September 2026``, ``2026-09-01``); None when it holds none.

    `slashes`: how ``1/9/2026`` reads (``mdy`` or ``dmy``). English month names only.
    """
    if m := _ISO_RE.search(text):
        return _make(m.group(1), int(m.group(2)), m.group(3))
    if m := _SLASH_RE.search(text):
        a, b = (m.group(1), m.group(2)) if slashes == "mdy" else (m.group(2), m.group(1))
        return _make(m.group(3), int(a), b)
    if m := _MDY_WORDS_RE.search(text):
        got = _make(m.group(3), month_number(m.group(1)), m.group(2))
        if got is not None:
            return got
    if m := _DMY_WORDS_RE.search(text):
        return _make(m.group(3), month_number(m.group(2)), m.group(1))
    return None


def preamble_lines(book: Book, sheet: str | None, header_row: int) -> list[str]:
    """The lines above the header row, each as one text (cells joined by ', ')."""
    rows = book.peek(sheet, rows=max(header_row - 1, 0))
    return [", ".join(c for c in row if c) for row in rows[: max(header_row - 1, 0)]]


def month_number(name: str) -> int | None:
    """1-12 for an English month name or abbreviation (``September``, ``Sep``, ``Sept``)."""
    return _MONTHS.get(name.strip().rstrip(".").lower())


def month_end(first: date) -> date:
    """The last day of `first`'s month."""
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def check_currency_column(raw: RawTable, header: str | None, wanted: str) -> list[str]:
    """DataError at the first row whose currency cell (column `header`) is not `wanted`.

    Returns a warning when the report has no currency column (its money is taken to be in
    `wanted`).
    """
    if header is None:
        return [f"the report has no currency column; its spend is taken to be in {wanted.upper()}"]
    given = raw.frame.get_column(header).str.strip_chars()
    wrong = given.is_not_null() & (given.str.len_chars() > 0)
    wrong = wrong & (given.str.to_uppercase() != wanted.strip().upper())
    if wrong.any():
        i = int(wrong.arg_true()[0])
        check_currency(
            str(given[i]),
            wanted,
            file=raw.file,
            row=int(raw.frame.get_column(ROW)[i]),
            column=header,
        )
    return []
