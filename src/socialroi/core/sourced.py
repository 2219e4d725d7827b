"""The two headline figures for what social media brought in, each defined here once.

**social-sourced** (:func:`social_sourced`) — the origin. A lead, won deal or open deal is
social-sourced when its contact's *first* touch — the earliest over the whole history, no
lookback, at or before the conversion — is social (:func:`socialroi.core.vocabulary.is_social`:
a social platform, ``social_other`` or ``paid_social``). It counts in full: whole leads and deals,
the deal's whole amount, by the platform of that first touch. A contact's later conversions
(a second deal) keep the same origin. A conversion whose contact has no touch at or before it has
no known origin and is not social-sourced. Touches at the same time: the first in input order.

**social-credited** (:func:`social_credited`) — the chosen attribution model's share: the credit
(counts, and value for won and open deals) that the model gives to social touches, as
:func:`socialroi.core.roi.roi_totals` sums it. Fractions under multi-touch models, and an
allocation, not a measurement of what social caused.

Both return one row per platform with leads, deals, revenue (won deals' value) and pipeline (open
deals' value); :func:`totals` adds them up. Pure: frames in, frames out.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from socialroi.core.conversions import conform_conversions
from socialroi.core.journeys import conform_touches
from socialroi.core.roi import touch_platform
from socialroi.core.vocabulary import is_social

#: The figures' names, as every output labels them.
SOCIAL_SOURCED = "social-sourced"
SOCIAL_CREDITED = "social-credited"
#: One line each saying what the figure means, for reports, exports and CLI notes.
MEANING: dict[str, str] = {
    SOCIAL_SOURCED: (
        "leads and deals whose contact's first touch (over the whole cycle, no lookback) was "
        "on social media, counted in full"
    ),
    SOCIAL_CREDITED: (
        "the share of leads and deals that the chosen attribution model credits to social "
        "touches (an allocation, not a measurement)"
    ),
}

#: Columns of social_sourced and social_credited.
FIGURE_COLUMNS: tuple[str, ...] = ("platform", "leads", "deals", "revenue", "pipeline")


def _platform(frame: pl.DataFrame) -> pl.Expr:
    """A touch's platform as ROI tables name it (:func:`socialroi.core.roi.touch_platform`), else
    its channel (``social_other``, ``paid_social`` with no platform)."""
    if "platform" not in frame.columns:
        return pl.col("channel").cast(pl.String)
    return pl.coalesce(touch_platform(), pl.col("channel").cast(pl.String))


def conversion_origins(touchpoints: pl.DataFrame, conversions: pl.DataFrame) -> pl.DataFrame:
    """Every conversion with its origin: conversion_id, contact_id, kind, ts, value, then
    origin_ts, origin_channel, origin_platform (null when no touch of the contact comes at or
    before the conversion) and social (the origin is social; False without one)."""
    convs = conform_conversions(conversions)
    touches = conform_touches(touchpoints)
    first = (
        touches.select("contact_id", "ts", "channel", _platform(touches).alias("_platform"))
        .with_row_index("_row")
        .sort("contact_id", "ts", "_row")
        .unique("contact_id", keep="first", maintain_order=True)
        .select(
            "contact_id",
            pl.col("ts").alias("origin_ts"),
            pl.col("channel").alias("origin_channel"),
            pl.col("_platform").alias("origin_platform"),
        )
    )
    joined = convs.select("conversion_id", "contact_id", "kind", "ts", "value").join(
        first, on="contact_id", how="left", maintain_order="left"
    )
    known = pl.col("origin_ts") <= pl.col("ts")
    return joined.with_columns(
        pl.when(known).then(pl.col(c)).alias(c)
        for c in ("origin_ts", "origin_channel", "origin_platform")
    ).with_columns(is_social(pl.col("origin_channel")).alias("social"))


def _by_platform(frame: pl.DataFrame, weight: pl.Expr, value: pl.Expr) -> pl.DataFrame:
    """Per platform: leads, deals (won), revenue, pipeline from rows with kind, a count weight
    and a value expression."""
    kind = pl.col("kind")
    out = frame.group_by("platform").agg(
        weight.filter(kind == "lead").sum().cast(pl.Float64).alias("leads"),
        weight.filter(kind == "deal").sum().cast(pl.Float64).alias("deals"),
        value.filter(kind == "deal").sum().cast(pl.Float64).alias("revenue"),
        value.filter(kind == "pipeline").sum().cast(pl.Float64).alias("pipeline"),
    )
    typed = out.select(pl.col("platform").cast(pl.String), *FIGURE_COLUMNS[1:])
    return typed.sort(
        ["revenue", "deals", "leads", "platform"], descending=[True, True, True, False]
    )


def social_sourced(touchpoints: pl.DataFrame, conversions: pl.DataFrame) -> pl.DataFrame:
    """The social-sourced figure (module doc) by platform of the origin touch: platform, leads,
    deals, revenue, pipeline. `touchpoints` is every touch known (contact_id, ts, channel,
    optionally platform), not only those of a period; `conversions` (CONVERSIONS; kind lead, deal
    or pipeline) the conversions to count, e.g. those dated in a period."""
    origins = conversion_origins(touchpoints, conversions).filter(pl.col("social"))
    frame = origins.select("kind", "value", pl.col("origin_platform").alias("platform"))
    return _by_platform(frame, pl.lit(1.0), pl.col("value"))


def social_credited(credits: pl.DataFrame) -> pl.DataFrame:
    """The social-credited figure (module doc) by platform of the credited touch: platform,
    leads, deals, revenue, pipeline, from one model's credits (credit_touches rows: kind,
    channel, optionally platform, credit, value_credit)."""
    frame = credits.filter(is_social(pl.col("channel"))).select(
        "kind", "credit", "value_credit", _platform(credits).alias("platform")
    )
    return _by_platform(frame, pl.col("credit"), pl.col("value_credit"))


@dataclass(frozen=True)
class FigureTotals:
    """One figure over every platform."""

    leads: float
    deals: float
    revenue: float
    pipeline: float


def totals(by_platform: pl.DataFrame) -> FigureTotals:
    """The sums of a social_sourced or social_credited frame."""
    sums = by_platform.select(pl.col(c).sum() for c in FIGURE_COLUMNS[1:]).row(0)
    return FigureTotals(*(float(x or 0.0) for x in sums))


__all__ = [
    "FIGURE_COLUMNS",
    "MEANING",
    "SOCIAL_CREDITED",
    "SOCIAL_SOURCED",
    "FigureTotals",
    "conversion_origins",
    "social_credited",
    "social_sourced",
    "totals",
]
