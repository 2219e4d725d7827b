"""Content and funnel tables: posts with their metrics and credit, campaigns, and the funnel
from reach to revenue. Pure: polars in, polars out.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from socialroi.core import roi
from socialroi.core.identity import Identity
from socialroi.core.period import Period, in_period
from socialroi.core.vocabulary import engagements, is_social, latest_snapshot

POST_COLUMNS: tuple[str, ...] = (
    "platform",
    "post_id",
    "created_at",
    "author",
    "kind",
    "campaign",
    "text",
    "impressions",
    "clicks",
    "engagements",
    "leads",
    "deals",
    "revenue",
    "pipeline",
)


def _latest_metrics(post_metrics: pl.DataFrame) -> pl.DataFrame:
    """platform, post_id, impressions, clicks, engagements from each post's latest snapshot."""
    return latest_snapshot(post_metrics).select(
        "platform",
        "post_id",
        pl.col("impressions").fill_null(0),
        pl.col("clicks").fill_null(0),
        engagements(),
    )


def _credited(credits: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    kind = pl.col("kind")
    return credits.group_by(keys).agg(
        pl.col("credit").filter(kind == "lead").sum().alias("leads"),
        pl.col("credit").filter(kind == "deal").sum().alias("deals"),
        pl.col("value_credit").filter(kind == "deal").sum().alias("revenue"),
        pl.col("value_credit").filter(kind == "pipeline").sum().alias("pipeline"),
    )


def post_table(
    credits: pl.DataFrame,
    posts: pl.DataFrame,
    post_metrics: pl.DataFrame,
    accounts: pl.DataFrame,
    employees: pl.DataFrame,
) -> pl.DataFrame:
    """POST_COLUMNS for every post: its latest metrics and what it was credited under the model
    (leads, deals, won-deal revenue, open pipeline); author is the employee who owns the account,
    else ``brand``. Sorted by revenue, leads, then impressions."""
    credited = _credited(
        credits.filter(pl.col("post_id").is_not_null()).with_columns(
            pl.coalesce("platform", "channel").alias("platform")
        ),
        ["platform", "post_id"],
    )
    names = employees.select(pl.col("employee_id").alias("owner"), "name")
    authors = (
        accounts.select("platform", "account_id", "owner")
        .join(names, on="owner", how="left")
        .select(
            "platform",
            "account_id",
            pl.when(pl.col("owner") == "brand")
            .then(pl.lit("brand"))
            .otherwise(pl.coalesce("name", "owner"))
            .alias("author"),
        )
    )
    zero = [pl.col(c).fill_null(0) for c in ("impressions", "clicks", "engagements")]
    zero += [pl.col(c).fill_null(0.0) for c in ("leads", "deals", "revenue", "pipeline")]
    return (
        posts.join(authors, on=["platform", "account_id"], how="left")
        .join(_latest_metrics(post_metrics), on=["platform", "post_id"], how="left")
        .join(credited, on=["platform", "post_id"], how="left")
        .with_columns(zero)
        .select(POST_COLUMNS)
        .sort(["revenue", "leads", "impressions"], descending=True)
    )


NO_CAMPAIGN = "(no campaign)"


def campaign_table(credits: pl.DataFrame, posts: pl.DataFrame) -> pl.DataFrame:
    """campaign, posts, leads, deals, revenue, pipeline: social touches' credit by campaign
    (NO_CAMPAIGN when a touch has none), with the number of posts in each; best first (ties
    by name, so the order is the same on every run)."""
    social = roi.social_credits(credits).with_columns(pl.col("campaign").fill_null(NO_CAMPAIGN))
    counts = posts.group_by(pl.col("campaign").fill_null(NO_CAMPAIGN)).agg(
        pl.len().cast(pl.Int64).alias("posts")
    )
    out = _credited(social, ["campaign"]).join(counts, on="campaign", how="full", coalesce=True)
    fill = [pl.col(c).fill_null(0.0) for c in ("leads", "deals", "revenue", "pipeline")]
    return (
        out.with_columns(*fill, pl.col("posts").fill_null(0))
        .select("campaign", "posts", "leads", "deals", "revenue", "pipeline")
        .sort(["revenue", "leads", "posts", "campaign"], descending=[True, True, True, False])
    )


FUNNEL_STAGES: tuple[str, ...] = (
    "impressions",
    "clicks",
    "social web sessions",
    "contacts with a social touch",
    "leads with a social touch",
    "won deals with a social touch",
    "revenue of those deals",
)


def funnel(
    identity: Identity,
    t: Mapping[str, pl.DataFrame],
    credits: pl.DataFrame,
    period: Period | None,
) -> pl.DataFrame:
    """stage, count: from reach to revenue (FUNNEL_STAGES), whole counts, in `period` (else all
    history). Impressions and clicks are the latest metrics of posts published in it; sessions are
    social web sessions started in it (matched or anonymous); contacts those with a social touch in
    it; leads and won deals those dated in it with a social touch in their window, and revenue
    their whole value (the credited share is in the summary)."""

    def within(col: str) -> pl.Expr:
        return pl.lit(value=True) if period is None else in_period(col, period)

    posts = t["posts"].filter(within("created_at"))
    metrics = _latest_metrics(t["post_metrics"]).join(
        posts.select("platform", "post_id"), on=["platform", "post_id"], how="semi"
    )
    weights = t["sessions"].select(
        pl.col("session_id").alias("ref"), pl.col("count").fill_null(1).alias("_n")
    )
    matched = int(
        identity.touchpoints.join(weights, on="ref", how="inner")
        .filter(roi.is_social() & within("ts"))["_n"]
        .sum()
    )
    anonymous = int(
        identity.anonymous.filter(within("started_at") & is_social(pl.col("channel")))["count"]
        .fill_null(1)
        .sum()
    )
    contacts = identity.touchpoints.filter(roi.is_social() & within("ts"))["contact_id"].n_unique()
    touched = (
        credits.filter(roi.is_social())
        .group_by("conversion_id", "kind")
        .agg(pl.col("value").first())
    )
    counts = [
        int(metrics["impressions"].sum()),
        int(metrics["clicks"].sum()),
        matched + anonymous,
        contacts,
        touched.filter(pl.col("kind") == "lead").height,
        touched.filter(pl.col("kind") == "deal").height,
        float(touched.filter(pl.col("kind") == "deal")["value"].sum()),
    ]
    return pl.DataFrame(
        {"stage": list(FUNNEL_STAGES), "count": [float(c) for c in counts]},
        schema={"stage": pl.String, "count": pl.Float64},
    )
