"""Data-driven models on assigned touches: journeys in, channel credits out, spread over touches.

:func:`journeys_from_touches` turns :func:`socialroi.core.journeys.assign_touches` output into the
long journeys frame :func:`~socialroi.core.attribution.markov.markov` and
:func:`~socialroi.core.attribution.shapley.shapley` read: a converting journey is the touches of
one conversion, a non-converting journey the touches of one contact that no conversion took.

:func:`spread_credits` turns a model's per-channel credit back into touch rows so that totals by
platform, post, employee, campaign or month work as for the rule models. Each channel's credit
is shared by the conversions whose journey holds that channel: conversions equally per
conversion, value in proportion to the conversion's value (equally when those values are all 0);
within one conversion, the channel's touches share it equally. So channel totals equal the
model's credits exactly. A channel the model credits that appears in no converting journey (an
order-1 chain can route walkers through it) keeps its credit on its own non-converting touches,
spread equally, with no conversion_id. A conversion's credits need not sum to 1.
"""

from __future__ import annotations

import numpy as np
import polars as pl

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


def journeys_from_index(
    runs: np.ndarray, k: np.ndarray, channel: pl.Series, conv_value: np.ndarray
) -> pl.DataFrame:
    """_journeys_by_contact with each row's conversion as an index `k` (-1: none)."""
    n = len(k)
    conv = k >= 0
    block = np.flatnonzero(runs)
    size = np.diff(np.append(block, n))
    conv_cum = np.cumsum(conv, dtype=np.int32 if n < 2**31 else np.int64)
    conv_at_start: np.ndarray = conv_cum[block] - conv[block]
    conv_count: np.ndarray = conv_cum[block + size - 1] - conv_at_start
    # Only contacts with a converting touch have rows to move; the others stay where they are.
    moved = conv_count > 0
    order = np.arange(n)
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
        order[place] = rows_in
        del place, rows_in
        k = k[order]
        channel = channel.gather(order)
    del conv_cum, conv
    new = runs.copy()
    if n > 1:
        new[1:] |= k[1:] != k[:-1]
    converted = k >= 0
    value = np.zeros(n)
    hit = np.flatnonzero(converted)
    value[hit] = conv_value[k[hit]]
    return pl.DataFrame(
        {
            "journey_id": np.cumsum(new, dtype=np.int64),
            "step": order,
            "channel": channel.alias("channel"),
            "converted": converted,
            "value": value,
        }
    )


def spread_credits(assigned: pl.DataFrame, channel_credits: pl.DataFrame) -> pl.DataFrame:
    """Touch rows of `assigned` carrying `credit` and `value_credit` from per-channel totals.

    `channel_credits` has channel, conversions and value. Converting touches come first (every
    column of `assigned`), then any non-converting touches that hold a channel's credit.
    """
    credits = channel_credits.select(
        pl.col("channel").cast(pl.String),
        pl.col("conversions").cast(pl.Float64).alias("_c"),
        pl.col("value").cast(pl.Float64).alias("_v"),
    )
    value = pl.col("value").fill_null(0.0) if "value" in assigned.columns else pl.lit(0.0)
    conv = assigned.filter(pl.col(_CID).is_not_null()).with_columns(value.alias("_val"))
    pair = [_CID, "channel"]
    conv = conv.with_columns(pl.len().over(pair).alias("_n"))
    pairs = conv.group_by(pair).agg(pl.col("_val").first())
    per_channel = (
        pairs.group_by("channel")
        .agg(pl.len().alias("_pairs"), pl.col("_val").sum().alias("_vals"))
        .join(credits, on="channel", how="left")
        .with_columns(pl.col("_c", "_v").fill_null(0.0))
    )
    # Sums below the smallest normal float count as 0: dividing by a subnormal overflows.
    by_value = pl.col("_vals") >= _TINY
    share = (pl.when(by_value).then(pl.col("_v") * (pl.col("_val") / pl.col("_vals")))).otherwise(
        pl.col("_v") / pl.col("_pairs")
    )
    touched = (
        conv.join(per_channel, on="channel", how="left")
        .with_columns(
            (pl.col("_c") / pl.col("_pairs") / pl.col("_n")).alias("credit"),
            (share / pl.col("_n")).alias("value_credit"),
        )
        .select(*assigned.columns, "credit", "value_credit")
    )
    orphan = credits.join(per_channel.select("channel"), on="channel", how="anti").filter(
        (pl.col("_c") != 0) | (pl.col("_v") != 0)
    )
    if orphan.height == 0:
        return touched
    rest = assigned.filter(pl.col(_CID).is_null()).join(orphan, on="channel", how="inner")
    n = pl.len().over("channel")
    rest = rest.with_columns(
        (pl.col("_c") / n).alias("credit"), (pl.col("_v") / n).alias("value_credit")
    ).select(*assigned.columns, "credit", "value_credit")
    return pl.concat([touched, rest], how="vertical_relaxed")
