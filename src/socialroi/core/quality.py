"""Data quality: how much of the activity could be tied to people, and what data is missing.

Feeds the report's data-quality block. Pure: frames in, frames out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from socialroi.core.attribution import UNATTRIBUTED
from socialroi.core.identity import Identity
from socialroi.core.months import add_months, month_start
from socialroi.core.vocabulary import is_social


@dataclass(frozen=True)
class DataQuality:
    """match_rate: platform, sessions, matched, match_rate (incl. '(all social)');
    anonymous: platform, sessions; missing: check, count; gaps: platform, posts, first_month,
    months_without_metrics (list of dates); failed_runs: the store's run log rows that failed
    (kind, target, started_at, error) and sync_state (adapter, stream, updated_at) are filled in by
    `socialroi.analysis`, which reads the store."""

    match_rate: pl.DataFrame
    anonymous: pl.DataFrame
    missing: pl.DataFrame
    gaps: pl.DataFrame = dataclasses.field(default_factory=pl.DataFrame)
    failed_runs: pl.DataFrame = dataclasses.field(default_factory=pl.DataFrame)
    #: adapter, stream, updated_at: when each pull last advanced its cursor (from the store).
    sync_state: pl.DataFrame = dataclasses.field(default_factory=pl.DataFrame)


GAPS_SCHEMA: dict[str, pl.DataType] = {
    "platform": pl.String(),
    "posts": pl.Int64(),
    "first_month": pl.Date(),
    "months_without_metrics": pl.List(pl.Date()),
}


def metric_gaps(posts: pl.DataFrame, post_metrics: pl.DataFrame, as_of: datetime) -> pl.DataFrame:
    """Per platform with posts: the months from its first post to the last whole month before
    `as_of` with no metrics snapshot for any of its posts (an API not pulled, or failing, then)."""
    last = add_months(month_start(as_of), -1)
    month = month_start(pl.col("created_at"))
    firsts = (
        posts.filter(pl.col("created_at").is_not_null())
        .group_by("platform")
        .agg(pl.len().cast(pl.Int64).alias("posts"), month.min().alias("first_month"))
        .sort("platform")
    )
    seen = post_metrics.select("platform", month_start(pl.col("as_of")).alias("month")).unique()
    rows = []
    for platform, n, first in firsts.iter_rows():
        have = set(seen.filter(pl.col("platform") == platform)["month"].to_list())
        missing = []
        m = first
        while m <= last:
            if m not in have:
                missing.append(m)
            m = add_months(m, 1)
        rows.append((platform, n, first, missing))
    return pl.DataFrame(rows, schema=GAPS_SCHEMA, orient="row")


def data_quality(
    identity: Identity, t: Mapping[str, pl.DataFrame], credits: pl.DataFrame, priced: pl.DataFrame
) -> DataQuality:
    """Match rate, anonymous sessions by platform and counts of missing or unusable rows.

    `t` are the canonical tables at as_of, `credits` one model's credits, `priced` the priced
    costs."""
    anonymous = (
        identity.anonymous.filter(is_social(pl.col("channel")))
        .group_by(pl.coalesce("platform", "channel").alias("platform"))
        .agg(pl.col("count").fill_null(1).sum().cast(pl.Int64).alias("sessions"))
        .sort("sessions", "platform", descending=[True, False])
    )
    deals, unattributed = t["deals"], credits.filter(pl.col("channel") == UNATTRIBUTED)
    won = pl.col("won").fill_null(False)
    touched = identity.touchpoints.select("contact_id").unique()
    checks = {
        "won deals without an amount": deals.filter(won & pl.col("amount").is_null()).height,
        "won deals without a close date": deals.filter(won & pl.col("closed_at").is_null()).height,
        "won deals with no touch in their window": unattributed.filter(
            pl.col("kind") == "deal"
        ).height,
        "leads with no touch in their window": unattributed.filter(pl.col("kind") == "lead").height,
        "contacts with no touch at all": t["contacts"]
        .join(touched, on="contact_id", how="anti")
        .height,
        "sessions without a source": t["sessions"].filter(pl.col("source").is_null()).height,
        "staff hours without an hourly cost": priced.filter(
            pl.col("hours").is_not_null() & pl.col("amount").is_null()
        ).height,
    }
    missing = pl.DataFrame(
        {"check": list(checks), "count": list(checks.values())},
        schema={"check": pl.String, "count": pl.Int64},
    )
    return DataQuality(match_rate=identity.match_rate, anonymous=anonymous, missing=missing)
