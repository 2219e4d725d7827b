"""GA4 report and exploration CSV exports (Reports › Share › Download CSV; Explore › Export).

About nine ``#`` comment lines (report name, account, property, segment, ``# Start date:
20260901``, ``# End date: 20260930``), then the header. Dimensions are one combined ``Session
source / medium`` column (``linkedin.com / referral``) or separate ``Session source``, ``Session
medium``, ``Session campaign``…; the ``Date`` dimension is ``YYYYMMDD``. Rows are aggregates:
``Sessions`` is how many sessions each stands for (``sessions.count``). An exploration export may
hold several tables separated by ``#`` lines: the first is read, with a warning.

Session ids are those the GA4 pull writes (:func:`socialroi.adapters.ga4.session_id`): the
property, the day, and a hash of the values of the pull's dimensions (source, medium, campaign,
manual ad content, manual term, landing page, default channel group) as GA4 writes them, so an
empty cell counts as ``(not set)``. The property id comes from the preamble (a ``# Property``
line holding the number) or ``--set property=123456789``.

The rule for equal ids: a row gets exactly the pull's id when the export has ``Date`` and all seven
dimensions (``Landing page + query string`` stands for ``Landing page`` with the query string
cut). A dimension the export lacks is hashed as "absent": such a row adds up sessions over that
dimension, so it gets its own id, stable across re-downloads of the same report, that never
replaces a pulled row (import such a report or pull GA4 for those days, not both). An export
without ``Date`` has one row per source over the whole range: it is put on the start date, with
an id that also names the end date.

``started_at`` is the start of the day in UTC, or in the property's time zone given with ``--set
time_zone=Europe/Berlin`` (as the pull does); the pull's id does not depend on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

from socialroi import schema
from socialroi.adapters import ga4 as pull
from socialroi.adapters._raw import ROW, Book, RawTable
from socialroi.adapters.formats import Loaded, ReadOptions
from socialroi.adapters.formats._common import norm, pick, text, values
from socialroi.core.channels import classify_sessions
from socialroi.core.vocabulary import is_social
from socialroi.errors import DataError

SESSIONS = "Sessions"
DATE = "Date"
COMBINED = "Session source / medium"
#: GA4's column headings -> the Data API dimension the pull requests.
DIMENSION_HEADERS: dict[str, str] = {
    "Session source": "sessionSource",
    "Session medium": "sessionMedium",
    "Session campaign": "sessionCampaignName",
    "Session campaign name": "sessionCampaignName",
    "Session manual ad content": "sessionManualAdContent",
    "Session manual term": "sessionManualTerm",
    "Landing page": "landingPage",
    "Landing page + query string": "landingPage",
    "Session default channel group": "sessionDefaultChannelGroup",
}
_QUERY_HEADER = norm("Landing page + query string")
#: Each pull dimension's GA4 heading, for messages.
_HEADINGS: dict[str, str] = {}
for _heading, _dim in DIMENSION_HEADERS.items():
    _HEADINGS.setdefault(_dim, _heading)
_SOURCES = (COMBINED, "Session source")
_PROPERTY_SETS = ("property", "property_id")
_ZONE_SETS = ("time_zone", "timezone")


def split_source_medium(series: pl.Series) -> tuple[pl.Series, pl.Series]:
    """A combined ``source / medium`` column (``linkedin.com / referral``) as two columns.

    Split at the first `` / ``; a value without one is all source (medium empty). Both parts are
    stripped; empty parts are null.
    """
    s = series.cast(pl.String)
    parts = s.str.split_exact(" / ", 1).struct.rename_fields(["source", "medium"])
    frame = pl.DataFrame({"p": parts}).unnest("p")

    def tidy(name: str) -> pl.Series:
        col = frame.get_column(name).str.strip_chars()
        return pl.select(pl.when(col.str.len_chars() > 0).then(col)).to_series().alias(name)

    return tidy("source"), tidy("medium")


def _comment_text(row: Sequence[str]) -> str | None:
    """The text of a ``#`` line (its cells joined back), or None when it is not one."""
    cells = [c for c in row if c]
    if not cells or not cells[0].startswith("#"):
        return None
    return ", ".join(cells).lstrip("#").strip()


def _preamble(rows: list[list[str]]) -> dict[str, str]:
    """``# Key: value`` lines as key (lower case) -> value."""
    out: dict[str, str] = {}
    for row in rows:
        line = _comment_text(row)
        if line and ":" in line:
            key, value = line.split(":", 1)
            out.setdefault(key.strip().lower(), value.strip())
    return out


def _yyyymmdd(value: str | None) -> date | None:
    v = (value or "").strip()
    if len(v) == 8 and v.isdigit():
        try:
            return date(int(v[:4]), int(v[4:6]), int(v[6:]))
        except ValueError:
            return None
    return None


def _is_header(cells: Sequence[str]) -> bool:
    names = {norm(c) for c in cells if c}
    dims = {norm(h) for h in (COMBINED, *DIMENSION_HEADERS)}
    return norm(SESSIONS) in names and bool(names & dims)


def _property_id(options: ReadOptions, preamble: dict[str, str], raw: RawTable) -> str:
    for key in _PROPERTY_SETS:
        if options.sets.get(key):
            pid = options.sets[key].strip().removeprefix("properties/")
            if not pid.isdigit():
                raise DataError(
                    f"--set {key}={options.sets[key]}: a GA4 property id is a number "
                    "(Admin › Property details), e.g. --set property=123456789",
                    file=raw.file,
                )
            return pid
    for key, value in preamble.items():
        if key.startswith("property"):
            digits = [w.strip("()[],.") for w in value.replace("/", " ").split()]
            ids = [w for w in digits if w.isdigit() and len(w) >= 6]
            if ids:
                return ids[-1]
    raise DataError(
        "the GA4 export names no property id; give it with --set property=123456789 "
        "(Admin › Property details › Property ID) so its sessions get the ids the GA4 pull "
        "writes for the same days",
        file=raw.file,
        row=raw.header_row,
    )


def _zone(options: ReadOptions, raw: RawTable) -> ZoneInfo | None:
    for key in _ZONE_SETS:
        if options.sets.get(key):
            try:
                return ZoneInfo(options.sets[key])
            except (ZoneInfoNotFoundError, ValueError):
                raise DataError(
                    f"--set {key}={options.sets[key]}: unknown time zone "
                    "(write it as Area/City, e.g. Europe/Berlin)",
                    file=raw.file,
                ) from None
    return None


class GA4Export:
    """GA4 report/exploration CSV → daily aggregate sessions rows."""

    name = "ga4"
    title = "GA4 report or exploration CSV export (sessions by day and source / medium)"
    fills: tuple[str, ...] = ("sessions",)

    def score(self, book: Book) -> int:
        rows = book.peek()
        if not any(_is_header(r) for r in rows):
            return 0
        pre = _preamble(rows)
        return 4 if "start date" in pre or "end date" in pre else 3

    def read(self, book: Book, options: ReadOptions) -> Loaded:
        raw = book.table(options.sheet, header=_is_header)
        preamble = _preamble(book.peek(options.sheet, rows=raw.header_row))
        notes = list(raw.notes)
        warnings: list[str] = []
        raw, cut = _first_block(book, raw, options.sheet)
        if cut is not None:
            warnings.append(
                f"the export holds more than one table (another starts at row {cut}); only "
                "the first was read: export each date range or segment on its own"
            )
        property_id = _property_id(options, preamble, raw)
        zone = _zone(options, raw)

        sessions = pick(raw, SESSIONS)
        if sessions is None:  # pragma: no cover - the header rule requires it
            raise DataError("no 'Sessions' column", file=raw.file, row=raw.header_row)
        dims, mapping, said = _dimensions(raw)
        notes += said
        mapping[sessions] = "sessions.count"
        raw, dims, said = _without_totals(raw, dims)
        notes += said
        days, end, date_header, said = _days(raw, preamble, options)
        notes += said
        if date_header is not None:
            mapping[date_header] = "sessions.started_at"
        counts = values(raw, sessions, "number", required=True).round(0).cast(pl.Int64)

        absent = [_HEADINGS[d] for d in pull.DIMENSIONS[1:] if d not in dims]
        if absent or date_header is None:
            lacks = ", ".join(absent if date_header is not None else [DATE, *absent])
            notes.append(
                f"the export lacks {lacks}: its rows add up sessions over them, so they get ids "
                "of their own, not the GA4 pull's (import this report or pull GA4 for these "
                "days, not both)"
            )
        frame = _rows(dims, days, counts, property_id=property_id, zone=zone, range_end=end)
        frame = frame.with_columns(pl.Series(ROW, raw.frame.get_column(ROW)))
        merged = frame.height
        frame = (
            frame.group_by("session_id", maintain_order=True)
            .agg(pl.exclude("count").first(), pl.col("count").sum())
            .select(frame.columns)
        )
        if frame.height < merged:
            notes.append(
                f"{merged - frame.height} rows with the same day and dimension values merged"
            )
        warnings += _social_warning(frame)
        provided = ["session_id", "started_at", "count"] + [
            pull.COLUMNS[d] for d in pull.COLUMNS if d in dims
        ]
        t = schema.table("sessions")
        out = frame.select(provided).cast({c: t.column(c).dtype for c in provided})
        return Loaded(
            format=self.name,
            tables={"sessions": out},
            mapping=mapping,
            ignored=[h for h in raw.header if h not in mapping],
            notes=[f"GA4 export, property {property_id}", *notes],
            warnings=warnings,
        )


def _dimensions(raw: RawTable) -> tuple[dict[str, pl.Series], dict[str, str], list[str]]:
    """Pull dimension -> its GA4 texts (null where empty), the header mapping, and notes."""
    combined = pick(raw, COMBINED)
    if combined is None and pick(raw, "Session source") is None:
        raise DataError(
            "the export has no 'Session source / medium' or 'Session source' column; add "
            "that dimension so its sessions can be told apart by where they came from",
            file=raw.file,
            row=raw.header_row,
        )
    dims: dict[str, pl.Series] = {}
    mapping: dict[str, str] = {}
    notes: list[str] = []
    if combined is not None:
        dims["sessionSource"], dims["sessionMedium"] = split_source_medium(text(raw, combined))
        mapping[combined] = "sessions.source, sessions.medium"
    for heading, dim in DIMENSION_HEADERS.items():
        header = pick(raw, heading)
        if header is None or dim in dims:
            continue
        s = text(raw, header)
        if norm(header) == _QUERY_HEADER:
            s = s.str.replace(r"\?.*$", "")
            notes.append(f"'{header}': the query string is cut, as in GA4's Landing page")
        dims[dim] = s
        column = pull.COLUMNS.get(dim)
        mapping[header] = f"sessions.{column}" if column else "sessions.session_id"
    return dims, mapping, notes


def _without_totals(
    raw: RawTable, dims: dict[str, pl.Series]
) -> tuple[RawTable, dict[str, pl.Series], list[str]]:
    """Without grand-total rows: every dimension empty, or the first one named a total."""
    first = next(iter(dims.values()))
    named = first.str.to_lowercase().is_in(["grand total", "total", "totals"]).fill_null(False)
    empty = pl.DataFrame(dims).select(pl.all_horizontal(pl.all().is_null())).to_series()
    total = named | empty
    if not total.any():
        return raw, dims, []
    n = int(total.sum())
    keep = ~total
    return (
        _filter(raw, keep),
        {k: v.filter(keep) for k, v in dims.items()},
        [f"{n} total row{'s' if n > 1 else ''} skipped"],
    )


def _days(
    raw: RawTable, preamble: dict[str, str], options: ReadOptions
) -> tuple[pl.Series, date | None, str | None, list[str]]:
    """Each row's day; the range end when rows span the range (no Date); the Date header."""
    header = pick(raw, DATE)
    if header is not None:
        days = values(raw, header, "date", dates=options.dates, required=True).cast(pl.Date)
        return days, None, header, []
    start = _yyyymmdd(preamble.get("start date"))
    if start is None:
        raise DataError(
            "the export has no 'Date' column and no '# Start date:' line; add the Date "
            "dimension (or keep the export's comment lines)",
            file=raw.file,
            row=raw.header_row,
        )
    end = _yyyymmdd(preamble.get("end date")) or start
    note = (
        f"no Date column: each row holds the sessions of {start.isoformat()} to "
        f"{end.isoformat()} and is dated {start.isoformat()}"
    )
    return pl.Series([start] * raw.frame.height, dtype=pl.Date), end, None, [note]


def _filter(raw: RawTable, keep: pl.Series) -> RawTable:
    return replace(raw, frame=raw.frame.filter(keep))


def _first_block(book: Book, raw: RawTable, sheet: str | None) -> tuple[RawTable, int | None]:
    """`raw` cut before a second table: a ``#`` line or a repeated header below the header."""
    if raw.frame.height == 0:
        return raw, None
    last = int(raw.frame.get_column(ROW).max())  # type: ignore[arg-type]
    lines = book.peek(sheet, rows=last + 20)
    cut: int | None = None
    header = [norm(h) for h in raw.header]
    for number in range(raw.header_row + 1, len(lines) + 1):
        row = lines[number - 1]
        if _comment_text(row) is not None or [norm(c) for c in row if c] == header:
            cut = number
            break
    if cut is None:
        return raw, None
    # The next table's header row, for the message: the first non-comment line after the cut.
    at = cut
    while at <= len(lines) and (not lines[at - 1] or _comment_text(lines[at - 1]) is not None):
        at += 1
    return _filter(raw, raw.frame.get_column(ROW) < cut), at


def _rows(
    dims: dict[str, pl.Series],
    days: pl.Series,
    counts: pl.Series,
    *,
    property_id: str,
    zone: ZoneInfo | None,
    range_end: date | None,
) -> pl.DataFrame:
    """One sessions row per file row: id, start, count and the canonical dimension columns."""
    order = pull.DIMENSIONS[1:]
    lists = {d: dims[d].to_list() for d in dims}
    n = counts.to_list()
    records: list[dict[str, Any]] = []
    for i, day in enumerate(days.to_list()):
        hashed: list[str | None] = [
            (lists[d][i] or pull.NOT_SET) if d in lists else None for d in order
        ]
        if range_end is not None:
            hashed.append(f"through {range_end.isoformat()}")
        rec: dict[str, Any] = {
            "session_id": pull.session_id(property_id, day, hashed),
            "started_at": datetime.combine(day, time(), tzinfo=zone or UTC).astimezone(UTC),
            "count": n[i],
        }
        for dim, col in pull.COLUMNS.items():
            rec[col] = pull.clean_value(col, lists[dim][i]) if dim in lists else None
        records.append(rec)
    frame_schema: dict[str, pl.DataType] = {
        "session_id": pl.String(),
        "started_at": schema.UTC_TS,
        "count": pl.Int64(),
        **{c: pl.String() for c in pull.COLUMNS.values()},
    }
    return pl.DataFrame(records, schema=frame_schema, orient="row")


def _social_warning(frame: pl.DataFrame) -> list[str]:
    """The warning when no session of a non-empty file is social after classification."""
    if frame.height == 0:
        return []
    classified = classify_sessions(frame)
    social = is_social(pl.col("channel"))
    total = int(classified.get_column("count").sum())
    n_social = int(classified.filter(social).get_column("count").sum())
    if n_social:
        return []
    return [
        f"0 of {total:,} sessions are social; is the source column right? (social sessions "
        "come from sources such as linkedin.com, t.co or l.facebook.com, or carry "
        "utm_medium=social)"
    ]


FORMATS = (GA4Export(),)
