"""Text cells as typed values: the one parser every import and every named format uses.

Values are read per column, so a column's own unambiguous values decide how its ambiguous ones
read: a column holding ``15/09/2026`` is day-first, so its ``03/09/2026`` is 3 September.
Surrounding spaces are dropped; an empty cell (or null) is empty, never an error.

date-time / date
    ISO 8601 (``2024-03-05``, ``2024-03-05 14:22``, ``2024-03-05T14:22:05.123Z``, offsets
    ``+01:00 +0100 -05``), ``2015-09-30 18:42 +0000``, ``20260903`` (GA4), ``2024/03/05``,
    ``5 Mar 2024``, ``03-Sep-2026``, ``Mar 5, 2024``, ``Thu, Sep 3, 2026``, ``September 3, 2026``
    (English month names, full or short, ``Sept`` too, and the German ones), and
    slashed/dotted/dashed day-month forms (``09/03/2026``, ``9/3/2026 2:05 PM``, ``03.09.2026``)
    whose order is `dates` when given, else inferred from the column (a first part above 12 is
    day-first, a second part above 12 month-first; a column holding both is refused), else
    refused as ambiguous (a value whose day and month are equal reads either way). Two-digit
    years are refused. A time may follow a date in any of these forms (``14:05``, ``14:05:09``,
    ``2:05 PM``), optionally with ``Z``/``UTC`` or an offset; without an offset a time is UTC.
    A date column also takes a date at midnight: Excel's own dates arrive as
    ``2024-03-05 00:00:00``. The month kind (costs.month) also takes ``2024-03``, ``09/2026``,
    ``Sep 2026`` and ``September 2026`` as the first of the month; a full date is returned as
    given (the caller checks that it is the first of a month).
number
    ``1234.5``, ``1,234.50``, ``"2,140"``, ``424.0``, ``-12``, ``1.234,50``, ``1 234,56`` (space,
    no-break or narrow no-break space groups), ``1'234.50``, ``1.200 €``, ``€1,200``, ``$1,200``,
    ``US$5``, ``1200 EUR``, ``USD 1,200`` (one currency sign or ISO code before or after; the
    currency itself is not checked here, see `currency_in`). ``(1,200)`` is an accounting
    negative: -1200. ``-`` and ``--`` alone are empty (X's promoted columns). ``12%`` is refused
    (a rate is not a count or an amount); ``N/A``, ``inf`` and ``nan`` are refused. A value
    beyond the ceiling (MAX_NUMBER = 1e12 either way unless the caller passes another
    `ceiling`: a trillion in the reporting currency, or a count no firm reaches) is refused as
    absurd — ``1e308`` is most likely a unit or formula error, and it would turn every sum into
    infinity.
    '.' is the decimal point unless the column shows a decimal comma: a value ending in ``,dd``
    (``3,50``), ``.ddd`` groups followed by ``,`` (``1.234,5``), space groups followed by ``,``
    (``1 234,5``), or a currency after a number with ``.ddd`` groups (``1.200 €``). In such a
    column ``1.200`` is 1200 and a '.' decimal point is refused. A ``,d`` ending (``1,5``) alone
    does not decide: in an undecided column it is refused as ambiguous.
int
    A number that is whole: ``424.0`` is 424, ``12.5`` is refused.
bool
    true/false, yes/no, y/n, t/f, 1/0, any case.
text
    Returned as given.

Also here: `currency_in(header)`, the ISO currency code a header names (``Amount spent (EUR)``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import polars as pl

from socialroi import schema

__all__ = ["MAX_NUMBER", "DateOrder", "Kind", "Parsed", "currency_in", "kind_of", "parse"]

DateOrder = Literal["dmy", "mdy", "ymd"]
#: The largest number (either way) an import accepts unless the caller states another ceiling.
MAX_NUMBER = schema.MAX_AMOUNT
Kind = Literal["datetime", "date", "month", "number", "int", "bool", "text"]


@dataclass(frozen=True)
class Parsed:
    """One column read as `kind`."""

    #: The typed values (Datetime('us','UTC'), Date, Float64, Int64, Boolean or String); null where
    #: the text is empty or could not be read.
    values: pl.Series
    #: True where the text is non-empty but could not be read.
    bad: pl.Series
    #: Why a text value could not be read, for a DataError: "ambiguous date '03/05/2024': …".
    message: Callable[[str], str]


def kind_of(dtype: pl.DataType, *, month: bool = False) -> Kind:
    """The parse kind of a canonical column type (`month`: costs.month, which takes 2024-03)."""
    if isinstance(dtype, pl.Datetime):
        return "datetime"
    if isinstance(dtype, pl.Date):
        return "month" if month else "date"
    if dtype.is_float() or isinstance(dtype, pl.Decimal):
        return "number"
    if dtype.is_integer():
        return "int"
    if isinstance(dtype, pl.Boolean):
        return "bool"
    return "text"


def parse(
    kind: Kind,
    s: pl.Series,
    *,
    dates: DateOrder | None = None,
    ceiling: float = MAX_NUMBER,
    trimmed: bool = False,
) -> Parsed:
    """Read the text column `s` (String, null = empty) as `kind` (see the module doc).

    A number or int whose magnitude exceeds `ceiling` is refused (``bad``), with a message
    naming the ceiling. `trimmed`: `s` has no surrounding spaces and no empty text (only
    nulls), so it is not trimmed again."""
    name = s.name
    if kind == "text":
        no = pl.repeat(False, s.len(), eager=True, dtype=pl.Boolean).alias(name)
        return Parsed(s.cast(pl.String), no, _show_unexpected)
    t = s.cast(pl.String) if trimmed else _clean(s)
    if kind in ("number", "int"):  # X's promoted columns write "-" for none
        t = _where(~t.is_in(_EMPTY_NUMBERS).fill_null(False), t)
    values: pl.Series
    message: Callable[[str], str]
    if kind in ("datetime", "date", "month"):
        values, message = _parse_dates(kind, t, dates)
    elif kind in ("number", "int"):
        values, message = _parse_numbers(kind, t, ceiling)
    elif kind == "bool":
        values = t.str.to_lowercase().replace_strict(_BOOLS, default=None, return_dtype=pl.Boolean)
        message = _bool_msg
    else:
        raise ValueError(f"unknown kind {kind!r}")
    bad = (values.is_null() & t.is_not_null()).alias(name)
    return Parsed(values.alias(name), bad, message)


def currency_in(header: str) -> str | None:
    """The ISO 4217 code a header names, e.g. 'EUR' for ``Amount spent (EUR)``, else None.

    A code in capitals anywhere in the header counts (``Cost (USD)``, ``Spend USD``), except the
    codes that are also English words (``ALL``, ``TOP``…); so does an unambiguous sign in
    brackets (``Cost (€)``, ``(£)``). ``$`` and ``¥`` name no one currency.
    """
    for code in re.findall(r"(?<![A-Za-z])([A-Z]{3})(?![A-Za-z])", header):
        if code in _CODES and code not in _WORD_CODES:
            return str(code)
    hit = re.search(r"\(\s*([€£₹₩₽₺₪₫₱₴₦])\s*\)", header)
    return _SIGN_CODES.get(hit.group(1)) if hit else None


# -- shared -------------------------------------------------------------------------------------
def _clean(s: pl.Series) -> pl.Series:
    t = s.cast(pl.String).str.strip_chars()
    return pl.select(pl.when(t.str.len_bytes() > 0).then(t)).to_series().alias(s.name)


def _show(value: object) -> str:
    text = str(value).strip()
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _show_unexpected(value: str) -> str:
    return f"unexpected value {_show(value)}"


def _first_match(s: pl.Series, attempts: Sequence[Callable[[pl.Series], pl.Series]]) -> pl.Series:
    """Apply the first attempt to all values, each later one only to those still unparsed."""
    out = attempts[0](s)
    for attempt in attempts[1:]:
        todo = out.is_null() & s.is_not_null()
        if not todo.any():
            break
        idx = todo.arg_true()
        out = out.scatter(idx, attempt(s.gather(idx)))
    return out


def _where(mask: pl.Series, then: pl.Series | pl.Expr) -> pl.Series:
    return pl.select(pl.when(mask).then(then)).to_series()


_BOOLS = {
    **dict.fromkeys(("true", "t", "yes", "y", "1", "1.0"), True),
    **dict.fromkeys(("false", "f", "no", "n", "0", "0.0"), False),
}


def _bool_msg(value: str) -> str:
    return f"not true/false: {_show(value)}; use true/false, yes/no or 1/0"


# -- dates --------------------------------------------------------------------------------------
_ISO_TIMES = ("T%H:%M:%S%.f%#z", " %H:%M:%S%.f", " %H:%M", "", "T%H:%M:%S%.f", "T%H:%M")
_ISO_TIMES_RARE = (" %H:%M:%S%.f%#z", "T%H:%M%#z", " %H:%M%#z")
#: The fast path, tried in this order, each on the values still unparsed; every other form is
#: read by the general path (`_general`), which takes the date and the time apart.
_DT_FORMATS = tuple(f"%Y-%m-%d{t}" for t in _ISO_TIMES + _ISO_TIMES_RARE)

_MONTHS = {
    **dict.fromkeys(("jan", "january", "januar", "jän", "jänner"), 1),
    **dict.fromkeys(("feb", "febr", "february", "februar"), 2),
    **dict.fromkeys(("mar", "march", "mär", "märz", "mrz"), 3),
    **dict.fromkeys(("apr", "april"), 4),
    **dict.fromkeys(("may", "mai"), 5),
    **dict.fromkeys(("jun", "june", "juni"), 6),
    **dict.fromkeys(("jul", "july", "juli"), 7),
    **dict.fromkeys(("aug", "august"), 8),
    **dict.fromkeys(("sep", "sept", "september"), 9),
    **dict.fromkeys(("oct", "october", "okt", "oktober"), 10),
    **dict.fromkeys(("nov", "november"), 11),
    **dict.fromkeys(("dec", "december", "dez", "dezember"), 12),
}
_WEEKDAY = r"(?:(?:mon|tue|wed|thu|fri|sat|sun|mo|di|mi|do|fr|sa|so)[a-z]*\.?,?\s+)?"
_ORD = r"(?:st|nd|rd|th)?"
_REST = r"(?P<rest>.*)"
#: Each date form as a regex; the date parts are named y, m, d, mon (a month word), and for the
#: day-month forms a and b (the first and second part, order decided per column).
_YMD = rf"^(?P<y>\d{{4}})[-/.](?P<m>\d{{1,2}})[-/.](?P<d>\d{{1,2}}){_REST}$"
_YMD8 = rf"^(?P<y>\d{{4}})(?P<m>\d{{2}})(?P<d>\d{{2}}){_REST}$"
_NAMED_DM = (
    rf"(?i)^{_WEEKDAY}(?P<d>\d{{1,2}}){_ORD}\.?[\s\-/]*(?P<mon>[a-zä]+)\.?[\s\-/,]*"
    rf"(?P<y>\d{{4}}){_REST}$"
)
_NAMED_MD = (
    rf"(?i)^{_WEEKDAY}(?P<mon>[a-zä]+)\.?[\s\-]+(?P<d>\d{{1,2}}){_ORD},?\s+"
    rf"(?P<y>\d{{4}}){_REST}$"
)
_DM = rf"^(?P<a>\d{{1,2}})[/.\-](?P<b>\d{{1,2}})[/.\-](?P<y>\d{{2,4}}){_REST}$"
_MONTH_NUM = r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})$"
_MONTH_MY = r"^(?P<m>\d{1,2})[-/.](?P<y>\d{4})$"
_MONTH_NAMED = r"(?i)^(?P<mon>[a-zä]+)\.?,?[\s\-]+(?P<y>\d{4})$"
_TIME = (
    r"(?i)^(?:\s*T\s*|\s*,\s*|\s+(?:at\s+)?)(?P<h>\d{1,2}):(?P<mi>\d{2})"
    r"(?::(?P<s>\d{2})(?:[.,](?P<f>\d{1,9}))?)?"
    r"\s*(?:(?P<ap>[ap])\.?m\.?)?"
    r"\s*(?:(?P<z>z|utc|gmt)|(?:utc|gmt)?(?P<off>(?P<sign>[+-])(?P<oh>\d{2}):?(?P<om>\d{2})?))?$"
)


@dataclass(frozen=True)
class _Order:
    """How a column's day-month values read: the order, and where it came from."""

    order: DateOrder | None
    given: bool = False
    #: (a day-first value, a month-first value) when the column holds both.
    mixed: tuple[str, str] | None = None


def _parse_dates(
    kind: Kind, t: pl.Series, dates: DateOrder | None
) -> tuple[pl.Series, Callable[[str], str]]:
    order = _Order(dates, given=dates is not None)
    if kind == "datetime":
        first, *others = [_iso_dt(f) for f in _DT_FORMATS]
        # the form of the column's first value, read the fast way when it has one; the rest
        # as before
        quick = _quick_format(t)
        out = first(t) if quick is None else _first_match(t, [_iso_dt(quick), first])
    else:
        out, others = _iso_date(t), []
    todo = out.is_null() & t.is_not_null()
    if others and todo.any():  # the other ISO forms, only on what looks like one
        iso = todo & t.str.contains(r"^\d{4}-\d{1,2}-\d{1,2}[T ]").fill_null(False)
        if iso.any():
            idx = iso.arg_true()
            out = out.scatter(idx, _first_match(t.gather(idx), others))
    out = _where_year(out)  # 24-03-05 is no year 24
    todo = out.is_null() & t.is_not_null()
    compact = todo & t.str.contains(r"^\d{8}$").fill_null(False)
    if compact.any():  # GA4's 20260903
        idx = compact.arg_true()
        day = _where_year(t.gather(idx).str.to_date("%Y%m%d", strict=False))
        out = out.scatter(idx, day if kind != "datetime" else _utc_midnight(day))
        todo = out.is_null() & t.is_not_null()
    if todo.any():
        idx = todo.arg_true()
        values, order = _general(t.gather(idx), kind, order)
        out = out.scatter(idx, values)
    return out, lambda v: _date_msg(v, kind, order)


#: Forms polars reads many times faster than the general ones (whole seconds, a ``Z`` or no
#: zone), as (a value's shape, the format). Each reads a value exactly as the first of
#: `_DT_FORMATS` that reads it does; a column whose first value has one of these shapes is read
#: with it first, and only the values it leaves go through `_DT_FORMATS`.
_QUICK_FORMATS = (
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z"), "%Y-%m-%dT%H:%M:%SZ"),
    (re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"), "%Y-%m-%d %H:%M:%S"),
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}"), "%Y-%m-%dT%H:%M:%S"),
)


def _quick_format(t: pl.Series) -> str | None:
    """The quick format (see `_QUICK_FORMATS`) the column's first value has, if any."""
    at = t.is_not_null().arg_max()
    first = t[at] if at is not None else None
    if first is None:
        return None
    return next((fmt for shape, fmt in _QUICK_FORMATS if shape.fullmatch(first)), None)


def _iso_dt(fmt: str) -> Callable[[pl.Series], pl.Series]:
    def parse(s: pl.Series) -> pl.Series:
        out = s.str.to_datetime(fmt, strict=False, time_unit="us")
        return out if "%#z" in fmt else out.dt.replace_time_zone("UTC")

    return parse


def _iso_date(s: pl.Series) -> pl.Series:
    return s.str.to_date("%Y-%m-%d", strict=False)


def _where_year(day: pl.Series) -> pl.Series:
    """Null for a year below 1000: a two-digit year read as is."""
    low = day.to_frame("d").select(pl.col("d").min().dt.year()).item()
    if low is None or low >= 1000:
        return day
    return _where(day.dt.year() >= 1000, day)


def _utc_midnight(day: pl.Series) -> pl.Series:
    return day.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")


def _groups(s: pl.Series, pattern: str) -> pl.DataFrame:
    return s.str.extract_groups(pattern).struct.unnest()


def _month_number(words: pl.Series) -> pl.Series:
    w = words.str.to_lowercase().str.strip_chars_end(".")
    return w.replace_strict(_MONTHS, default=None, return_dtype=pl.Int32)


def _ints(s: pl.Series) -> pl.Series:
    return s.cast(pl.Int32, strict=False)


_PARTS = {"y": pl.Int32, "m": pl.Int32, "d": pl.Int32, "a": pl.Int32, "b": pl.Int32}


def _read_form(pattern: str) -> Callable[[pl.Series], pl.DataFrame]:
    """A reader of one date form: its parts y, m, d (or a, b), and the text after it (null: no
    match)."""

    def read(s: pl.Series) -> pl.DataFrame:
        g = _groups(s, pattern)
        cols: dict[str, pl.Series] = {}
        for name, dtype in _PARTS.items():
            if name == "m" and "mon" in g.columns:
                cols[name] = _month_number(g["mon"])
            elif name in g.columns:
                cols[name] = _ints(g[name])
            else:
                cols[name] = pl.repeat(None, s.len(), dtype=dtype, eager=True)
        cols["rest"] = g["rest"] if "rest" in g.columns else pl.repeat("", s.len(), eager=True)
        matched = g[g.columns[0]].is_not_null()
        cols["rest"] = _where(matched, cols["rest"])
        return pl.DataFrame(cols)

    return read


#: The date forms in the order tried (each on what the earlier ones did not read); they do not
#: overlap, so the order only saves time: the day-month forms are the common ones here.
_FORMS = [_read_form(p) for p in (_DM, _YMD, _NAMED_MD, _NAMED_DM, _YMD8)]
_MONTH_FORMS = [_read_form(p) for p in (_MONTH_NUM, _MONTH_MY, _MONTH_NAMED)]


def _date_parts(s: pl.Series, forms: Sequence[Callable[[pl.Series], pl.DataFrame]]) -> pl.DataFrame:
    """y, m, d, a, b and rest of each value, by the first form that reads it (else all null)."""
    out = forms[0](s)
    for form in forms[1:]:
        todo = out["rest"].is_null()
        if not todo.any():
            break
        idx = todo.arg_true()
        got = form(s.gather(idx))
        out = pl.DataFrame([out[c].scatter(idx, got[c]) for c in out.columns])
    return out


def _infer_order(s: pl.Series, a: pl.Series, b: pl.Series) -> _Order:
    """The day-month order the column's unambiguous values show (a mix is recorded)."""
    day_first = ((a > 12) & (b <= 12)).fill_null(False)
    month_first = ((b > 12) & (a <= 12)).fill_null(False)
    if day_first.any() and month_first.any():
        first = str(s.filter(day_first)[0]), str(s.filter(month_first)[0])
        return _Order(None, mixed=first)
    if day_first.any():
        return _Order("dmy")
    if month_first.any():
        return _Order("mdy")
    return _Order(None)


def _general(s: pl.Series, kind: Kind, order: _Order) -> tuple[pl.Series, _Order]:
    """Every date form, with an optional time: date-times in UTC, or dates (midnight only);
    and the day-month order used (inferred from `s` unless given)."""
    parts = _date_parts(s, _FORMS)
    a, b = parts["a"], parts["b"]
    if not order.given:
        order = _infer_order(s, a, b)
    if order.mixed is None and order.order == "dmy":
        dm_d, dm_m = a, b
    elif order.mixed is None and order.order == "mdy":
        dm_d, dm_m = b, a
    elif order.mixed is None and order.order is None:  # only a day equal to the month reads
        dm_d = dm_m = _where(a == b, a)
    else:
        dm_d = dm_m = pl.repeat(None, s.len(), dtype=pl.Int32, eager=True)
    frame = parts.with_columns(m=parts["m"].fill_null(dm_m), d=parts["d"].fill_null(dm_d))
    iso = pl.format(
        "{}-{}-{}",
        pl.col("y").cast(pl.String),
        pl.col("m").cast(pl.String).str.zfill(2),
        pl.col("d").cast(pl.String).str.zfill(2),
    )
    frame = frame.with_columns(
        day=pl.when(pl.col("y") >= 1000).then(iso.str.to_date("%Y-%m-%d", strict=False))
    )
    if kind == "month" and frame["rest"].is_null().any():  # 2024-03, Sep 2026: the 1st
        idx = frame["rest"].is_null().arg_true()
        got = _date_parts(s.gather(idx), _MONTH_FORMS)
        first = pl.format("{}-{}-01", pl.col("y"), pl.col("m").cast(pl.String).str.zfill(2))
        firsts = got.select(
            pl.when(pl.col("y") >= 1000).then(first.str.to_date("%Y-%m-%d", strict=False))
        ).to_series()
        frame = frame.with_columns(
            day=frame["day"].scatter(idx, firsts), rest=frame["rest"].scatter(idx, got["rest"])
        )
    us, offset = _time_of_day(frame["rest"])
    frame = frame.with_columns(us=us, offset=offset)
    if kind != "datetime":
        return frame.select(pl.when(pl.col("us") == 0).then(pl.col("day"))).to_series(), order
    local = pl.col("day").cast(pl.Datetime("us")) + pl.duration(microseconds=pl.col("us"))
    utc = local - pl.duration(minutes=pl.col("offset"))
    return frame.select(utc.dt.replace_time_zone("UTC")).to_series(), order


def _time_of_day(rest: pl.Series) -> tuple[pl.Series, pl.Series]:
    """The time after a date: microseconds into the day, and the UTC offset in minutes.

    No text after the date is midnight; text that is not a time gives null microseconds.
    """
    n = rest.len()
    us = _where(rest == "", pl.lit(0, dtype=pl.Int64))
    off = pl.repeat(0, n, dtype=pl.Int64, eager=True)
    timed = (rest.str.len_bytes() > 0).fill_null(False)
    if timed.any():
        idx = timed.arg_true()
        t_us, t_off = _times(rest.gather(idx))
        us, off = us.scatter(idx, t_us), off.scatter(idx, t_off)
    return us, off


def _times(rest: pl.Series) -> tuple[pl.Series, pl.Series]:
    g = _groups(rest, _TIME)
    h, mi, sec = _ints(g["h"]), _ints(g["mi"]), _ints(g["s"]).fill_null(0)
    ap = g["ap"].str.to_lowercase()
    h = pl.select(
        pl.when(ap.is_null())
        .then(h)
        .when((h >= 1) & (h <= 12))
        .then(h % 12 + pl.when(ap == "p").then(12).otherwise(0))
    ).to_series()
    frac = g["f"].str.slice(0, 6).str.pad_end(6, "0").cast(pl.Int64).fill_null(0)
    ok = (h <= 23) & (mi <= 59) & (sec <= 59) & (_ints(g["oh"]).fill_null(0) <= 23)
    us = _where(ok, (h.cast(pl.Int64) * 3600 + mi * 60 + sec) * 1_000_000 + frac)
    sign = pl.select(pl.when(g["sign"] == "-").then(-1).otherwise(1)).to_series()
    off = sign * (_ints(g["oh"]).fill_null(0) * 60 + _ints(g["om"]).fill_null(0))
    return us, off.cast(pl.Int64).fill_null(0)


_ORDER_WORDS = {"dmy": "day/month/year", "mdy": "month/day/year", "ymd": "year/month/day"}


def _date_msg(value: str, kind: Kind, order: _Order) -> str:
    v = value.strip()
    what = "date-time" if kind == "datetime" else "month" if kind == "month" else "date"
    if kind != "datetime" and order.mixed is None:
        as_time, _ = _general(
            pl.Series([v], dtype=pl.String), "datetime", _Order(order.order, given=True)
        )
        if as_time[0] is not None:
            return f"not a {what}: {_show(v)} has a time of day; write the date alone (2024-03-05)"
    dm = re.match(_DM, v)
    if dm is not None:
        return _day_month_msg(v, what, len(dm.group("y")) < 4, order)
    example = {
        "date-time": "2024-03-05T14:22:00Z, 2024-03-05 14:22",
        "date": "2024-03-05",
        "month": "2024-03",
    }[what]
    return f"not a {what}: {_show(v)}; use ISO 8601, e.g. {example}"


def _day_month_msg(v: str, what: str, short_year: bool, order: _Order) -> str:
    """Why a day-month value (03/05/2024) was not read."""
    if short_year:
        return (
            f"ambiguous date {_show(v)}: a two-digit year; write the year in full "
            f"(e.g. 2024) or write YYYY-MM-DD"
        )
    if order.mixed is not None:
        day_first, month_first = order.mixed
        return f"the column mixes day-first ({day_first}) and month-first ({month_first}) dates"
    if order.order is None:
        return (
            f"ambiguous date {_show(v)}: day and month order is unknown; "
            f"pass --dates dmy or --dates mdy, or write YYYY-MM-DD"
        )
    if order.order == "ymd":
        return f"not a {what}: {_show(v)}; --dates ymd expects the year first, e.g. 2026/09/03"
    how = f"--dates {order.order}" if order.given else "like the column's other dates"
    return f"not a {what}: {_show(v)} read as {_ORDER_WORDS[order.order]} ({how})"


# -- numbers ------------------------------------------------------------------------------------
#: ISO 4217 codes (active ones).
_ISO_4217 = """
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP
BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP
GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR
KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK
MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR
SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS
UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL
"""
_CODES = frozenset(_ISO_4217.split())
_WORD_CODES = frozenset({"ALL", "BAM", "CUP", "MAD", "PEN", "SOS", "TOP"})
_SIGN_CODES = {
    "€": "EUR",
    "£": "GBP",
    "₹": "INR",
    "¥": "JPY",
    "₩": "KRW",
    "₽": "RUB",
    "₺": "TRY",
    "₪": "ILS",
    "₫": "VND",
    "₱": "PHP",
    "₴": "UAH",
    "₦": "NGN",
}
#: A currency sign, or three capitals (checked against `_CODES` after the match: faster).
_CURRENCY = rf"(?:[A-Z]{{0,2}}\$|[{''.join(_SIGN_CODES)}]|kr|zł|Fr\.|[A-Z]{{3}})"
_SPACES = " \u00a0\u202f"
_NUMBER = (
    rf"^(?P<s1>[-+\u2212])?\s*(?P<pre>{_CURRENCY})?\s*(?P<s2>[-+\u2212])?\s*"
    rf"(?P<body>\d(?:[\d.,'’{_SPACES}]*\d)?|[.,]\d+)\s*(?P<post>{_CURRENCY})?\s*(?P<pct>%)?$"
)
_SEPS = {"dot": (",", f"[{_SPACES}]", "['’]"), "comma": (r"\.", f"[{_SPACES}]", "['’]")}
_BODY = {
    mode: "|".join(
        [
            *(rf"^\d{{1,3}}(?:{sep}\d{{3}})+(?:{dec}\d*)?$" for sep in seps),
            rf"^\d+(?:{dec}\d*)?$",
            rf"^{dec}\d+$",
        ]
    )
    for mode, seps, dec in (("dot", _SEPS["dot"], r"\."), ("comma", _SEPS["comma"], ","))
}
#: A value that shows the column writes decimal commas (see the module doc).
_COMMA_SIGNS = (
    r"^(?:\d{1,3}(?:\.\d{3})+|\d{1,3}(?:[" + _SPACES + r"]\d{3})+|\d+),\d{2}$"
    r"|^\d{1,3}(?:\.\d{3})+,\d*$"
    r"|^\d{1,3}(?:[" + _SPACES + r"]\d{3})+,\d+$"
)
_COMMA_GROUPED = r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$"
_DOTTED_GROUPS = r"^\d{1,3}(?:\.\d{3})+$"
_WEAK_COMMA = r"^\d+,\d$"
_EMPTY_NUMBERS = ("-", "--", "\u2013", "\u2014")
_MAX_INT = 2.0**53


def _parse_numbers(
    kind: Kind, t: pl.Series, ceiling: float = MAX_NUMBER
) -> tuple[pl.Series, Callable[[str], str]]:
    out = t.cast(pl.Float64, strict=False)
    todo = out.is_null() & t.is_not_null()
    comma: str | None = None
    if todo.any():
        idx = todo.arg_true()
        rest = t.gather(idx)
        got = _plain_dot(rest)  # 1,234.50 and $1,200 as before; every other form below
        slow = got.is_null()
        if slow.any():
            sidx = slow.arg_true()
            parts = _number_parts(rest.gather(sidx))
            signs = _comma_signs(parts)
            if signs.any():
                comma = str(rest.gather(sidx).filter(signs)[0])
                # a decimal-comma column: every value again, by that rule
                where = idx.gather(sidx)
                others = t.is_not_null().scatter(where, False).arg_true()
                out = pl.repeat(None, t.len(), dtype=pl.Float64, eager=True)
                out = out.scatter(where, _number_values(parts, "comma"))
                again = _number_values(_number_parts(t.gather(others)), "comma")
                out = out.scatter(others, again)
            else:
                got = got.scatter(sidx, _number_values(parts, "dot"))
        if comma is None:
            out = out.scatter(idx, got)
    # beyond the ceiling, or so large it overflowed to infinity (1e309): absurd, not unreadable
    huge = (out.abs() > ceiling) & (out.is_finite() | t.str.contains(r"\d")).fill_null(False)
    absurd = set(t.filter(huge).to_list())
    out = _where(out.is_finite() & ~huge, out)
    if kind == "int":
        whole = (out == out.floor()) & (out.abs() < _MAX_INT)
        out = _where(whole, out).cast(pl.Int64)

    def message(v: str) -> str:
        if v.strip() in absurd:
            return (
                f"{_show(v)} is beyond the largest value an import accepts ({ceiling:,.0f}); "
                "check the cell (a unit or formula error?)"
            )
        return _number_msg(v, kind, comma)

    return out, message


def _plain_dot(t: pl.Series) -> pl.Series:
    """The common forms read the quick way (null for the others): 1,234.50, $1,200, -€5."""
    x = t.str.replace(r"^([+-]?)[$€£¥₹]\s*", "${1}")
    plain = x.str.contains(_COMMA_GROUPED).fill_null(False)
    return _where(plain, x.str.replace_all(",", "", literal=True)).cast(pl.Float64, strict=False)


def _number_parts(t: pl.Series) -> pl.DataFrame:
    inner = t.str.extract(r"^\(\s*(.*?)\s*\)$", 1)
    g = _groups(inner.fill_null(t), _NUMBER)
    return g.with_columns(
        neg=inner.is_not_null()
        ^ (g["s1"].is_in(["-", "\u2212"]) | g["s2"].is_in(["-", "\u2212"])).fill_null(False),
        two_signs=(g["s1"].is_not_null() & g["s2"].is_not_null())
        | (inner.is_not_null() & (g["s1"].is_not_null() | g["s2"].is_not_null()))
        | (g["pre"].is_not_null() & g["post"].is_not_null())
        | _unknown_code(g["pre"])
        | _unknown_code(g["post"]),
    )


def _unknown_code(cur: pl.Series) -> pl.Series:
    code = cur.str.contains(r"^[A-Z]{3}$").fill_null(False)
    return code & ~cur.is_in(list(_CODES)).fill_null(False)


def _comma_signs(parts: pl.DataFrame) -> pl.Series:
    body = parts["body"]
    by_sign = body.str.contains(_DOTTED_GROUPS) & parts["post"].is_not_null()
    return (body.str.contains(_COMMA_SIGNS) | by_sign).fill_null(False)


def _number_values(parts: pl.DataFrame, mode: Literal["dot", "comma"]) -> pl.Series:
    body = parts["body"]
    ok = body.str.contains(_BODY[mode]) & parts["pct"].is_null() & ~parts["two_signs"]
    if mode == "dot":
        digits = body.str.replace_all(f"[,'’{_SPACES}]", "")
    else:
        digits = body.str.replace_all(f"[.'’{_SPACES}]", "").str.replace(",", ".", literal=True)
    x = _where(ok.fill_null(False), digits).cast(pl.Float64, strict=False)
    return pl.select(pl.when(parts["neg"]).then(-x).otherwise(x)).to_series()


def _number_msg(value: str, kind: Kind, comma: str | None) -> str:
    v = value.strip()
    what = "whole number" if kind == "int" else "number"
    parts = _number_parts(pl.Series([v], dtype=pl.String))
    body, pct = parts["body"][0], parts["pct"][0]
    if pct is not None or v.endswith("%"):
        return f"{_show(v)} is a percentage, not a {what}; write the count or amount itself"
    if body is not None and comma is None and re.match(_WEAK_COMMA, body):
        whole, frac = body.split(",")
        return (
            f"{_show(v)}: decimal comma or thousands? write {whole}.{frac} or "
            f"{int(whole) * 1000 + int(frac.ljust(3, '0'))}"
        )
    if body is not None and comma is not None and "." in body:
        return (
            f"not a {what}: {_show(v)}; this column writes decimal commas ({comma!r}), "
            f"so '.' can only group thousands (1.234,50)"
        )
    if kind == "int" and body is not None:
        got = _number_values(parts, "comma" if comma else "dot")[0]
        if got is not None and math.isfinite(got):
            return f"not a whole number: {_show(v)}"
    if comma is not None:
        return f"not a {what}: {_show(v)}; write e.g. 1234,50 or 1.234,50"
    return f"not a {what}: {_show(v)}; write e.g. 1234.50 or 1,234.50"
