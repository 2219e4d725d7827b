"""What the platforms report: post metrics snapshots and daily account figures.

Each post gets snapshots 1, 7 and 28 days after it went out (those before the end): impressions,
reach, reactions and so on reach 60%, 93% and 100% of their final value; clicks are the clicks
counted by then (the same clicks that produced the sessions, so sessions never exceed them).
Accounts get one row a day while they are tracked (brand accounts always, staff accounts while the
person is employed): followers (the brand's growing as in the reach model, staff networks growing
with their posting), impressions and engagements of that day's posts spread over three days, plus
profile views, and profile clicks.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from socialroi.demo import params
from socialroi.demo.activity import brand_followers
from socialroi.demo.company import Roster
from socialroi.demo.timeline import Timeline
from socialroi.schema import conform

SNAPSHOT_DAYS: tuple[int, ...] = (1, 7, 28)
SNAPSHOT_SHARE: tuple[float, ...] = (0.6, 0.93, 1.0)
_SPREAD = (0.6, 0.3, 0.1)  # a post's impressions on its day and the next two


def with_engagement(rng: np.random.Generator, posts: pl.DataFrame) -> pl.DataFrame:
    """Final reach, likes, comments, shares and saves of each post."""
    imp = posts["impressions"].to_numpy()
    rate = np.array([params.PLATFORM[p].engagement_rate for p in params.PLATFORMS])[
        posts["platform_idx"].to_numpy()
    ]
    saves = np.isin(posts["platform"].to_numpy(), ["linkedin", "instagram"])
    return posts.with_columns(
        pl.Series("reach", np.round(imp * rng.uniform(0.6, 0.85, len(imp))).astype(np.int64)),
        pl.Series("likes", rng.binomial(imp, rate * 0.75)),
        pl.Series("comments", rng.binomial(imp, rate * 0.08) + posts["conversations"].to_numpy()),
        pl.Series("shares", rng.binomial(imp, rate * 0.12)),
        pl.Series("saves", rng.binomial(imp, rate * 0.05) * saves),
    )


def post_metrics(posts: pl.DataFrame, tl: Timeline) -> pl.DataFrame:
    frames = []
    end_us = tl.as_of.timestamp() * 1e6
    for k, share in zip(SNAPSHOT_DAYS, SNAPSHOT_SHARE, strict=True):
        snap = posts.with_columns(
            (pl.col("created_at") + pl.duration(days=k)).alias("as_of")
        ).filter(pl.col("as_of").dt.epoch("us") <= end_us)
        scaled = [
            (pl.col(c) * share).round().cast(pl.Int64).alias(c)
            for c in ("impressions", "reach", "likes", "comments", "shares", "saves")
        ]
        clicks = pl.col("clicks_day0") if k == 1 else pl.col("clicks")
        frames.append(snap.select("platform", "post_id", "as_of", *scaled, clicks.alias("clicks")))
    return conform("post_metrics", pl.concat(frames).sort("platform", "post_id", "as_of"))


def account_daily(
    rng: np.random.Generator, posts: pl.DataFrame, roster: Roster, tl: Timeline
) -> pl.DataFrame:
    n_emp, n_plat = roster.account_id.shape
    n_acc = n_plat + n_emp * n_plat  # brand accounts first, then (employee, platform)
    row = np.where(
        posts["employee"].to_numpy() >= 0,
        n_plat + posts["employee"].to_numpy() * n_plat + posts["platform_idx"].to_numpy(),
        posts["platform_idx"].to_numpy(),
    )
    day = posts["day"].to_numpy()
    imp = np.zeros((n_acc, tl.n_days + 2))
    eng = np.zeros((n_acc, tl.n_days + 2))
    count = np.zeros((n_acc, tl.n_days))
    engaged = (posts["likes"] + posts["comments"] + posts["shares"]).to_numpy()
    for k, share in enumerate(_SPREAD):
        np.add.at(imp, (row, day + k), posts["impressions"].to_numpy() * share)
        np.add.at(eng, (row, day + k), engaged * share)
    np.add.at(count, (row, day), 1)

    followers = np.zeros((n_acc, tl.n_days))
    expected = brand_followers(tl)
    growth = np.diff(expected, axis=1)
    followers[:n_plat] = expected[:, :1] + np.cumsum(rng.poisson(growth), axis=1)
    staff_base = roster.network.reshape(-1)[:, None]
    staff_growth = rng.poisson(0.03 + 0.5 * count[n_plat:])
    followers[n_plat:] = staff_base + np.cumsum(staff_growth, axis=1)
    views = rng.poisson(followers * 0.002)
    impressions = np.round(imp[:, : tl.n_days]) + views
    clicks = rng.poisson(impressions * 0.003)

    tracked = np.zeros((n_acc, tl.n_days), dtype=bool)
    tracked[:n_plat] = True
    has = (roster.account_id != "").reshape(-1)
    active = np.repeat(roster.active(tl.n_days), n_plat, axis=0)
    tracked[n_plat:] = active & has[:, None]
    a, d = np.nonzero(tracked)
    ids = np.concatenate(
        [[roster.brand_account[p] for p in params.PLATFORMS], roster.account_id.reshape(-1)]
    ).astype(str)
    plats = np.concatenate([np.arange(n_plat), np.tile(np.arange(n_plat), n_emp)])
    df = pl.DataFrame(
        {
            "platform": np.array(params.PLATFORMS)[plats[a]],
            "account_id": ids[a],
            "date": tl.dates(d),
            "followers": np.round(followers[a, d]).astype(np.int64),
            "impressions": impressions[a, d].astype(np.int64),
            "engagements": np.round(eng[a, d]).astype(np.int64),
            "profile_clicks": clicks[a, d].astype(np.int64),
        }
    )
    return conform("account_daily", df)
