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

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property

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
    """Rows grouped by contact: where each contact's run starts, and the contacts."""

    new: np.ndarray  # bool per row: a run starts here
    starts: np.ndarray  # row of each run's start
    contact: pl.Series  # each row's contact (with `at`: each input row's)
    sorted: bool  # runs come in sorted contact order (no nulls)
    at: np.ndarray | None = None  # the input row at each row, when rows were reordered
    bucket: np.ndarray | None = None  # each run's top `hash_bits` contact hash bits, ascending
    hash_bits: int = 0

    @cached_property
    def heads(self) -> pl.Series:
        """Each run's contact."""
        return self.contact.gather(self.starts if self.at is None else self.at[self.starts])


def _runs(contact: pl.Series) -> _Runs | None:
    """The runs of `contact` when every contact's rows are consecutive; None otherwise."""
    n = contact.len()
    # A contact repeated early (rows in time order, say) shows in the first rows: stop there.
    head = contact.slice(0, min(n, 1 << 16))
    if head.gather(np.flatnonzero(_run_starts(head))).is_duplicated().any():
        return None
    new = _run_starts(contact)
    starts = np.flatnonzero(new)
    # Rows that never go down hold sorted runs, and neighbouring runs differ, so each contact
    # has one run: the store's order needs no sort and no look at the runs' contacts. (Text
    # only: conversions find their contact by a search in text order.)
    sortable = contact.dtype == pl.String and contact.null_count() == 0
    if sortable and _heads_ascend(contact, starts):
        return _Runs(new, starts, contact, sorted=True)
    found = _Runs(new, starts, contact, sorted=False)
    ranked = found.heads.sort(nulls_last=True)
    if ranked.len() > 1 and ranked.slice(1).eq_missing(ranked.slice(0, ranked.len() - 1)).any():
        return None
    return found


def _heads_ascend(contact: pl.Series, starts: np.ndarray) -> bool:
    """Whether the runs' contacts (at rows `starts`) never go down: then, as a run's rows all
    hold its contact, the column is sorted. Read chunk by chunk (a gather within one chunk
    is cheap), then across the seams between chunks."""
    at = 0
    seams: list[int] = []  # each chunk's first and last run start, for chunks holding one
    for chunk in contact.get_chunks():
        m = chunk.len()
        lo, hi = np.searchsorted(starts, [at, at + m])
        if hi > lo:
            if not chunk.gather(starts[lo:hi] - at).is_sorted():
                return False
            seams += [int(starts[lo]), int(starts[hi - 1])]
        at += m
    if len(seams) <= 2:
        return True
    ends = contact.gather(seams)
    # The last run of each chunk against the first of the next chunk holding one.
    return not bool((ends.gather_every(2, 2) < ends.gather_every(2, 1).head(-1)).any())


def _differs(row: pl.Series, before: pl.Series) -> pl.Series:
    """Where a row differs from the row above it (nulls equal each other)."""
    if row.has_nulls() or before.has_nulls():
        return row.ne_missing(before)
    return row != before


def _before(row: pl.Series, before: pl.Series) -> pl.Series:
    """Where a row sorts before the row above it (nulls: false)."""
    less = row < before
    return less.fill_null(False) if less.has_nulls() else less


def _neighbours(column: pl.Series, op: Callable[[pl.Series, pl.Series], pl.Series]) -> np.ndarray:
    """op(row, the row before it) for every row but the first (false there), bool per row.

    Worked out chunk by chunk: two slices of one chunk line up, so no value is copied (slices
    of the whole column would be realigned, copying a column as large as the input).
    """
    n = column.len()
    out = np.empty(n, dtype=bool)
    if n == 0:
        return out
    out[0] = False
    at = 0
    seams: list[int] = []
    for chunk in column.get_chunks():
        m = chunk.len()
        if m == 0:
            continue
        if at:
            seams.append(at)
        if m > 1:
            out[at + 1 : at + m] = op(chunk.slice(1), chunk.slice(0, m - 1)).to_numpy()
        at += m
    if seams:
        rows = np.array(seams)
        out[rows] = op(column.gather(rows), column.gather(rows - 1)).to_numpy()
    return out


def _run_starts(column: pl.Series) -> np.ndarray:
    """True where a row differs from the row before it (nulls equal each other); row 0 is."""
    new = _neighbours(column, _differs)
    if len(new):
        new[0] = True
    return new


def contact_runs(contact: pl.Series) -> np.ndarray | None:
    """Where each contact's run of rows starts (bool per row), when every contact's rows are
    consecutive (one run per contact, in any contact order); None otherwise."""
    found = _runs(contact)
    return None if found is None else found.new


def _runs_in_time(touches: pl.DataFrame) -> _Runs | None:
    """_runs of `touches`' contacts when, besides, each contact's rows are in time order."""
    found = _runs(touches.get_column("contact_id"))
    if found is None:
        return None
    # Time goes back only where a new contact starts.
    back = _neighbours(touches.get_column("ts"), _before)
    if (back & ~found.new).any():
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
    touches: pl.DataFrame,
    convs: pl.DataFrame,
    *,
    lookback_days: int,
    on_grouped: Callable[[np.ndarray | None, np.ndarray, np.ndarray], object] | None = None,
) -> Grouped | None:
    """Conformed `touches` (any row order) grouped by contact in time order, each row's
    conversion found among conformed `convs`; None when there are no touches. `on_grouped`,
    when given, is called with the future Grouped's `order` and `runs`, and the rows where
    `runs` is set, as soon as they are known, before the conversions are matched (work that
    needs only those can start then; it must not change them).

    Input already grouped (the store's order, a CRM export's) is used as it is, checked by
    comparing neighbouring rows chunk by chunk (no column is copied); other input is put in
    order by one sort of packed 64-bit values (contact hash bits, time step, row number), the
    few rows that key leaves out of exact order sorted again by contact and time
    (:func:`_hash_time_order`).
    """
    if touches.height == 0:
        return None
    # Chunks as they come: joining them would copy every contact id (a fresh allocation as
    # large as the column) only to compare neighbours.
    narrow = touches.select("contact_id", "ts")
    order: np.ndarray | None = None
    found = _runs_in_time(narrow)
    if found is None:
        packed = _hash_time_order(narrow)
        if packed is None:  # pragma: no cover - more rows than a packed key can number
            order = _arg_sort(narrow)
            found = _runs_in_time(narrow[order])
            if found is None:
                raise AssertionError("sorted touches are not grouped by contact")
            found = _Runs(found.new, found.starts, narrow.get_column("contact_id"), False, order)
        else:
            order, found = packed
    if on_grouped is not None:
        on_grouped(order, found.new, found.starts)
    ts = narrow.get_column("ts")
    conversion, candidates = _conversion_rows(ts, found, convs, lookback_days)
    return Grouped(order, found.new, conversion, candidates, found.sorted)


def _contact_hashes(contact: pl.Series) -> np.ndarray:
    """Each row's contact hash (uint64), chunk by chunk into one array."""
    return _chunked_array(contact, lambda chunk: chunk.hash(), np.uint64)


def _chunked_array(
    column: pl.Series, fn: Callable[[pl.Series], pl.Series], dtype: type[np.generic]
) -> np.ndarray:
    """fn of each chunk of `column`, into one array: no column-sized frame is allocated (one
    chunk is read in place; the array may then be read-only)."""
    if column.n_chunks() == 1:
        return fn(column).to_numpy().astype(dtype, copy=False)
    out = np.empty(column.len(), dtype=dtype)
    at = 0
    for chunk in column.get_chunks():
        m = chunk.len()
        out[at : at + m] = fn(chunk).to_numpy()
        at += m
    return out


#: Rows packed into sort keys at a time (_hash_time_order).
_PACK_PIECE = 1 << 20
#: At most this many threads compare contact texts (_gathered_run_starts).
_TEXT_THREADS = 8


def _hash_time_order(
    narrow: pl.DataFrame, *, hash_bits: int | None = None, time_bits: int | None = None
) -> tuple[np.ndarray, _Runs] | None:
    """The rows of `narrow` (contact_id, ts; any order) grouped by contact, each contact's rows
    in (ts, row) order: the row order and its runs. None when the rows are too many to number
    in a packed key.

    One sort of 64-bit values does most of it: each value packs the top bits of the contact's
    hash, the time (coarsened to the bits left) and the row number, so the sorted values give
    the order, with no gather. A run of equal hash bits (a "bucket") that holds one contact and
    no two rows in the same time step is then exactly in order. The others (two contacts
    sharing the bits, or two touches of one contact in one time step) are sorted again exactly,
    by contact, time and row, each within its own place. Contacts are told apart by their text,
    so a hash never decides. `hash_bits` and `time_bits` narrow the key (tests use them to make
    buckets and time steps shared).
    """
    n = narrow.height
    row_bits = max(1, (n - 1).bit_length())
    room = 64 - row_bits
    if room < 16:  # pragma: no cover - 2**48 rows
        return None
    h_bits = min(room, row_bits + 3) if hash_bits is None else max(1, min(room, hash_bits))
    t_bits = room - h_bits if time_bits is None else max(0, min(room - h_bits, time_bits))
    contact = narrow.get_column("contact_id")
    ts_col = narrow.get_column("ts").to_physical()
    ts = _chunked_array(ts_col, lambda chunk: chunk, np.int64)
    t0 = int(ts.min())
    step = max(0, (int(ts.max()) - t0).bit_length() - t_bits)
    # [top h_bits of the hash][time step, t_bits][gap][row number, row_bits], packed a piece
    # at a time: column-sized arrays are few (each fresh one costs its page faults), and the
    # pieces' scratch arrays are the same few megabytes used again.
    key = np.empty(n, dtype=np.uint64)
    for lo in range(0, n, _PACK_PIECE):
        hi = min(lo + _PACK_PIECE, n)
        part = key[lo:hi]
        np.right_shift(_contact_hashes(contact.slice(lo, hi - lo)), 64 - h_bits, out=part)
        part <<= np.uint64(64 - h_bits)
        if t_bits:
            coarse = np.subtract(ts[lo:hi], t0)
            coarse >>= step
            shifted = coarse.view(np.uint64)
            shifted <<= np.uint64(64 - h_bits - t_bits)
            part |= shifted
        part |= np.arange(lo, hi, dtype=np.uint64)
    ranked = pl.Series(key).sort().to_numpy()
    # The row numbers, and the bucket and time step where the unsorted keys were.
    order = np.bitwise_and(ranked, np.uint64((1 << row_bits) - 1)).view(np.int64)
    key = np.right_shift(ranked, np.uint64(row_bits), out=key)  # bucket, then the time step
    del ranked
    new = _gathered_run_starts(contact, order)
    # One contact's rows in one time step are in row order: put those back in time order.
    tie = key[1:] == key[:-1]
    tie &= ~new[1:]
    key >>= np.uint64(room - h_bits)  # the bucket
    if tie.any():
        pair = np.flatnonzero(tie)
        back = pair[ts[order[pair + 1]] < ts[order[pair]]]
        if len(back):
            # A step's rows of one contact follow each other (a run of tied pairs): each such
            # group holding a pair out of time order is sorted again.
            apart = pair[1:] != pair[:-1] + 1
            first_pair = pair[np.append(True, apart)]
            last_pair = pair[np.append(apart, True)]
            group = np.searchsorted(first_pair, back, side="right") - 1
            group = group[np.append(True, group[1:] != group[:-1])]
            _resort(order, first_pair[group], last_pair[group] + 2, ts)
    del tie
    starts = _split_shared_buckets(order, key, new, contact, ts)
    run_bucket = key[starts]
    del key
    return order, _Runs(new, starts, contact, False, order, run_bucket, h_bits)


def _gathered_run_starts(contact: pl.Series, order: np.ndarray, piece: int = 1 << 18) -> np.ndarray:
    """_run_starts of `contact` taken in `order`, a piece at a time: each piece's texts are
    compared and dropped, so the memory they take is used again, not asked afresh of the
    system for the whole column. The pieces are shared among as many threads as polars has
    (up to _TEXT_THREADS): gathering texts at random waits on memory, outside the interpreter
    lock."""
    n = len(order)
    new = np.empty(n, dtype=bool)

    def compare(at: int) -> None:
        lo = max(at - 1, 0)
        part = _run_starts(contact.gather(order[lo : at + piece]))
        new[at : at + piece] = part[at - lo :]

    pieces = range(0, n, piece)
    workers = min(pl.thread_pool_size(), len(pieces), _TEXT_THREADS)
    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for done in pool.map(compare, pieces):
                del done
    else:
        for at in pieces:
            compare(at)
    if n:
        new[0] = True
    return new


def _split_shared_buckets(
    order: np.ndarray, bucket: np.ndarray, new: np.ndarray, contact: pl.Series, ts: np.ndarray
) -> np.ndarray:
    """Where each contact's run starts, once every contact has one run.

    A bucket (rows of equal `bucket`, ascending) holding several contacts keeps each in one run
    unless their rows interleave: the buckets where a contact has two runs are sorted again,
    in place, by contact, time (`ts`) and row, and their runs marked anew in `new`.
    `contact` holds each input row's contact.
    """
    starts = np.flatnonzero(new)
    run_bucket = bucket[starts]
    shared = np.flatnonzero(run_bucket[1:] == run_bucket[:-1])
    if len(shared) == 0:
        return starts
    suspect = np.zeros(len(starts), dtype=bool)
    suspect[shared] = True
    suspect[shared + 1] = True
    suspects = np.flatnonzero(suspect)
    heads = pl.DataFrame(
        {"bucket": run_bucket[suspects], "contact_id": contact.gather(order[starts[suspects]])}
    )
    twice = suspects[heads.is_duplicated().to_numpy()]
    if len(twice) == 0:
        return starts
    value = run_bucket[twice]  # ascending
    value = value[np.append(True, value[1:] != value[:-1])]
    begin = np.searchsorted(bucket, value, side="left")
    rows = _resort(order, begin, np.searchsorted(bucket, value, side="right"), ts, contact)
    # Each bucket's first row stays a run's first: the bucket before holds other contacts.
    new[rows] = _run_starts(contact.gather(order[rows]))
    return np.flatnonzero(new)


def _resort(
    order: np.ndarray,
    begin: np.ndarray,
    end: np.ndarray,
    ts: np.ndarray,
    contact: pl.Series | None = None,
) -> np.ndarray:
    """Sort again, in place, the groups of `order` from each `begin` to its `end` (ascending,
    apart): each group's rows by contact (`contact`, each input row's, when given), input time
    `ts` and row, within the group's own places. Returns those places."""
    size = end - begin
    rows = np.repeat(begin - (np.cumsum(size) - size), size) + np.arange(size.sum())
    group = np.repeat(np.arange(len(begin)), size)
    part = pl.DataFrame({"group": group, "ts": ts[order[rows]], "row": order[rows]})
    keys = ["group", "ts", "row"]
    if contact is not None:
        part = part.with_columns(contact.gather(order[rows]).alias("contact_id"))
        keys = ["group", "contact_id", "ts", "row"]
    again = part.select(pl.arg_sort_by(keys)).to_series().to_numpy()
    order[rows] = order[rows][again]
    return rows


def _arg_sort(keys: pl.DataFrame) -> np.ndarray:
    """Row order sorting `keys` by its columns in turn, ties in row order."""
    row = pl.int_range(pl.len(), dtype=pl.UInt32 if keys.height < 2**32 else pl.UInt64)
    return keys.select(pl.arg_sort_by(*keys.columns, row)).to_series().to_numpy()


def _conversion_rows(
    ts: pl.Series, runs: _Runs, convs: pl.DataFrame, lookback_days: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each grouped row's conversion (a row of `convs`, -1: none) given the rows' times `ts`
    (each input row's, when `runs` reordered them), and the rows of the contacts that have a
    conversion.

    Only those contacts take part in the matching: each is a run of rows, numbered by its
    position, so the match runs on integer keys over a small share of the rows.
    """
    n = ts.len()
    dtype = np.int32 if convs.height < 2**31 else np.int64
    conversion = np.full(n, -1, dtype=dtype)
    right = convs.select(
        "contact_id",
        pl.col("ts").alias("conv_ts"),
        window_start(lookback_days),
        "conversion_id",
        pl.int_range(pl.len(), dtype=pl.Int64).alias("_k"),
    )
    if runs.sorted:
        # Each conversion's contact looked up among the sorted rows: its first row starts its run.
        contact = runs.contact
        wanted = right.get_column("contact_id")
        at = contact.search_sorted(wanted, side="left").to_numpy().astype(np.int64)
        hit = at < n
        hit[hit] = (contact.gather(at[hit]) == wanted.filter(pl.Series(hit))).to_numpy()
        found = np.searchsorted(runs.starts, at[hit])
        right = right.filter(pl.Series(hit)).with_columns(pl.Series("_b", found, dtype=pl.Int64))
    elif runs.bucket is not None and runs.contact.dtype == pl.String:
        # Runs ordered by their contacts' hash bits: each conversion's contact is looked up by
        # its own bits, then its text compared with the runs holding those bits.
        wanted = right.get_column("contact_id")
        bits = _contact_hashes(wanted) >> np.uint64(64 - runs.hash_bits)
        # Searched in ascending order, each search starts where the one before ended: far
        # fewer trips through the column-sized bucket array than in the conversions' order.
        by_bits = np.argsort(bits, kind="stable")
        ranked = bits[by_bits]
        lo = np.empty(len(bits), dtype=np.intp)
        size = np.empty(len(bits), dtype=np.intp)
        lo[by_bits] = np.searchsorted(runs.bucket, ranked, side="left")
        size[by_bits] = np.searchsorted(runs.bucket, ranked, side="right")
        size -= lo
        conv = np.repeat(np.arange(len(lo)), size)
        run = np.repeat(lo - (np.cumsum(size) - size), size) + np.arange(size.sum())
        first = runs.starts[run] if runs.at is None else runs.at[runs.starts[run]]
        same = (runs.contact.gather(first) == wanted.gather(conv)).to_numpy()
        right = right[conv[same]].with_columns(pl.Series("_b", run[same], dtype=pl.Int64))
    else:
        heads = runs.heads.cast(pl.String)
        blocks = pl.DataFrame({"contact_id": heads, "_b": np.arange(heads.len(), dtype=np.int64)})
        right = right.join(blocks, on="contact_id", how="inner")
    block = np.sort(right.get_column("_b").to_numpy())
    block = block[np.append(True, block[1:] != block[:-1])] if len(block) else block
    size, rows = _rows_of_runs(runs.starts, block, n)
    if right.height == 0:
        return conversion, rows
    at = rows if runs.at is None else runs.at[rows]
    right = right.sort("_b", "conv_ts", "conversion_id")
    touch_ts = ts.gather(at)
    matched = _match_blocks(block, size, touch_ts, right)
    if matched is None:  # pragma: no cover - see _match_blocks
        left = pl.DataFrame({"contact_id": np.repeat(block, size), "ts": touch_ts})
        right = right.select(
            pl.col("_b").alias("contact_id"), "conv_ts", "window_start", "conversion_id", "_k"
        )
        joined, inside = match_forward(left, right.drop("conversion_id"))
        picked = joined.select(pl.when(inside).then(pl.col("_k")).fill_null(-1))
        matched = picked.to_series().to_numpy()
    conversion[rows] = matched
    return conversion, rows


def _rows_of_runs(starts: np.ndarray, block: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The size of each run in `block` (ascending run numbers; runs start at `starts`, n rows
    in all) and their rows, ascending. Each run ends where the next one starts (the last at
    n): read for these runs only."""
    first = starts[block]
    after = block + 1
    size: np.ndarray = np.where(after < len(starts), starts[np.minimum(after, len(starts) - 1)], n)
    size -= first
    rows = np.repeat(first - (np.cumsum(size) - size), size) + np.arange(size.sum())
    return size, rows


def _match_blocks(
    block: np.ndarray, size: np.ndarray, touch_ts: pl.Series, right: pl.DataFrame
) -> np.ndarray | None:
    """match_forward on integer arrays: for the rows of each run in `block` (ascending; `size`
    rows each, times `touch_ts`, in time order within the run), the `_k` of the first
    conversion of `right` (_b, conv_ts, window_start, _k; sorted by _b, conv_ts, conversion_id;
    every run in `block` has one) of the same run at or after the row, when the row lies in its
    window; -1 otherwise. One search of packed (run, time) keys: None when they do not fit 63
    bits (join_asof then)."""
    t = touch_ts.to_physical().to_numpy()
    conv_t = right.get_column("conv_ts").to_physical().to_numpy()
    runs = np.arange(len(block), dtype=np.int64)
    conv_run = np.searchsorted(block, right.get_column("_b").to_numpy())
    # Times count from each run's first conversion, clipped to one step outside its
    # conversions: a clipped time finds the same conversion.
    low = conv_t[np.searchsorted(conv_run, runs, side="left")]
    spread = conv_t[np.searchsorted(conv_run, runs, side="right") - 1] - low
    width = int(spread.max(initial=0)) + 3
    if len(block) * width >= 1 << 62:  # pragma: no cover - conversions spread over millennia
        return None
    row_run = np.repeat(runs, size)
    rel = t - low[row_run]
    np.clip(rel, -1, spread[row_run] + 1, out=rel)
    key = row_run * width + (rel + 1)
    conv_key = conv_run * width + (conv_t - low[conv_run] + 1)
    j = np.searchsorted(conv_key, key, side="left")
    hit = np.flatnonzero(j < len(conv_key))
    hit = hit[conv_run[j[hit]] == row_run[hit]]
    start = right.get_column("window_start").to_physical()
    # A window with no start holds no touch.
    start_at = start.fill_null(np.iinfo(np.int64).max).to_numpy()[j[hit]]
    hit = hit[t[hit] >= start_at]
    out = np.full(len(t), -1, dtype=np.int64)
    out[hit] = right.get_column("_k").to_numpy()[j[hit]]
    return out


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
