"""Journeys: which conversion each touch belongs to (design §4).

A touch belongs to the first conversion of the same contact at or after it (touch ts ≤ conversion
ts), provided that conversion lies within the lookback window (conversion ts − touch ts ≤
lookback). So each touch credits at most one conversion. Touches after a contact's last
conversion, or too long before the next one, belong to none: they are the non-converting part of
the journeys that data-driven models compare against.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import numpy as np
import polars as pl

from socialroi.core.conversions import conform_conversions
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


def contact_runs(contact: pl.Series) -> np.ndarray | None:
    """Where each contact's run of rows starts (bool per row), when every contact's rows are
    consecutive (one run per contact, in any contact order); None otherwise."""
    n = contact.len()
    new = np.ones(n, dtype=bool)
    if n > 1:
        new[1:] = contact.slice(1).ne_missing(contact.slice(0, n - 1)).to_numpy()
    heads = contact.gather(np.flatnonzero(new))
    # A contact repeated early (rows in time order, say) shows in the first runs: no sort then.
    if heads.head(1 << 16).is_duplicated().any():
        return None
    heads = heads.sort(nulls_last=True)
    if heads.len() > 1 and heads.slice(1).eq_missing(heads.slice(0, heads.len() - 1)).any():
        return None
    return new


def grouped_in_time(touches: pl.DataFrame) -> np.ndarray | None:
    """contact_runs of `touches` when, besides, each contact's rows are in time order."""
    new = contact_runs(touches.get_column("contact_id"))
    if new is None:
        return None
    ts = touches.get_column("ts").to_physical().to_numpy()
    if bool((ts[1:] < ts[:-1])[~new[1:]].any()):
        return None
    return new


def match_forward(
    touches: pl.DataFrame, convs: pl.DataFrame, *, lookback_days: int
) -> tuple[pl.DataFrame, pl.Expr]:
    """The assignment rule in one place: each touch joined to the first conversion of the same
    contact at or after it (`convs` has contact_id and conv_ts, sorted by them), and the
    expression that is true where that conversion lies within the lookback window."""
    joined = touches.join_asof(
        convs,
        left_on="ts",
        right_on="conv_ts",
        by="contact_id",
        strategy="forward",
        check_sortedness=False,
        coalesce=False,
    )
    inside = (pl.col("conv_ts") - pl.col("ts")) <= timedelta(days=lookback_days)
    return joined, inside


def _assign(
    touches: pl.DataFrame, conversions: pl.DataFrame, lookback_days: int, carry: Sequence[str]
) -> pl.DataFrame:
    """assign_touches on conformed `touches` whose rows are in time order within each contact."""
    added = ["conversion_id", "conv_ts", *carry]
    convs = (
        conform_conversions(conversions)
        .select("conversion_id", "contact_id", pl.col("ts").alias("conv_ts"), *carry)
        .sort("contact_id", "conv_ts", "conversion_id")
    )
    joined, inside = match_forward(touches, convs, lookback_days=lookback_days)
    return joined.with_columns(pl.when(inside).then(pl.col(c)).alias(c) for c in added)


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
