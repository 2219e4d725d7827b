"""Data quality: how much of the activity could be tied to people, and what data is missing.

Feeds the report's data-quality block. Pure: frames in, frames out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from socialroi.core.attribution import UNATTRIBUTED
from socialroi.core.identity import Identity


@dataclass(frozen=True)
class DataQuality:
    """match_rate: platform, sessions, matched, match_rate (incl. '(all social)');
    anonymous: platform, sessions; missing: check, count."""

    match_rate: pl.DataFrame
    anonymous: pl.DataFrame
    missing: pl.DataFrame


def data_quality(
    identity: Identity, t: Mapping[str, pl.DataFrame], credits: pl.DataFrame, priced: pl.DataFrame
) -> DataQuality:
    """Match rate, anonymous sessions by platform and counts of missing or unusable rows.

    `t` are the canonical tables at as_of, `credits` one model's credits, `priced` the priced
    costs."""
    anonymous = (
        identity.anonymous.group_by(pl.col("platform").fill_null("(unknown)"))
        .agg(pl.len().cast(pl.Int64).alias("sessions"))
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
