"""The value parser: every text form a file may hold, read per column (adapters._values)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialroi.adapters._values import DateOrder, Kind, Parsed, currency_in, kind_of, parse


def _parse(kind: Kind, values: Sequence[str | None], dates: DateOrder | None = None) -> Parsed:
    return parse(kind, pl.Series("c", values, dtype=pl.String), dates=dates)


def _read(kind: Kind, values: Sequence[str | None], dates: DateOrder | None = None) -> list[object]:
    got = _parse(kind, values, dates)
    assert not got.bad.any(), [
        got.message(str(v)) for v, b in zip(values, got.bad, strict=True) if b
    ]
    return got.values.to_list()


def _refused(kind: Kind, values: Sequence[str | None], dates: DateOrder | None = None) -> list[str]:
    """The message of each value refused (in order); the others must have been read."""
    got = _parse(kind, values, dates)
    return [got.message(str(values[i])) for i in got.bad.arg_true().to_list()]


def _utc(y: int, m: int, d: int, h: int = 0, mi: int = 0, s: int = 0, us: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, s, us, tzinfo=UTC)


# -- kind_of --------------------------------------------------------------------------------------
def test_kind_of_each_canonical_type() -> None:
    assert kind_of(pl.Datetime("us", "UTC")) == "datetime"
    assert kind_of(pl.Date()) == "date"
    assert kind_of(pl.Date(), month=True) == "month"
    assert kind_of(pl.Float64()) == "number"
    assert kind_of(pl.Int64()) == "int"
    assert kind_of(pl.Boolean()) == "bool"
    assert kind_of(pl.String()) == "text"


# -- date-times -----------------------------------------------------------------------------------
DATETIMES = [
    ("2024-03-05T14:22:00Z", _utc(2024, 3, 5, 14, 22)),
    ("2024-03-05T14:22:00+01:00", _utc(2024, 3, 5, 13, 22)),
    ("2024-03-05T14:22:00.000+0000", _utc(2024, 3, 5, 14, 22)),
    ("2024-03-05T14:22:00-05", _utc(2024, 3, 5, 19, 22)),
    ("2024-03-05 14:22", _utc(2024, 3, 5, 14, 22)),
    ("2024-03-05 14:22:05.250", _utc(2024, 3, 5, 14, 22, 5, 250000)),
    ("2024-03-05T14:22", _utc(2024, 3, 5, 14, 22)),
    ("2024-03-05", _utc(2024, 3, 5)),
    (" 2024-03-05 14:22:00 ", _utc(2024, 3, 5, 14, 22)),
    ("2024/03/05 14:22", _utc(2024, 3, 5, 14, 22)),
    ("2026/09/03", _utc(2026, 9, 3)),
    ("5 Mar 2024", _utc(2024, 3, 5)),
    ("5 March 2024", _utc(2024, 3, 5)),
    ("March 5, 2024", _utc(2024, 3, 5)),
    ("20260903", _utc(2026, 9, 3)),  # GA4
    ("Thu, Sep 3, 2026", _utc(2026, 9, 3)),  # X content export
    ("Fri, Jun 5, 2026", _utc(2026, 6, 5)),
    ("2015-09-30 18:42 +0000", _utc(2015, 9, 30, 18, 42)),  # X legacy
    ("2015-09-30 18:42:07 -0230", _utc(2015, 9, 30, 21, 12, 7)),
    ("2026-09-01T00:00:00", _utc(2026, 9, 1)),  # Meta
    ("Sep 3, 2026", _utc(2026, 9, 3)),
    ("September 3, 2026", _utc(2026, 9, 3)),
    ("3 Sept 2026", _utc(2026, 9, 3)),
    ("3rd Sep. 2026", _utc(2026, 9, 3)),
    ("03-Sep-2026", _utc(2026, 9, 3)),
    ("sept 3 2026 9:05 pm", _utc(2026, 9, 3, 21, 5)),
    ("Sep 3, 2026 12:30 AM", _utc(2026, 9, 3, 0, 30)),
    ("3. März 2026", _utc(2026, 3, 3)),
    ("2024-03-05 14:22 UTC", _utc(2024, 3, 5, 14, 22)),
]


def test_datetime_forms() -> None:
    texts = [t for t, _ in DATETIMES]
    assert _read("datetime", texts) == [want for _, want in DATETIMES]


@pytest.mark.parametrize(
    "first",
    ["2024-03-05T14:22:00Z", "2024-03-05 14:22:00", "2024-03-05T14:22:00", "5 Mar 2024", None],
)
def test_every_form_reads_alike_whatever_the_first_value(first: str | None) -> None:
    # the first value's form is read the fast way for the whole column; the rest as always
    extra = [
        ("2024-03-05T14:22:05.5Z", _utc(2024, 3, 5, 14, 22, 5, 500000)),
        ("2024-3-5T14:22:00Z", _utc(2024, 3, 5, 14, 22)),
    ]
    texts = [first, *(t for t, _ in DATETIMES), *(t for t, _ in extra)]
    head = {None: None, "5 Mar 2024": _utc(2024, 3, 5)}.get(first, _utc(2024, 3, 5, 14, 22))
    assert _read("datetime", texts) == [
        head,
        *(w for _, w in DATETIMES),
        *(w for _, w in extra),
    ]
    refused = ["2024-02-30T14:22:00Z", "0024-03-05T14:22:00Z", "2024-03-05T24:00:00Z"]
    assert _refused("datetime", [first, *refused, "2024-03-05T14:22:00Z"]) == [
        f"not a date-time: {v!r}; use ISO 8601, e.g. 2024-03-05T14:22:00Z, 2024-03-05 14:22"
        for v in refused
    ]


def test_datetime_values_are_utc_microseconds_and_empty_is_null() -> None:
    got = _parse("datetime", ["2024-03-05", "", None, "  "])
    assert got.values.dtype == pl.Datetime("us", "UTC")
    assert got.values.to_list() == [_utc(2024, 3, 5), None, None, None]
    assert got.bad.to_list() == [False, False, False, False]
    assert got.values.name == "c"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("garbage", "not a date-time: 'garbage'; use ISO 8601"),
        ("2024-03-05 25:00", "not a date-time: '2024-03-05 25:00'"),
        ("2024-02-30", "not a date-time: '2024-02-30'"),
        ("Smarch 3, 2026", "not a date-time: 'Smarch 3, 2026'"),
        ("2024-03-05 14:22 tomorrow", "not a date-time"),
        ("13:05 PM", "not a date-time"),
    ],
)
def test_unreadable_datetimes(text: str, message: str) -> None:
    assert [m[: len(message)] for m in _refused("datetime", [text])] == [message]


# -- day-month order ------------------------------------------------------------------------------
def test_en_us_column_is_month_first_from_its_unambiguous_value() -> None:
    got = _read("datetime", ["09/03/2026 14:05", "9/28/2026", "12/12/2026 2:05 PM"])
    assert got == [_utc(2026, 9, 3, 14, 5), _utc(2026, 9, 28), _utc(2026, 12, 12, 14, 5)]


def test_day_first_column_in_every_separator() -> None:
    got = _read("date", ["28/09/2026", "28.09.2026", "28-09-2026", "03/09/2026", "3.9.2026"])
    assert got == [date(2026, 9, 28)] * 3 + [date(2026, 9, 3)] * 2


def test_day_first_salesforce_date_time() -> None:
    assert _read("datetime", ["28.09.2026 14:05", "01.10.2026 09:00:30"]) == [
        _utc(2026, 9, 28, 14, 5),
        _utc(2026, 10, 1, 9, 0, 30),
    ]


def test_given_order_wins_over_the_column() -> None:
    assert _read("date", ["03/09/2026", "04/09/2026"], dates="dmy") == [
        date(2026, 9, 3),
        date(2026, 9, 4),
    ]
    assert _read("date", ["03/09/2026", "04/09/2026"], dates="mdy") == [
        date(2026, 3, 9),
        date(2026, 4, 9),
    ]
    assert _read("date", ["2026/09/03", "2026-09-04"], dates="ymd") == [
        date(2026, 9, 3),
        date(2026, 9, 4),
    ]


def test_a_value_against_the_given_order_is_refused() -> None:
    assert _refused("date", ["09/03/2026", "15/09/2026"], dates="mdy") == [
        "not a date: '15/09/2026' read as month/day/year (--dates mdy)"
    ]
    assert _refused("date", ["03/09/2026"], dates="ymd") == [
        "not a date: '03/09/2026'; --dates ymd expects the year first, e.g. 2026/09/03"
    ]


def test_a_column_of_only_ambiguous_dates_refuses_those_values() -> None:
    got = _parse("date", ["2026-01-05", "03/05/2024", "07/07/2024", "04/05/2024"])
    # ISO reads; 07/07 reads either way; 03/05 and 04/05 are refused
    assert got.values.to_list() == [date(2026, 1, 5), None, date(2024, 7, 7), None]
    assert got.bad.to_list() == [False, True, False, True]
    assert got.message("03/05/2024") == (
        "ambiguous date '03/05/2024': day and month order is unknown; "
        "pass --dates dmy or --dates mdy, or write YYYY-MM-DD"
    )


def test_a_column_mixing_day_first_and_month_first_is_refused() -> None:
    values = ["2026-09-01", "15/09/2026", "03/04/2026", "09/15/2026"]
    got = _parse("date", values)
    assert got.bad.to_list() == [False, True, True, True]
    assert got.values.to_list() == [date(2026, 9, 1), None, None, None]
    assert got.message("03/04/2026") == (
        "the column mixes day-first (15/09/2026) and month-first (09/15/2026) dates"
    )


def test_order_is_decided_per_column() -> None:
    us = _read("date", ["03/04/2026", "04/13/2026"])
    eu = _read("date", ["03/04/2026", "13/04/2026"])
    assert us == [date(2026, 3, 4), date(2026, 4, 13)]
    assert eu == [date(2026, 4, 3), date(2026, 4, 13)]


@pytest.mark.parametrize("text", ["05-03-24", "5/3/24", "28.09.26"])
def test_two_digit_years_are_refused(text: str) -> None:
    assert _refused("date", [text]) == [
        f"ambiguous date '{text}': a two-digit year; write the year in full (e.g. 2024) "
        "or write YYYY-MM-DD"
    ]


# -- dates and months -----------------------------------------------------------------------------
def test_date_forms_and_excel_midnight() -> None:
    texts = ["2024-03-05", "2024-03-05 00:00:00", "2026-09-01T00:00:00", "20260903"]
    texts += ["Sep 3, 2026", "9/28/2026", "2024/03/05"]
    assert _read("date", texts) == [
        date(2024, 3, 5),
        date(2024, 3, 5),
        date(2026, 9, 1),
        date(2026, 9, 3),
        date(2026, 9, 3),
        date(2026, 9, 28),
        date(2024, 3, 5),
    ]


def test_a_time_in_a_day_first_date_column_is_named_as_such() -> None:
    assert _refused("date", ["28/09/2026", "03/04/2026 10:00"]) == [
        "not a date: '03/04/2026 10:00' has a time of day; write the date alone (2024-03-05)"
    ]
    assert _refused("date", ["28/09/2026", "31/02/2026"]) == [
        "not a date: '31/02/2026' read as day/month/year (like the column's other dates)"
    ]


def test_a_date_with_a_time_is_not_a_date() -> None:
    assert _refused("date", ["2024-03-05 09:30:00", "9/28/2026 10:00"]) == [
        "not a date: '2024-03-05 09:30:00' has a time of day; write the date alone (2024-03-05)",
        "not a date: '9/28/2026 10:00' has a time of day; write the date alone (2024-03-05)",
    ]


def test_month_forms() -> None:
    texts = ["2024-03", "Sep 2026", "September 2026", "sept. 2026", "2024-03-01", "2024-03-05"]
    texts += ["09/2026"]
    assert _read("month", texts) == [
        date(2024, 3, 1),
        date(2026, 9, 1),
        date(2026, 9, 1),
        date(2026, 9, 1),
        date(2024, 3, 1),
        date(2024, 3, 5),  # a full date is returned as given; the caller checks the day
        date(2026, 9, 1),
    ]
    assert _refused("month", ["2024-13", "Foo 2026"]) == [
        "not a month: '2024-13'; use ISO 8601, e.g. 2024-03",
        "not a month: 'Foo 2026'; use ISO 8601, e.g. 2024-03",
    ]


def test_a_plain_date_column_does_not_take_a_month() -> None:
    assert _refused("date", ["2024-03"]) == ["not a date: '2024-03'; use ISO 8601, e.g. 2024-03-05"]


# -- numbers --------------------------------------------------------------------------------------
NUMBERS = [
    ("1234.5", 1234.5),
    ("1,234.50", 1234.5),
    ("2,140", 2140.0),
    ("1,000,000", 1_000_000.0),
    ("424.0", 424.0),
    ("-12", -12.0),
    ("+7", 7.0),
    ("0.5", 0.5),
    ("$1,200", 1200.0),
    ("-$5", -5.0),
    ("$-5", -5.0),
    ("US$5", 5.0),
    ("€1,200.50", 1200.5),
    ("99 £", 99.0),
    ("1200 EUR", 1200.0),
    ("USD 1,200", 1200.0),
    ("(1,200)", -1200.0),
    ("1 234.5", 1234.5),
    ("1'234.50", 1234.5),
]


def test_number_forms() -> None:
    got = _parse("number", [t for t, _ in NUMBERS])
    assert got.values.dtype == pl.Float64
    assert not got.bad.any()
    assert got.values.to_list() == [want for _, want in NUMBERS]


def test_quoted_cell_text_is_the_number_inside() -> None:
    # a CSV cell "2,140" arrives as the text 2,140
    assert _read("number", ["2,140", "12"]) == [2140.0, 12.0]


@pytest.mark.parametrize(
    ("values", "want"),
    [
        (["1.200 €"], [1200.0]),  # the sign after .ddd groups decides
        (["1.234,56"], [1234.56]),
        (["1 234,56"], [1234.56]),
        (["1\u00a0234,56"], [1234.56]),
        (["1\u202f234,56"], [1234.56]),
        (["3,50", "1.200", "12"], [3.5, 1200.0, 12.0]),  # ,dd decides the whole column
        (["1,5", "2,25"], [1.5, 2.25]),  # another value decides the lone 1,5
        (["1.234,5", "1,5"], [1234.5, 1.5]),
        (["1.200 EUR", "€ 2.500,00"], [1200.0, 2500.0]),
        (["(1.200,00)"], [-1200.0]),
    ],
)
def test_decimal_comma_columns(values: Sequence[str | None], want: list[float]) -> None:
    assert _read("number", values) == want


def test_the_same_text_reads_by_its_column() -> None:
    assert _read("number", ["1.200", "7"]) == [1.2, 7.0]
    assert _read("number", ["1.200", "7,50"]) == [1200.0, 7.5]


def test_a_lone_decimal_comma_is_ambiguous() -> None:
    assert _refused("number", ["1,5", "3"]) == [
        "'1,5': decimal comma or thousands? write 1.5 or 1500"
    ]
    assert _refused("number", ["12,5"]) == [
        "'12,5': decimal comma or thousands? write 12.5 or 12500"
    ]


def test_a_decimal_point_in_a_decimal_comma_column_is_refused() -> None:
    assert _refused("number", ["3,50", "1.5", "1,234.50"]) == [
        "not a number: '1.5'; this column writes decimal commas ('3,50'), "
        "so '.' can only group thousands (1.234,50)",
        "not a number: '1,234.50'; this column writes decimal commas ('3,50'), "
        "so '.' can only group thousands (1.234,50)",
    ]


def test_dashes_alone_are_empty() -> None:
    got = _parse("number", ["-", "--", "", None, "5"])
    assert got.values.to_list() == [None, None, None, None, 5.0]
    assert got.bad.to_list() == [False] * 5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("12%", "'12%' is a percentage, not a number; write the count or amount itself"),
        ("N/A", "not a number: 'N/A'; write e.g. 1234.50 or 1,234.50"),
        ("inf", "not a number: 'inf'"),
        ("nan", "not a number: 'nan'"),
        ("1e400", "'1e400' is beyond the largest value an import accepts (1,000,000,000,000)"),
        ("ten", "not a number: 'ten'"),
        ("1,2345", "not a number: '1,2345'"),
        ("ABC 12", "not a number: 'ABC 12'"),  # not a currency code
        ("$5 USD", "not a number: '$5 USD'"),  # one currency only
        ("(-5)", "not a number: '(-5)'"),
        ("1.2.3", "not a number: '1.2.3'"),
    ],
)
def test_unreadable_numbers(text: str, message: str) -> None:
    assert [m[: len(message)] for m in _refused("number", [text])] == [message]


def test_ints_are_whole_numbers() -> None:
    got = _parse("int", ["424.0", "1,200", "3", "-"])
    assert got.values.dtype == pl.Int64
    assert got.values.to_list() == [424, 1200, 3, None]
    assert _read("int", ["1.200 €", "7"]) == [1200, 7]
    assert _refused("int", ["1.200 €", "1,5"]) == ["not a whole number: '1,5'"]
    assert _refused("int", ["12.5", "5%"]) == [
        "not a whole number: '12.5'",
        "'5%' is a percentage, not a whole number; write the count or amount itself",
    ]


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False))
def test_grouped_two_decimals_read_back(x: float) -> None:
    text = f"{x:,.2f}"
    assert _read("number", [text]) == [pytest.approx(round(x, 2), abs=1e-9)]
    # and the same text in a column that another value decides is ordinary
    assert _read("number", [text, "1,234.56"])[0] == pytest.approx(round(x, 2), abs=1e-9)


# -- booleans and text ----------------------------------------------------------------------------
def test_booleans() -> None:
    words = ["true", "FALSE", "Yes", "no", "1", "0", "y", "N", "t", "f", "", None]
    got = _read("bool", words)
    assert got == [True, False, True, False, True, False, True, False, True, False, None, None]
    assert _refused("bool", ["maybe"]) == ["not true/false: 'maybe'; use true/false, yes/no or 1/0"]


def test_text_is_returned_as_given() -> None:
    got = _parse("text", ["a ", None, "1,5"])
    assert got.values.to_list() == ["a ", None, "1,5"]
    assert not got.bad.any()


# -- currency_in ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("Amount spent (EUR)", "EUR"),
        ("Cost (USD)", "USD"),
        ("Total spent USD", "USD"),
        ("Cost (€)", "EUR"),
        ("Cost ($)", None),
        ("Cost", None),
        ("CTR (all)", None),
        ("CPC (ABC)", None),
        ("Results (ALL)", None),
        ("Cost (¥)", None),
        ("Spend (£)", "GBP"),
    ],
)
def test_currency_in_header(header: str, code: str | None) -> None:
    assert currency_in(header) == code
