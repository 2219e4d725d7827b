"""LinkedIn Campaign Manager performance report (``account_<id>_campaign_performance_report.csv``).

Report lines above the header (report name, ``Report Start``, ``Report End``, ``Date
Generated``, account), then ``Start Date (in UTC), Account Name, Campaign Group Name, Campaign
Name, Campaign ID, …, Currency, Total Spent, Impressions, Clicks, …``; dates ``M/D/YYYY``; UTF-8
or UTF-16 tab-separated. One row per campaign and time unit (day, month, or the whole range).

Fills ``costs``: linkedin ``ad_spend`` per month, campaigns summed. A row's days are its ``Start
Date`` through its ``End Date (in UTC)`` when the report has that column; else its start date
alone, except in a report without a time breakdown (every row starting on the report's first day
while the report runs longer), whose rows span the report range. A row over two months is split by
days. The ``Currency`` column must be the reporting currency.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from socialroi.adapters._raw import ROW, Book
from socialroi.adapters.formats import Loaded, ReadOptions
from socialroi.adapters.formats import _ad_costs as ad
from socialroi.adapters.formats._common import has_headers, header_rule, pick, text, values
from socialroi.errors import DataError

START = "Start Date (in UTC)"
END = "End Date (in UTC)"
SPENT = ("Total Spent", "Total spent", "Amount Spent")
CURRENCY = "Currency"
ANCHORS = (START, "Campaign Name", "Campaign Group Name", "Campaign ID", "Account Name")
PLATFORM = "linkedin"


def _report_range(lines: list[str]) -> tuple[date | None, date | None]:
    first = last = None
    for line in lines:
        low = line.lower()
        if "report start" in low or "start date" in low:
            first = first or ad.loose_date(line.split(":", 1)[-1])
        elif "report end" in low or "end date" in low:
            last = last or ad.loose_date(line.split(":", 1)[-1])
    return first, last


class LinkedInAds:
    """Campaign Manager performance report → monthly linkedin ad spend."""

    name = "linkedin-ads"
    title = "LinkedIn Campaign Manager campaign performance report (monthly ad spend)"
    fills: tuple[str, ...] = ("costs",)

    def score(self, book: Book) -> int:
        rows = book.peek()
        if not has_headers(rows, SPENT, at_least=1):
            return 0
        return 4 if has_headers(rows, (*SPENT, *ANCHORS), at_least=3) else 0

    def read(self, book: Book, options: ReadOptions) -> Loaded:
        raw = book.table(options.sheet, header=header_rule((*SPENT, *ANCHORS), at_least=3))
        notes = list(raw.notes)
        warnings: list[str] = []
        spent = pick(raw, *SPENT)
        start = pick(raw, START, "Start Date")
        end = pick(raw, END, "End Date")
        currency = pick(raw, CURRENCY)
        if spent is None or start is None:
            raise DataError(
                f"the report has no '{SPENT[0] if spent is None else START}' column",
                file=raw.file,
                row=raw.header_row,
            )
        order = options.dates or "mdy"
        first = values(raw, start, "date", dates=order, required=True).cast(pl.Date)
        last = (
            values(raw, end, "date", dates=order, required=True).cast(pl.Date)
            if end is not None
            else first
        )
        amount = values(raw, spent, "number").fill_null(0.0)
        warnings += ad.check_currency_column(raw, currency, options.currency)

        report_from, report_to = _report_range(ad.preamble_lines(book, raw.sheet, raw.header_row))
        if (
            end is None
            and report_from is not None
            and report_to is not None
            and report_to > report_from
            and len(first)
            and first.n_unique() == 1
            and first[0] == report_from
        ):
            last = pl.Series([report_to] * len(first), dtype=pl.Date)
            notes.append(
                f"no time breakdown: each campaign's spend spans the report range "
                f"{report_from.isoformat()} to {report_to.isoformat()}"
            )
        rows = pl.DataFrame(
            {
                ad.START: first,
                ad.END: last,
                ad.AMOUNT: amount,
                ad.PLATFORM: pl.Series([PLATFORM] * raw.frame.height, dtype=pl.String),
                ROW: raw.frame.get_column(ROW),
            }
        )
        costs, split = ad.monthly(rows, file=raw.file, column=start)
        notes += ad.split_note(split)
        if report_from is not None and report_to is not None:
            warnings += ad.coverage_warnings(report_from, report_to)
        campaigns = pick(raw, "Campaign Name")
        if campaigns is not None:
            n = text(raw, campaigns).n_unique()
            notes.append(f"{n} campaign{'s' if n != 1 else ''} summed per month")
        mapping = {spent: "costs.amount", start: "costs.month"}
        if end is not None:
            mapping[end] = "costs.month"
        return Loaded(
            format=self.name,
            tables={"costs": costs},
            mapping=mapping,
            ignored=[h for h in raw.header if h not in mapping and h != currency],
            notes=["LinkedIn Campaign Manager report", *notes],
            warnings=warnings,
        )


FORMATS = (LinkedInAds(),)
