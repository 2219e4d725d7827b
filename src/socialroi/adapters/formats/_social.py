"""What the social platforms' export formats share (Meta, LinkedIn, X).

- `setting(options, name)`: a ``--set NAME=VALUE`` the file cannot tell (account id, platform);
- `when(raw, header, kind, options, default=…)`: a date column read with ``--dates``, else its
  own unambiguous values, else the order the platform's export writes in that language (said in
  a note, never silently);
- `link_frame(urls)`: the link columns a pull fills from a post's link (link_url, utm_*,
  campaign), so an imported post and a pulled one agree;
- `lifetime_warning(as_of)`: the warning for a file whose post metrics are one snapshot;
- `counts(raw, header)`: a column of counts, ``2.140`` read as thousands where the column
  shows it;
- `next_midnight(t)`: the snapshot time after the last day a file covers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import polars as pl

from socialroi.adapters._raw import RawTable
from socialroi.adapters._utm import link_columns
from socialroi.adapters._values import DateOrder, Kind, parse
from socialroi.adapters.formats import ReadOptions
from socialroi.adapters.formats._common import text, values

__all__ = [
    "ORDER_WORDS",
    "counts",
    "lifetime_warning",
    "link_frame",
    "next_midnight",
    "setting",
    "when",
]

ORDER_WORDS: dict[str, str] = {
    "mdy": "month first (MM/DD/YYYY)",
    "dmy": "day first (DD/MM/YYYY)",
    "ymd": "year first",
}


def setting(options: ReadOptions, name: str) -> str | None:
    """The value of ``--set NAME=VALUE`` (stripped), or None when not given or empty."""
    sets: Mapping[str, str] = options.sets
    value = sets.get(name)
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def when(
    raw: RawTable,
    header: str | None,
    kind: Kind,
    options: ReadOptions,
    *,
    default: DateOrder,
    export: str,
) -> tuple[pl.Series, list[str]]:
    """The date column `header` and the notes its reading needs.

    ``--dates`` wins; else the column's own unambiguous values decide; a column whose values are
    all ambiguous (``09/03/2026``) reads in `default`, the order `export` writes, with a note.
    """
    if header is None:
        return text(raw, None), []
    if options.dates is not None:
        return values(raw, header, kind, dates=options.dates), []
    got = parse(kind, text(raw, header))
    if not got.bad.any():
        return got.values, []
    out = values(raw, header, kind, dates=default)
    return out, [
        f"'{header}' holds only ambiguous dates: read {ORDER_WORDS[default]}, as {export} "
        f"writes them (--dates dmy|mdy to change)"
    ]


_PLAIN_OR_DOTTED = r"^(?:\d+|\d{1,3}(?:\.\d{3})+)$"


def counts(raw: RawTable, header: str) -> pl.Series:
    """A column of counts (Int64). Counts are whole, so a column written only in digits and
    ``.``-grouped thousands (``2.140`` in German and Portuguese exports) reads as thousands."""
    cells = text(raw, header)
    filled = cells.drop_nulls()
    dotted = filled.str.contains(r"\.")
    if dotted.any() and filled.str.contains(_PLAIN_OR_DOTTED).all():
        frame = raw.frame.with_columns(pl.col(header).str.replace_all(".", "", literal=True))
        raw = replace(raw, frame=frame)
    return values(raw, header, "int")


def link_frame(urls: pl.Series) -> pl.DataFrame:
    """posts' link_url, utm_* and campaign for each link, parsed as the pulls parse them."""
    rows = [link_columns(u) for u in urls.to_list()]
    names = ["link_url", "utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"]
    cols = {n: pl.Series(n, [r[n] for r in rows], dtype=pl.String) for n in names}
    cols["campaign"] = cols["utm_campaign"].alias("campaign")
    return pl.DataFrame(list(cols.values()))


def lifetime_warning(as_of: datetime) -> str:
    return (
        f"these are lifetime totals as of {as_of:%Y-%m-%d}; months before it will show no "
        "metric history"
    )


def next_midnight(t: datetime | date) -> datetime:
    """Midnight UTC after the day of `t`: the time a snapshot of everything up to it is taken."""
    day = t.astimezone(UTC).date() if isinstance(t, datetime) else t
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
