"""Conversions: the leads, won deals and open deals that touches are credited to (design §4).

Every function returns a CONVERSIONS frame:

=================  =====================  ====================================================
column             type                   meaning
=================  =====================  ====================================================
conversion_id      str                    ``lead:<lead_id>`` / ``deal:<deal_id>``, unique
contact_id         str                    whose conversion it is
kind               str                    ``lead``, ``deal`` or ``pipeline``
ts                 datetime (µs, UTC)     when it happened; touches up to this time count
value              f64                    0 for leads, the amount for deals
lead_created_at    datetime, nullable     the lead-creation milestone (u/w-shaped, full path)
deal_created_at    datetime, nullable     the deal-creation milestone (w-shaped, full path)
=================  =====================  ====================================================

The lookback window (design §4; docs/attribution.md): a conversion's **first milestone** is the
earliest of its ts, lead_created_at and deal_created_at (nulls ignored) — a lead's own creation,
a deal's lead or deal creation, whichever came first. Its window runs from `lookback_days` before
the first milestone up to its ts, both ends included: :func:`window_start`. So a long sales cycle
(lead in March, close in December) keeps the touches that opened it.

:func:`sales_cycle` measures the firm's own cycle (first milestone → close of its won deals) and
gives the lookback that covers it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

import polars as pl

from socialroi.errors import DataError
from socialroi.schema import UTC_TS, conform, empty

CONVERSIONS_SCHEMA: dict[str, pl.DataType] = {
    "conversion_id": pl.String(),
    "contact_id": pl.String(),
    "kind": pl.String(),
    "ts": UTC_TS,
    "value": pl.Float64(),
    "lead_created_at": UTC_TS,
    "deal_created_at": UTC_TS,
}
CONVERSION_KINDS: tuple[str, ...] = ("lead", "deal", "pipeline")


def _utc(name: str, dtype: pl.DataType) -> pl.Expr:
    e = pl.col(name)
    if isinstance(dtype, pl.Date):
        e = e.cast(pl.Datetime("us"))
        dtype = pl.Datetime("us")
    if isinstance(dtype, pl.Datetime):
        e = e.dt.replace_time_zone("UTC") if dtype.time_zone is None else e
        return e.dt.convert_time_zone("UTC").dt.cast_time_unit("us")
    return e.cast(UTC_TS)


def conform_conversions(conversions: pl.DataFrame, *, source: str | None = None) -> pl.DataFrame:
    """`conversions` as an exact CONVERSIONS frame.

    contact_id and ts are required. A missing conversion_id is generated (``c1``, ``c2``… in row
    order), a missing kind is ``deal`` where the value is positive and ``lead`` elsewhere, a missing
    value is 0, missing milestones are null. Naive times are UTC; dates are midnight UTC. Raises
    DataError for a missing required column, an empty required value or a repeated conversion_id.
    """
    for col in ("contact_id", "ts"):
        if col not in conversions.columns:
            raise DataError("missing required column", file=source, column=col)
    df = conversions
    if "conversion_id" not in df.columns:
        df = df.with_columns(pl.format("c{}", pl.int_range(1, pl.len() + 1)).alias("conversion_id"))
    if "value" not in df.columns:
        df = df.with_columns(pl.lit(0.0).alias("value"))
    df = df.with_columns(pl.col("value").cast(pl.Float64).fill_null(0.0))
    if "kind" not in df.columns:
        kind = pl.when(pl.col("value") > 0).then(pl.lit("deal")).otherwise(pl.lit("lead"))
        df = df.with_columns(kind.alias("kind"))
    exprs: list[pl.Expr] = []
    for name, dtype in CONVERSIONS_SCHEMA.items():
        if name not in df.columns:
            exprs.append(pl.lit(None, dtype=dtype).alias(name))
        elif dtype == UTC_TS:
            exprs.append(_utc(name, df.schema[name]).alias(name))
        else:
            exprs.append(pl.col(name).cast(dtype).alias(name))
    out = df.select(exprs)
    for col in ("conversion_id", "contact_id", "ts"):
        nulls = out.get_column(col).is_null()
        if nulls.any():
            row = int(nulls.arg_true()[0]) + 1
            raise DataError("required value is empty", file=source, row=row, column=col)
    dup = ~out.get_column("conversion_id").is_first_distinct()
    if dup.any():
        row = int(dup.arg_true()[0]) + 1
        raise DataError("conversion_id repeats an earlier row", file=source, row=row)
    return out


def lead_conversions(leads: pl.DataFrame) -> pl.DataFrame:
    """One conversion per lead: at its creation, value 0, its own lead-creation milestone."""
    df = conform("leads", leads)
    return df.select(
        pl.concat_str(pl.lit("lead:"), "lead_id").alias("conversion_id"),
        "contact_id",
        pl.lit("lead").alias("kind"),
        pl.col("created_at").alias("ts"),
        pl.lit(0.0).alias("value"),
        pl.col("created_at").alias("lead_created_at"),
        pl.lit(None, dtype=UTC_TS).alias("deal_created_at"),
    )


def _with_lead_milestone(deals: pl.DataFrame, leads: pl.DataFrame) -> pl.DataFrame:
    """Add lead_created_at: the contact's latest lead created at or before the deal's ts."""
    lead_times = (
        conform("leads", leads)
        .select("contact_id", pl.col("created_at").alias("lead_created_at"))
        .sort("contact_id", "lead_created_at")
    )
    order = deals.with_row_index("_row").sort("contact_id", "ts")
    joined = order.join_asof(
        lead_times,
        left_on="ts",
        right_on="lead_created_at",
        by="contact_id",
        strategy="backward",
        check_sortedness=False,
    )
    return joined.sort("_row").drop("_row")


def _deal_frame(deals: pl.DataFrame, leads: pl.DataFrame, kind: str) -> pl.DataFrame:
    ts = pl.coalesce("closed_at", "created_at") if kind == "deal" else pl.col("created_at")
    base = deals.select(
        pl.concat_str(pl.lit("deal:"), "deal_id").alias("conversion_id"),
        "contact_id",
        pl.lit(kind).alias("kind"),
        ts.alias("ts"),
        pl.col("amount").fill_null(0.0).alias("value"),
        pl.col("created_at").alias("deal_created_at"),
    )
    return _with_lead_milestone(base, leads).select(list(CONVERSIONS_SCHEMA))


def deal_conversions(deals: pl.DataFrame, leads: pl.DataFrame) -> pl.DataFrame:
    """One conversion per won deal: at its close (its creation when not closed), value = amount.

    The lead-creation milestone is the contact's latest lead at or before that time.
    """
    df = conform("deals", deals).filter(pl.col("won").fill_null(False))
    return _deal_frame(df, leads, "deal")


def pipeline_conversions(deals: pl.DataFrame, leads: pl.DataFrame) -> pl.DataFrame:
    """One conversion per open deal (won and closed_at empty): at its creation, kind pipeline."""
    df = conform("deals", deals).filter(pl.col("won").is_null() & pl.col("closed_at").is_null())
    return _deal_frame(df, leads, "pipeline")


def first_milestone() -> pl.Expr:
    """A CONVERSIONS row's first milestone: the earliest of ts, lead_created_at and
    deal_created_at, nulls ignored (named ``first_milestone``)."""
    return pl.min_horizontal("ts", "lead_created_at", "deal_created_at").alias("first_milestone")


def window_start(lookback_days: int) -> pl.Expr:
    """Where a CONVERSIONS row's lookback window begins: `lookback_days` (exact days of 24 h, in
    microseconds) before its first milestone; a touch at that instant is inside (named
    ``window_start``)."""
    if lookback_days < 0:
        raise DataError(f"lookback_days must be 0 or more, not {lookback_days}")
    return (first_milestone() - timedelta(days=lookback_days)).alias("window_start")


#: The sales-cycle quantile, step and floor the default lookback is built from.
CYCLE_QUANTILE = 0.9
CYCLE_STEP_DAYS = 30
CYCLE_FLOOR_DAYS = 90


@dataclass(frozen=True)
class SalesCycle:
    """The firm's sales cycle as measured on its won deals.

    `deals`: won deals measured; `quantile_days`: the `quantile` of their first milestone → close
    in days (None without won deals); `lookback_days`: that rounded up to whole `step`s of days,
    at least `floor` — the lookback that covers the cycle.
    """

    deals: int
    quantile: float
    quantile_days: float | None
    lookback_days: int


def sales_cycle(
    tables: Mapping[str, pl.DataFrame],
    *,
    quantile: float = CYCLE_QUANTILE,
    step: int = CYCLE_STEP_DAYS,
    floor: int = CYCLE_FLOOR_DAYS,
) -> SalesCycle:
    """The sales cycle of the won deals in `tables` (``deals``; ``leads`` for the lead milestone):
    the `quantile` of the days from each won deal's first milestone to its close, and the
    lookback covering it (rounded up to `step` days, at least `floor`)."""
    if not 0.0 < quantile <= 1.0:
        raise DataError(f"quantile must be in (0, 1], not {quantile}")
    if step < 1 or floor < 0:
        raise DataError(f"step must be 1 or more and floor 0 or more, not {step} and {floor}")
    deals = tables["deals"]
    won = deal_conversions(deals, tables.get("leads", empty("leads")))
    days = won.select(
        ((pl.col("ts") - first_milestone()).dt.total_microseconds() / 86_400e6).alias("d")
    ).get_column("d")
    if days.len() == 0:
        return SalesCycle(0, quantile, None, floor)
    q = float(days.quantile(quantile, interpolation="higher") or 0.0)
    covered = max(floor, math.ceil(q / step) * step)
    return SalesCycle(days.len(), quantile, q, covered)


def sales_cycle_days(tables: Mapping[str, pl.DataFrame]) -> int:
    """The default lookback in days: the 90th percentile of first milestone → close over the
    won deals in `tables`, rounded up to 30-day steps, at least 90 (:func:`sales_cycle`)."""
    return sales_cycle(tables).lookback_days
