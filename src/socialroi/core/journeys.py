"""Journeys: which conversion each touch belongs to (design §4).

A touch belongs to the first conversion of the same contact at or after it (touch ts ≤ conversion
ts), provided it lies in that conversion's lookback window: at or after the window's start,
`lookback` days before the conversion's first milestone (the earliest of its ts, lead creation and
deal creation; :func:`socialroi.core.conversions.window_start`). So each touch credits at most one
conversion of the frame it is matched against, and a deal's journey reaches back from the lead
or deal creation that opened its cycle, not from its close. Touches after a contact's last
conversion, or before the window of the next one, belong to none: they are the non-converting
part of the journeys that data-driven models compare against.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from socialroi.core.conversions import conform_conversions, window_start
from socialroi.errors import DataError
from socialroi.schema import UTC_TS

#: Columns every touch frame needs.
TOUCH_REQUIRED: tuple[str, ...] = ("contact_id", "ts", "channel")


def conform_touches(touchpoints: pl.DataFrame, *, source: str | None = None) -> pl.DataFrame:
    """`touchpoints` with every column kept, ts as UTC microseconds (naive taken as UTC).

    Raises DataError for a missing contact_id/ts/channel column or an empty ts.
    """
    for col in TOUCH_REQUIRED:
        if col not in touchpoints.columns:
            raise DataError("missing required column", file=source, column=col)
    dtype = touchpoints.schema["ts"]
    ts = pl.col("ts")
    if isinstance(dtype, pl.Date):
        ts, dtype = ts.cast(pl.Datetime("us")), pl.Datetime("us")
    if isinstance(dtype, pl.Datetime):
        ts = ts.dt.replace_time_zone("UTC") if dtype.time_zone is None else ts
        ts = ts.dt.convert_time_zone("UTC").dt.cast_time_unit("us")
    else:
        ts = ts.cast(UTC_TS)
    out = touchpoints.with_columns(ts.alias("ts"), pl.col("channel").cast(pl.String))
    nulls = out.get_column("ts").is_null()
    if nulls.any():
        raise DataError(
            "touch has no time", file=source, row=int(nulls.arg_true()[0]) + 1, column="ts"
        )
    return out


def _contact_then_time(touches: pl.DataFrame) -> bool:
    """Whether rows are sorted by contact_id, and by ts within each contact."""
    contact = touches.get_column("contact_id")
    if not contact.is_sorted():
        return False
    same = contact.slice(1) == contact.slice(0, contact.len() - 1)
    ts = touches.get_column("ts")
    back = ts.slice(1) < ts.slice(0, ts.len() - 1)
    return not bool((same & back).any())


@dataclass(frozen=True)
class _Runs:
    """Rows grouped by contact: where each contact's run starts, its first contact value."""

    new: np.ndarray  # bool per row: a run starts here
    starts: np.ndarray  # row of each run's start
    heads: pl.Series  # each run's contact
    sorted: bool  # runs come in sorted contact order


def _runs(contact: pl.Series, hashes: np.ndarray | None = None) -> _Runs | None:
    """The runs of `contact` when every contact's rows are consecutive; None otherwise.

    `hashes`, when given, is each row's contact hash and the rows are sorted by it: runs with
    different hashes then hold different contacts, and only runs sharing a hash are compared.
    """
    n = contact.len()
    # A contact repeated early (rows in time order, say) shows in the first rows: stop there.
    head = contact.slice(0, min(n, 1 << 16))
    if head.gather(np.flatnonzero(_run_starts(head))).is_duplicated().any():
        return None
    new = _run_starts(contact)
    starts = np.flatnonzero(new)
    heads = contact.gather(starts)
    # Neighbouring runs differ, so sorted heads are distinct: the store's order needs no sort.
    if heads.null_count() == 0 and heads.is_sorted():
        return _Runs(new, starts, heads, sorted=True)
    if hashes is not None:
        by_hash = hashes[starts]
        shared = np.flatnonzero(by_hash[1:] == by_hash[:-1])
        suspects = heads.gather(np.union1d(shared, shared + 1))
        if suspects.is_duplicated().any():
            return None
        return _Runs(new, starts, heads, sorted=False)
    ranked = heads.sort(nulls_last=True)
    if ranked.len() > 1 and ranked.slice(1).eq_missing(ranked.slice(0, ranked.len() - 1)).any():
        return None
    return _Runs(new, starts, heads, sorted=False)


def _run_starts(column: pl.Series) -> np.ndarray:
    """True where a row differs from the row before it (nulls equal each other); row 0 is."""
    before = column.shift(1)
    new = column.ne_missing(before).to_numpy()
    if len(new):
        new[0] = True
    return new


def contact_runs(contact: pl.Series) -> np.ndarray | None:
    """Where each contact's run of rows starts (bool per row), when every contact's rows are
    consecutive (one run per contact, in any contact order); None otherwise."""
    found = _runs(contact)
    return None if found is None else found.new


def _runs_in_time(touches: pl.DataFrame, hashes: np.ndarray | None = None) -> _Runs | None:
    """_runs of `touches`' contacts when, besides, each contact's rows are in time order."""
    found = _runs(touches.get_column("contact_id"), hashes)
    if found is None:
        return None
    ts = touches.get_column("ts").to_physical().to_numpy()
    # Time goes back only where a new contact starts.
    back = np.flatnonzero(ts[1:] < ts[:-1])
    if not found.new[back + 1].all():
        return None
    return found


def grouped_in_time(touches: pl.DataFrame) -> np.ndarray | None:
    """contact_runs of `touches` when, besides, each contact's rows are in time order."""
    found = _runs_in_time(touches)
    return None if found is None else found.new


def match_forward(touches: pl.DataFrame, convs: pl.DataFrame) -> tuple[pl.DataFrame, pl.Expr]:
    """The assignment rule in one place: each touch joined to the first conversion of the same
    contact at or after it (`convs` has contact_id, conv_ts and window_start, sorted by contact_id
    and conv_ts), and the expression that is true where the touch lies in that conversion's
    window."""
    joined = touches.join_asof(
        convs,
        left_on="ts",
        right_on="conv_ts",
        by="contact_id",
        strategy="forward",
        check_sortedness=False,
        coalesce=False,
    )
    inside = pl.col("ts") >= pl.col("window_start")
    return joined, inside


@dataclass(frozen=True)
class Grouped:
    """Touches grouped by contact, each contact's rows in time order (ties in input order).

    `order` lists the input rows in grouped order (None: the input already is grouped). The
    rest is in grouped order: `runs` flags each contact's first row, `conversion` gives each
    row's conversion as a row number of the conversions frame (-1: none), as assign_touches
    assigns them, and `candidates` lists (ascending) the rows of every contact that has a
    conversion, the only rows `conversion` can be set on. `sorted_contacts`: the contacts come
    in sorted order (the store's order).
    """

    order: np.ndarray | None
    runs: np.ndarray
    conversion: np.ndarray
    candidates: np.ndarray
    sorted_contacts: bool

    def in_input_order(self) -> np.ndarray:
        """`conversion` for the input's rows, in input order."""
        if self.order is None:
            return self.conversion
        out = np.empty_like(self.conversion)
        out[self.order] = self.conversion
        return out


def group_touches(
    touches: pl.DataFrame, convs: pl.DataFrame, *, lookback_days: int
) -> Grouped | None:
    """Conformed `touches` (any row order) grouped by contact in time order, each row's
    conversion found among conformed `convs`; None when there are no touches.

    Input already grouped (the store's order, a CRM export's) is used as it is; other input is
    put in order by one sort on the contact's hash and the time, with an exact check (two
    contacts sharing a hash fall back to a sort on the contact itself).
    """
    if touches.height == 0:
        return None
    # Chunks as they come: joining them would copy every contact id (a fresh allocation as
    # large as the column) only to compare neighbours.
    narrow = touches.select("contact_id", "ts")
    order: np.ndarray | None = None
    found = _runs_in_time(narrow)
    if found is None:
        order, hashes, ts = _hash_time_order(narrow)
        by_hash = pl.DataFrame(
            {
                "contact_id": narrow.get_column("contact_id").gather(order),
                "ts": pl.Series("ts", ts).cast(narrow.schema["ts"]),
            }
        )
        found = _runs_in_time(by_hash, hashes)
        if found is None:
            order = _arg_sort(narrow)
            by_hash = narrow[order]
            found = _runs_in_time(by_hash)
        if found is None:  # pragma: no cover - sorted rows are grouped in time
            raise AssertionError("sorted touches are not grouped by contact")
        narrow = by_hash
    conversion, candidates = _conversion_rows(narrow.get_column("ts"), found, convs, lookback_days)
    return Grouped(order, found.new, conversion, candidates, found.sorted)


def _hash_time_order(narrow: pl.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The row order sorting `narrow` by (contact hash, ts, row), and the hashes and the
    physical times in that order.

    One sort on a single 64-bit key does most of it: the hash's top 32 bits above the time
    (coarsened to fit 32 bits). Rows that key cannot order (two contacts sharing the top bits,
    or one contact's touches in the same time step) are then sorted exactly, run by run.
    """
    hashes = narrow.get_column("contact_id").hash().to_numpy()
    ts = narrow.get_column("ts").to_physical().to_numpy()
    t0 = int(ts.min())
    step = max(0, (int(ts.max()) - t0).bit_length() - 32)
    key = (hashes >> np.uint64(32)) << np.uint64(32)
    key |= ((ts - t0) >> step).astype(np.uint64)
    order = pl.Series(key).arg_sort().to_numpy(writable=True)
    del key
    hashes, ts = hashes[order], ts[order]
    # Adjacent rows out of (hash, ts, row) order; each spoils its run of equal top bits.
    worse = hashes[1:] < hashes[:-1]
    tie = hashes[1:] == hashes[:-1]
    worse |= tie & (ts[1:] < ts[:-1])
    worse |= tie & (ts[1:] == ts[:-1]) & (order[1:] < order[:-1])
    spoilt = np.flatnonzero(worse)
    if len(spoilt) == 0:
        return order, hashes, ts
    top = np.unique(hashes[spoilt] >> np.uint64(32))
    sorted_top = hashes >> np.uint64(32)
    lo = np.searchsorted(sorted_top, top, side="left")
    hi = np.searchsorted(sorted_top, top, side="right")
    size = hi - lo
    rows = np.repeat(lo - (np.cumsum(size) - size), size) + np.arange(size.sum())
    part = pl.DataFrame({"hash": hashes[rows], "ts": ts[rows], "row": order[rows]})
    again = part.select(pl.arg_sort_by("hash", "ts", "row")).to_series().to_numpy()
    order[rows] = order[rows][again]
    hashes[rows] = hashes[rows][again]
    ts[rows] = ts[rows][again]
    return order, hashes, ts


def _arg_sort(keys: pl.DataFrame) -> np.ndarray:
    """Row order sorting `keys` by its columns in turn, ties in row order."""
    row = pl.int_range(pl.len(), dtype=pl.UInt32 if keys.height < 2**32 else pl.UInt64)
    return keys.select(pl.arg_sort_by(*keys.columns, row)).to_series().to_numpy()


def _conversion_rows(
    ts: pl.Series, runs: _Runs, convs: pl.DataFrame, lookback_days: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each grouped row's conversion (a row of `convs`, -1: none) given the rows' times `ts`,
    and the rows of the contacts that have a conversion.

    Only those contacts take part in the matching: each is a run of rows, numbered by its
    position, so the match runs on integer keys over a small share of the rows.
    """
    n = ts.len()
    dtype = np.int32 if convs.height < 2**31 else np.int64
    conversion = np.full(n, -1, dtype=dtype)
    heads = runs.heads.cast(pl.String)
    right = convs.select(
        "contact_id",
        pl.col("ts").alias("conv_ts"),
        window_start(lookback_days),
        "conversion_id",
        pl.int_range(pl.len(), dtype=pl.Int64).alias("_k"),
    )
    if runs.sorted:
        at = heads.search_sorted(right.get_column("contact_id")).to_numpy().astype(np.int64)
        hit = at < heads.len()
        wanted = right.get_column("contact_id").filter(pl.Series(hit))
        hit[hit] = (heads.gather(at[hit]) == wanted).to_numpy()
        right = right.filter(pl.Series(hit)).with_columns(pl.Series("_b", at[hit]))
    else:
        blocks = pl.DataFrame({"contact_id": heads, "_b": np.arange(heads.len(), dtype=np.int64)})
        right = right.join(blocks, on="contact_id", how="inner")
    block = np.unique(right.get_column("_b").to_numpy())
    size = np.diff(np.append(runs.starts, n))[block]
    rows = np.repeat(runs.starts[block] - (np.cumsum(size) - size), size) + np.arange(size.sum())
    if right.height == 0:
        return conversion, rows
    left = pl.DataFrame({"contact_id": np.repeat(block, size), "ts": ts.gather(rows)})
    right = right.select(
        pl.col("_b").alias("contact_id"), "conv_ts", "window_start", "conversion_id", "_k"
    )
    joined, inside = match_forward(
        left, right.sort("contact_id", "conv_ts", "conversion_id").drop("conversion_id")
    )
    matched = joined.select(pl.when(inside).then(pl.col("_k")).fill_null(-1)).to_series()
    conversion[rows] = matched.to_numpy()
    return conversion, rows


def _assign(
    touches: pl.DataFrame, conversions: pl.DataFrame, lookback_days: int, carry: Sequence[str]
) -> pl.DataFrame:
    """assign_touches on conformed `touches` whose rows are in time order within each contact."""
    added = ["conversion_id", "conv_ts", *carry]
    convs = (
        conform_conversions(conversions)
        .select(
            "conversion_id",
            "contact_id",
            pl.col("ts").alias("conv_ts"),
            window_start(lookback_days),
            *carry,
        )
        .sort("contact_id", "conv_ts", "conversion_id")
    )
    joined, inside = match_forward(touches, convs)
    out = joined.with_columns(pl.when(inside).then(pl.col(c)).alias(c) for c in added)
    return out.drop("window_start")


def assign_in_input_order(
    touchpoints: pl.DataFrame,
    conversions: pl.DataFrame,
    *,
    lookback_days: int = 90,
    carry: Sequence[str] = (),
) -> pl.DataFrame | None:
    """assign_touches keeping the input's row order, when every contact's touches are
    consecutive rows in time order (as a CRM export lists them); None for any other input.

    Sorting the result by ts (stable) gives exactly assign_touches' result.
    """
    if lookback_days < 0:
        raise DataError(f"lookback_days must be 0 or more, not {lookback_days}")
    added = ["conversion_id", "conv_ts", *carry]
    touches = conform_touches(touchpoints).drop(added, strict=False)
    if grouped_in_time(touches) is None:
        return None
    return _assign(touches, conversions, lookback_days, carry)


def assign_touches(
    touchpoints: pl.DataFrame,
    conversions: pl.DataFrame,
    *,
    lookback_days: int = 90,
    carry: Sequence[str] = (),
    keep_order: bool = False,
) -> pl.DataFrame:
    """Every touch plus `conversion_id` and `conv_ts` of the conversion it belongs to (else null).

    `carry` names further CONVERSIONS columns (kind, value, milestones) to bring along the same way.

    The result is sorted by ts; touches at the same time keep their input order, so within each
    contact (and each conversion) the rows are in journey order. With `keep_order`, input that is
    already sorted by contact then time (as the store keeps touchpoints) keeps its order instead,
    which saves a sort.
    """
    if lookback_days < 0:
        raise DataError(f"lookback_days must be 0 or more, not {lookback_days}")
    added = ["conversion_id", "conv_ts", *carry]
    touches = conform_touches(touchpoints).drop(added, strict=False)
    # Sorting by time alone (stable) is much cheaper than by contact then time, and join_asof
    # with `by` only needs each contact's rows in time order.
    ts = touches.get_column("ts")
    if ts.is_sorted() or (keep_order and _contact_then_time(touches)):
        ordered = touches
    else:
        ordered = touches.sort("ts", maintain_order=True)
    return _assign(ordered, conversions, lookback_days, carry)
