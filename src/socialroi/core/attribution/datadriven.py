"""Data-driven models on assigned touches: journeys in, channel credits out, spread over touches.

:func:`journeys_from_touches` turns :func:`socialroi.core.journeys.assign_touches` output into the
long journeys frame :func:`~socialroi.core.attribution.markov.markov` and
:func:`~socialroi.core.attribution.shapley.shapley` read: a converting journey is the touches of
one conversion, a non-converting journey the touches of one contact that no conversion took.

:func:`place_by_channel` and :func:`place_by_set` put a model's credit on the converting touches,
conversion by conversion, so that reports can total by platform, post, employee, campaign or
month: within one conversion its channels share it in proportion to their weight (Markov: the
channel's removal effect; Shapley: the channel's share φ_j(S) / v(S) of that conversion's own
channel set S), and a channel's touches in it share its part equally. Every conversion's credits
sum to 1 and its value credits to its value; no credit sits on a non-converting touch, so any
slice (month, platform, employee…) sums to the conversions in it.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from socialroi.core.attribution.shapley import SET_SEPARATOR
from socialroi.core.journeys import Grouped, contact_runs, group_touches
from socialroi.errors import DataError

_CID = "conversion_id"
_TINY = 2.2250738585072014e-308
JOURNEY_COLUMNS: tuple[str, ...] = ("journey_id", "step", "channel", "converted", "value")


def journeys_from_touches(assigned: pl.DataFrame) -> pl.DataFrame:
    """The long journeys frame: journey_id, step, channel, converted, value.

    `assigned` is assign_touches output (contact_id, ts, channel, conversion_id, and value when
    carried; a missing value counts 0), with each contact's rows in time order (each
    conversion's touches consecutive when rows are grouped by contact). journey_id is an integer;
    step is the row's position in `assigned`, so it orders each journey's touches.
    """
    for col in ("contact_id", "channel", _CID):
        if col not in assigned.columns:
            raise DataError(f"assigned touches need column '{col}'")
    value = pl.col("value").fill_null(0.0) if "value" in assigned.columns else pl.lit(0.0)
    converted = pl.col(_CID).is_not_null()
    contact = assigned.get_column("contact_id")
    runs = contact_runs(contact)
    if runs is not None and assigned.height:
        # Rows grouped by contact in time order (the store's order, a CRM export's): a
        # conversion's touches are one run of rows, so runs number the journeys without
        # ranking any text.
        return _journeys_by_contact(assigned, runs, value)
    if assigned.height:
        # Rows by contact hash (stable, so each contact's rows keep their order) are grouped by
        # contact unless two contacts share a hash and interleave; contact_runs checks that.
        by_hash = assigned.with_columns(
            pl.int_range(pl.len(), dtype=pl.Int64).alias("_row"),
            pl.col("contact_id").hash().alias("_hash"),
        ).sort("_hash", maintain_order=True)
        runs = contact_runs(by_hash.get_column("contact_id"))
        if runs is not None:
            rows = by_hash.get_column("_row").to_numpy()
            out = _journeys_by_contact(by_hash, runs, value)
            return out.with_columns(pl.Series("step", rows[out.get_column("step").to_numpy()]))
    # Dense ranks of plain columns are far cheaper than of a (converted, key) pair;
    # converting journeys take ids 1..C, a contact's non-converting one C + its rank.
    conv_rank = pl.col(_CID).rank("dense").cast(pl.Int64)
    contact_rank = pl.col("contact_id").rank("dense").cast(pl.Int64)
    jid = pl.when(converted).then(conv_rank).otherwise(conv_rank.max().fill_null(0) + contact_rank)
    return assigned.select(
        jid.alias("journey_id"),
        pl.int_range(pl.len(), dtype=pl.Int64).alias("step"),
        pl.col("channel").cast(pl.String),
        converted.alias("converted"),
        pl.when(converted).then(value).otherwise(0.0).cast(pl.Float64).alias("value"),
    )


def _journeys_by_contact(assigned: pl.DataFrame, runs: np.ndarray, value: pl.Expr) -> pl.DataFrame:
    """journeys_from_touches for rows grouped by contact (`runs` flags each contact's first row).

    Rows come out journey by journey, ids increasing: in each contact's block its
    non-converting touches first, then each conversion's touches, every journey in row order.
    """
    n = assigned.height
    cid = assigned.get_column(_CID)
    conv = cid.is_not_null().to_numpy()
    block = np.flatnonzero(runs)
    size = np.diff(np.append(block, n))
    conv_cum = np.cumsum(conv)
    conv_at_start = conv_cum[block] - conv[block]
    conv_count = conv_cum[block + size - 1] - conv_at_start
    # Only contacts with a converting touch have rows to move; the others stay where they are.
    moving = np.repeat(conv_count > 0, size)
    order = np.arange(n)
    if moving.any():
        rows_in = np.flatnonzero(moving)
        owner = np.repeat(np.arange(len(block)), size)[rows_in]
        before = conv_cum[rows_in] - conv[rows_in] - conv_at_start[owner]
        free_count = size[owner] - conv_count[owner]
        # A row's place: its block's start, plus the earlier rows of its kind in the block,
        # plus (for converting rows) the block's non-converting rows.
        place = np.where(
            conv[rows_in],
            block[owner] + free_count + before,
            rows_in - before,
        )
        order[place] = rows_in
    value = pl.when(pl.col(_CID).is_not_null()).then(value).otherwise(0.0).cast(pl.Float64)
    rows = assigned.select(pl.col(_CID), pl.col("channel").cast(pl.String), value.alias("value"))
    if moving.any():
        rows = rows[order]
    moved_cid = rows.get_column(_CID)
    new = runs.copy()
    if n > 1:
        new[1:] |= moved_cid.slice(1).ne_missing(moved_cid.slice(0, n - 1)).to_numpy()
    return pl.DataFrame(
        {
            "journey_id": np.cumsum(new, dtype=np.int64),
            "step": order,
            "channel": rows.get_column("channel"),
            "converted": moved_cid.is_not_null(),
            "value": rows.get_column("value"),
        }
    )


def grouped_journeys(
    touches: pl.DataFrame, convs: pl.DataFrame, lookback_days: int, *, codes: bool = False
) -> pl.DataFrame | None:
    """journeys_from_touches(assign_touches(touches, convs, carry=("value",))) for conformed
    `touches` and `convs`, in any row order, built from the touches grouped by contact; None
    when there are no touches.

    Only contact, time and channel are read, and conversions are told apart by their row number,
    not their id. With `codes` the channel comes out categorical (the same channels and order).
    """
    grouped = group_touches(touches, convs, lookback_days=lookback_days)
    if grouped is None:
        return None
    value = convs.get_column("value").cast(pl.Float64).fill_null(0.0).to_numpy()
    channel = touches.get_column("channel")
    channel = channel.cast(pl.Categorical) if codes else channel.cast(pl.String)
    return journeys_from_grouped(grouped, channel, value)


def journeys_from_grouped(
    grouped: Grouped, channel: pl.Series, conv_value: np.ndarray
) -> pl.DataFrame:
    """The journeys frame of `grouped` touches whose channels (input order) are `channel`;
    `conv_value` holds each conversion's value by conversions row. step numbers grouped rows."""
    if grouped.order is not None:
        channel = channel.gather(grouped.order)
    return journeys_from_index(grouped.runs, grouped.conversion, channel, conv_value)


def journey_order(
    runs: np.ndarray, k: np.ndarray
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Grouped rows journey by journey: the grouped rows in that order (None: they already
    are), `k` in that order, and where each journey starts (bool per row of that order).

    `runs` flags each contact's first row and `k` gives each row's conversion (-1: none). In
    each contact's block its non-converting touches come first (one journey), then each
    conversion's touches (one journey each), every journey in row order: only contacts with a
    converting touch have rows to move.
    """
    n = len(k)
    conv = k >= 0
    block = np.flatnonzero(runs)
    size = np.diff(np.append(block, n))
    conv_cum = np.cumsum(conv, dtype=np.int32 if n < 2**31 else np.int64)
    conv_at_start: np.ndarray = conv_cum[block] - conv[block]
    conv_count: np.ndarray = conv_cum[block + size - 1] - conv_at_start
    moved = conv_count > 0
    order: np.ndarray | None = None
    if moved.any():
        rows_in = np.flatnonzero(np.repeat(moved, size))
        owner = np.repeat(np.flatnonzero(moved), size[moved])
        before: np.ndarray = conv_cum[rows_in] - conv[rows_in] - conv_at_start[owner]
        free_count = size[owner] - conv_count[owner]
        place = np.where(
            conv[rows_in],
            block[owner] + free_count + before,
            rows_in - before,
        )
        del owner, before, free_count
        order = np.arange(n)
        order[place] = rows_in
        del place, rows_in
        k = k[order]
    del conv_cum, conv
    new = runs.copy()
    if n > 1:
        new[1:] |= k[1:] != k[:-1]
    return order, k, new


def journeys_from_index(
    runs: np.ndarray, k: np.ndarray, channel: pl.Series, conv_value: np.ndarray
) -> pl.DataFrame:
    """_journeys_by_contact with each row's conversion as an index `k` (-1: none)."""
    order, k, new = journey_order(runs, k)
    if order is not None:
        channel = channel.gather(order)
    converted = k >= 0
    value = np.zeros(len(k))
    hit = np.flatnonzero(converted)
    value[hit] = conv_value[k[hit]]
    return pl.DataFrame(
        {
            "journey_id": np.cumsum(new, dtype=np.int64),
            "step": np.arange(len(k)) if order is None else order,
            "channel": channel.alias("channel"),
            "converted": converted,
            "value": value,
        }
    )


def _moves(runs: np.ndarray, k: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Where (a position in `rows`) each of `rows` goes to put its contact's rows journey by
    journey (journey_order's order): `rows` ascending, whole contacts, every contact with a
    converting row among them."""
    kr = k[rows]
    conv = kr >= 0
    m = len(rows)
    block = np.flatnonzero(runs[rows])  # each contact's first position in `rows`
    size = np.diff(np.append(block, m))
    owner = np.repeat(np.arange(len(block)), size)
    conv_cum = np.cumsum(conv)
    conv_at_start = conv_cum[block] - conv[block]
    conv_count = conv_cum[block + size - 1] - conv_at_start
    before = conv_cum - conv - conv_at_start[owner]
    local: np.ndarray = np.where(
        conv,
        block[owner] + (size - conv_count)[owner] + before,
        np.arange(m) - before,
    )
    return local


def journey_arrays(
    grouped: Grouped, code: np.ndarray, conv_value: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The journeys of `grouped` touches as arrays, in the order journeys_from_grouped gives
    them: each row's channel code (`code`: per input row), where each journey starts (bool per
    row), and per journey whether it converted and its conversion's value (0 when not).

    Only the rows of contacts with a conversion (`grouped.candidates`) can move.
    """
    code = code[grouped.order] if grouped.order is not None else code.copy()
    k = grouped.conversion
    rows = grouped.candidates
    new = grouped.runs.copy()
    k_first = np.full(int(np.count_nonzero(new)), -1, dtype=k.dtype)
    if len(rows):
        local = _moves(grouped.runs, k, rows)
        code[rows[local]] = code[rows]
        kr = np.empty_like(k, shape=len(rows))
        kr[local] = k[rows]
        # Rows in `rows` follow each other within a contact; a contact's first row starts a
        # journey anyway.
        new[rows[1:]] |= kr[1:] != kr[:-1]
        journeys = np.flatnonzero(new)
        k_first = np.full(len(journeys), -1, dtype=k.dtype)
        starts = np.flatnonzero(new[rows])
        k_first[np.searchsorted(journeys, rows[starts])] = kr[starts]
    converted = k_first >= 0
    value = np.zeros(len(k_first))
    value[converted] = conv_value[k_first[converted]]
    return code, new, converted, value


def _placed(conv: pl.DataFrame, keyed: pl.DataFrame) -> pl.DataFrame:
    """Converting touches `conv` with `credit` and `value_credit`, worked out on `keyed` (the
    same rows: conversion_id, value when known, and a raw weight ``_w`` per row, one per
    conversion and channel ``_ch``): each conversion's channels share it in proportion to their
    weights (equally when its weights are all 0), and a channel's touches in the conversion
    share its part equally. Only the narrow `keyed` frame is worked on; `conv`'s columns are
    kept as they are."""
    value = pl.col("value").fill_null(0.0) if "value" in keyed.columns else pl.lit(0.0)
    # One number per (conversion, channel) when `keyed` has it: the same groups, found faster.
    pair = ["_pair"] if "_pair" in keyed.columns else [_CID, "_ch"]
    n = pl.len().over(pair).cast(pl.Float64)
    w = pl.col("_w").fill_null(0.0).clip(lower_bound=0.0)
    with_n = keyed.with_columns((w / n).alias("_wn"), (1.0 / n).alias("_en"))
    total = pl.col("_wn").sum().over(_CID)
    # Below the smallest normal float a sum counts as 0: dividing by a subnormal overflows.
    credit = (
        pl.when(total >= _TINY)
        .then(pl.col("_wn") / total)
        .otherwise(pl.col("_en") / pl.col("_en").sum().over(_CID))
    )
    credits = with_n.with_columns(credit.alias("credit")).select(
        "credit", (pl.col("credit") * value).alias("value_credit")
    )
    return conv.hstack(credits.get_columns())


def _keyed(conv: pl.DataFrame) -> pl.DataFrame:
    """The columns _placed reads of converting touches, channel as text ``_ch``."""
    value = ["value"] if "value" in conv.columns else []
    return conv.select(_CID, pl.col("channel").cast(pl.String).alias("_ch"), *value)


def place_by_channel(assigned: pl.DataFrame, weights: pl.DataFrame) -> pl.DataFrame:
    """The converting touches of `assigned` (rows with a conversion_id, in their order) with
    `credit` and `value_credit`: within each conversion, its channels share it in proportion to
    their `weights` (columns channel, weight; Markov's removal effects), equally when they all
    weigh 0; a channel's touches share its part equally. So every conversion's credits sum to 1
    and its value_credits to its value, and no credit sits on a non-converting touch."""
    w = weights.select(pl.col("channel").cast(pl.String), pl.col("weight").cast(pl.Float64))
    conv = assigned.filter(pl.col(_CID).is_not_null())
    joined = _keyed(conv).join(
        w.rename({"channel": "_ch", "weight": "_w"}), on="_ch", how="left", maintain_order="left"
    )
    return _placed(conv, joined)


def place_by_code(
    conv: pl.DataFrame, key: np.ndarray, code: np.ndarray, weight: np.ndarray
) -> pl.DataFrame:
    """:func:`place_by_channel` for converting touches `conv` (every row converting) whose
    conversions are numbered by `key` (one integer per conversion) and channels by `code`, an
    index into `weight` (each channel's weight): the same groups in the same row order, keyed
    by numbers instead of text, so the same credits."""
    width = max(1, len(weight))
    pair = key.astype(np.int64) * width + code
    if len(key) and key.min() >= 0 and int(key.max()) * width < 4 * len(key) + (1 << 20):
        return _placed_by_number(conv, key.astype(np.intp), pair, weight[code])
    columns: dict[str, object] = {_CID: key, "_ch": code, "_pair": pair, "_w": weight[code]}
    if "value" in conv.columns:
        columns["value"] = conv.get_column("value")
    return _placed(conv, pl.DataFrame(columns))


def _placed_by_number(
    conv: pl.DataFrame, key: np.ndarray, pair: np.ndarray, weight: np.ndarray
) -> pl.DataFrame:
    """_placed on arrays: each row's conversion `key` and (conversion, channel) `pair` are
    small non-negative numbers, so every group is a bin of a bincount; `weight` is each row's
    raw weight. The same operations as _placed, row by row."""
    n = np.bincount(pair)[pair].astype(np.float64)
    wn = np.maximum(weight, 0.0) / n
    en = 1.0 / n
    total = np.bincount(key, weights=wn)[key]
    even = np.bincount(key, weights=en)[key]
    with np.errstate(divide="ignore", invalid="ignore"):
        credit = np.where(total >= _TINY, wn / total, en / even)
    if "value" in conv.columns:
        value = conv.get_column("value").cast(pl.Float64).fill_null(0.0).to_numpy()
    else:
        value = np.zeros(len(key))
    return conv.hstack([pl.Series("credit", credit), pl.Series("value_credit", credit * value)])


def place_by_set(assigned: pl.DataFrame, shares: pl.DataFrame) -> pl.DataFrame:
    """As :func:`place_by_channel`, with each channel's weight taken from its conversion's own
    channel set: `shares` has set_key (the set's channel names, sorted, joined by
    SET_SEPARATOR), channel and share (Shapley's φ_j(S) / v(S))."""
    conv = assigned.filter(pl.col(_CID).is_not_null())
    keyed = _keyed(conv)
    sets = keyed.group_by(_CID).agg(
        pl.col("_ch").unique().sort().str.join(SET_SEPARATOR).alias("_set")
    )
    table = shares.select(
        pl.col("set_key").alias("_set"), pl.col("channel").alias("_ch"), pl.col("share").alias("_w")
    )
    joined = keyed.join(sets, on=_CID, how="left", maintain_order="left").join(
        table, on=["_set", "_ch"], how="left", maintain_order="left"
    )
    return _placed(conv, joined)
