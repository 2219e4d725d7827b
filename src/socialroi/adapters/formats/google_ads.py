"""Google Ads campaign report (Reports › Download › CSV).

Two lines above the header: the report name and the date range in quotes (``"September 1, 2026
- September 30, 2026"``); then ``Campaign status, Campaign, Budget, …, Currency code, Impr.,
Clicks, CTR, Avg. CPC, Cost, Conversions, Cost / conv.``, with a ``Day`` or ``Month`` column
when the report is segmented by time; ``Total: …`` rows at the bottom (skipped) and ``--`` for
empty cells.

Fills ``costs``: category ``ad_spend``, platform ``google_ads`` (search and display ads: not
social, and reported apart from the social platforms), per month. Without a ``Day`` or ``Month``
column the date range decides the month; a range over several months is refused, since how the
spend divides between them is unknown.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import polars as pl

from socialroi.adapters._raw import ROW, Book, RawTable
from socialroi.adapters.formats import Loaded, ReadOptions
from socialroi.adapters.formats import _ad_costs as ad
from socialroi.adapters.formats._common import has_headers, header_rule, pick, text, values
from socialroi.errors import DataError

PLATFORM = "google_ads"
COST = "Cost"
DAY = ("Day", "Date")
MONTH = ("Month",)
CURRENCY = "Currency code"
ANCHORS = (
    "Campaign",
    "Campaign status",
    "Campaign type",
    "Impr.",
    "Avg. CPC",
    CURRENCY,
    "Cost / conv.",
    "Budget",
    "Conversions",
)
_RANGE_SEP = re.compile(r"\s+[-–—]\s+")
_MONTH_YEAR = re.compile(r"^([A-Za-z]+)\.?\s+(\d{4})$")
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def _date_range(lines: list[str]) -> tuple[date, date] | None:
    """The report's date range from its title lines, when one says ``<date> - <date>``."""
    for line in lines:
        parts = _RANGE_SEP.split(line.strip().strip('"'))
        if len(parts) == 2:
            a, b = ad.loose_date(parts[0]), ad.loose_date(parts[1])
            if a is not None and b is not None:
                return a, b
    return None


def _month_of(value: str) -> date | None:
    """``September 2026``, ``Sep 2026``, ``2026-09`` or a date, as the month's first day."""
    v = value.strip()
    if m := _MONTH_YEAR.match(v):
        month = ad.month_number(m.group(1))
        return date(int(m.group(2)), month, 1) if month else None
    if m := _YEAR_MONTH.match(v):
        return date(int(m.group(1)), int(m.group(2)), 1) if 1 <= int(m.group(2)) <= 12 else None
    got = ad.loose_date(v)
    return got.replace(day=1) if got is not None else None


def _without_totals(raw: RawTable) -> tuple[RawTable, int]:
    """`raw` without its ``Total: …`` rows and with ``--`` read as empty."""
    first = raw.header[: min(2, len(raw.header))]
    total = pl.any_horizontal(
        pl.col(h).str.strip_chars().str.to_lowercase().str.starts_with("total").fill_null(False)
        for h in first
    )
    dashes = [
        pl.when(pl.col(h).str.strip_chars() == "--").then(None).otherwise(pl.col(h)).alias(h)
        for h in raw.header
    ]
    n = int(raw.frame.select(total.sum()).item())
    return replace(raw, frame=raw.frame.filter(~total).with_columns(dashes)), n


def _months(raw: RawTable, month: str) -> pl.Series:
    """The ``Month`` column as month starts; DataError at a value that is not a month."""
    months = []
    for i, v in enumerate(text(raw, month).to_list()):
        got = _month_of(v) if v is not None else None
        if got is None:
            raise DataError(
                f"'{v or ''}' is not a month (September 2026, 2026-09)",
                file=raw.file,
                row=int(raw.frame.get_column(ROW)[i]),
                column=month,
            )
        months.append(got)
    return pl.Series(months, dtype=pl.Date)


def _spans(
    raw: RawTable, span: tuple[date, date] | None, options: ReadOptions, cost: str
) -> tuple[pl.Series, pl.Series, str | None]:
    """First and last day of each row's spend, and the header they came from (None: the range)."""
    day, month = pick(raw, *DAY), pick(raw, *MONTH)
    if day is not None:
        days = values(raw, day, "date", dates=options.dates, required=True).cast(pl.Date)
        return days, days, day
    if month is not None:
        first = _months(raw, month)
        last = pl.Series([ad.month_end(m) for m in first.to_list()], dtype=pl.Date)
        if span is not None:  # the first and last months may be partial
            first = first.clip(lower_bound=span[0])
            last = last.clip(upper_bound=span[1])
        return first, last, month
    if span is None:
        raise DataError(
            "the report has no 'Day' or 'Month' column and no date range line above "
            "the header; download it segmented by day or month (Segments › Time)",
            file=raw.file,
            row=raw.header_row,
        )
    if (span[0].year, span[0].month) != (span[1].year, span[1].month):
        raise DataError(
            f"the report covers {span[0].isoformat()} to {span[1].isoformat()} with no "
            "'Day' or 'Month' column, so how its cost divides between the months is "
            "unknown; download it segmented by day or month (Segments › Time › Day)",
            file=raw.file,
            row=raw.header_row,
            column=cost,
        )
    n = raw.frame.height
    return (
        pl.Series([span[0]] * n, dtype=pl.Date),
        pl.Series([span[1]] * n, dtype=pl.Date),
        None,
    )


class GoogleAds:
    """Google Ads campaign report → monthly google_ads spend (not social)."""

    name = "google-ads"
    title = "Google Ads campaign report (monthly ad spend, platform google_ads: not social)"
    fills: tuple[str, ...] = ("costs",)

    def score(self, book: Book) -> int:
        rows = book.peek()
        if not has_headers(rows, (COST,), at_least=1):
            return 0
        return 4 if has_headers(rows, (COST, *ANCHORS), at_least=4) else 0

    def read(self, book: Book, options: ReadOptions) -> Loaded:
        raw = book.table(options.sheet, header=header_rule((COST, *ANCHORS), at_least=4))
        raw, totals = _without_totals(raw)
        notes = list(raw.notes)
        if totals:
            notes.append(f"{totals} 'Total: …' row{'s' if totals > 1 else ''} skipped")
        warnings: list[str] = []
        cost = pick(raw, COST)
        if cost is None:  # pragma: no cover - the header rule needs Cost among 4 headers
            raise DataError(f"the report has no '{COST}' column", file=raw.file)
        currency = pick(raw, CURRENCY)
        warnings += ad.check_currency_column(raw, currency, options.currency)
        span = _date_range(ad.preamble_lines(book, raw.sheet, raw.header_row))
        amount = values(raw, cost, "number").fill_null(0.0)
        n = raw.frame.height
        first, last, date_header = _spans(raw, span, options, cost)
        if date_header is None and span is not None:
            notes.append(
                f"no Day or Month column: the cost is for {span[0].isoformat()} to "
                f"{span[1].isoformat()}, the report's date range"
            )
        rows = pl.DataFrame(
            {
                ad.START: first,
                ad.END: last,
                ad.AMOUNT: amount,
                ad.PLATFORM: pl.Series([PLATFORM] * n, dtype=pl.String),
                ROW: raw.frame.get_column(ROW),
            }
        )
        costs, split = ad.monthly(rows, file=raw.file, column=date_header)
        notes += ad.split_note(split)
        if span is not None:
            warnings += ad.coverage_warnings(*span)
        mapping = {cost: "costs.amount"}
        if date_header is not None:
            mapping[date_header] = "costs.month"
        return Loaded(
            format=self.name,
            tables={"costs": costs},
            mapping=mapping,
            ignored=[h for h in raw.header if h not in mapping and h != currency],
            notes=["Google Ads report; platform google_ads (not social)", *notes],
            warnings=warnings,
        )


FORMATS = (GoogleAds(),)
