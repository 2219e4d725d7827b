"""Posting: how the policy drives who posts, how often, with what links, to what reach.

Mechanism (per employee and month, from params.MECHANISMS under the team's policy; staff who are
not advocates keep acceptable-use behaviour under advocacy):

* the employee posts that month with probability `participation`; when they do, posts arrive as a
  Poisson process of `posts_per_active_month` spread over the month (more on weekdays);
* a post lands on a platform in proportion to the employee's platform weights; its impressions are
  the employee's network there × the platform's staff impressions per follower × the policy's
  `reach_multiplier` × lognormal noise with mean 1;
* with probability `link_share` it links to the company site (a tracked link with probability
  `tracked_share`); clicks ~ Poisson(impressions × CTR × STAFF_CTR_MULTIPLIER × demand);
* conversations (replies, mentions, DMs that become CRM contacts) ~ Poisson(impressions ×
  conversations per impression × demand), linked or not.

Brand accounts post at a fixed rate whatever the policy, reaching their (deterministically growing)
followers. :func:`staff_expected` and :func:`brand_expected` give the same rates in expectation;
the ground truth is computed from them.
"""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import polars as pl

from socialroi.core.links import make_link_code
from socialroi.demo import names, params
from socialroi.demo.company import Roster
from socialroi.demo.funnel import business_tod
from socialroi.demo.timeline import Timeline, masked

_NPLAT = len(params.PLATFORMS)


def staff_impressions() -> np.ndarray:
    """Staff impressions per follower, by platform (of the active world)."""
    return np.array([params.PLATFORM[p].staff_impressions_per_follower for p in params.PLATFORMS])


def ctr() -> np.ndarray:
    """Click-through rate of a brand post with a link, by platform."""
    return np.array([params.PLATFORM[p].ctr for p in params.PLATFORMS])


def conversations() -> np.ndarray:
    """Conversations per impression of a staff post, by platform."""
    return np.array([params.PLATFORM[p].conversations_per_impression for p in params.PLATFORMS])


def mechanism(roster: Roster, tl: Timeline, sched: np.ndarray) -> dict[str, np.ndarray]:
    """Each Mechanism field as an (employee, month) array under schedule `sched`."""
    adv = params.POLICY_CODES.index("employee_advocacy")
    use = params.POLICY_CODES.index("acceptable_use")
    policy = sched[roster.team]
    policy = np.where((policy == adv) & ~roster.advocate[:, None], use, policy)
    mechs = [params.MECHANISMS[p] for p in params.POLICY_CODES]
    return {
        f.name: np.array([getattr(m, f.name) for m in mechs])[policy]
        for f in fields(params.Mechanism)
    }


def _per_day(tl: Timeline) -> np.ndarray:
    """Weekday factor ÷ days in the month: turns a monthly rate into a daily one."""
    return np.asarray(tl.dow / tl.month_days()[tl.day_month])


def staff_expected(roster: Roster, tl: Timeline, sched: np.ndarray) -> dict[str, np.ndarray]:
    """Expected posts, clicks (all / tracked) and conversations per (employee, post day)."""
    mech = {k: v[:, tl.day_month] for k, v in mechanism(roster, tl, sched).items()}
    posts = (
        mech["participation"]
        * mech["posts_per_active_month"]
        * _per_day(tl)
        * roster.active(tl.n_days)
    )
    reach = roster.weights * roster.network * staff_impressions()  # impressions per post
    clicks_per_post = (reach * ctr()).sum(axis=1)[:, None] * params.STAFF_CTR_MULTIPLIER
    conv_per_post = (reach * conversations()).sum(axis=1)[:, None]
    scaled = posts * mech["reach_multiplier"] * tl.demand
    clicks = scaled * mech["link_share"] * clicks_per_post
    return {
        "posts": posts,
        "clicks": clicks,
        "clicks_tracked": clicks * mech["tracked_share"],
        "conversations": scaled * conv_per_post,
        "identify": mech["identify_multiplier"],
    }


def brand_followers(tl: Timeline) -> np.ndarray:
    """Expected followers of each brand account (platform, day): compounded monthly growth."""
    f0 = np.array([params.PLATFORM[p].brand_followers for p in params.PLATFORMS], dtype=float)
    g = np.array([params.PLATFORM[p].brand_growth for p in params.PLATFORMS])
    months = np.arange(tl.n_days + 1) / (365.25 / 12)
    return np.asarray(f0[:, None] * (1 + g[:, None]) ** months[None, :])


def brand_expected(tl: Timeline) -> dict[str, np.ndarray]:
    """Expected posts, clicks (all / tracked) and conversations per (platform, post day)."""
    spec = [params.PLATFORM[p] for p in params.PLATFORMS]
    rate = np.array([s.brand_posts_per_month for s in spec])[:, None] * _per_day(tl)
    imp = (
        brand_followers(tl)[:, : tl.n_days]
        * np.array([s.brand_impressions_per_follower for s in spec])[:, None]
    )
    link = np.array([s.brand_link_share for s in spec])[:, None]
    tracked = np.array([s.brand_tracked_share for s in spec])[:, None]
    clicks = rate * link * imp * ctr()[:, None] * tl.demand
    conv = rate * imp * conversations()[:, None] * params.BRAND_CONVERSATION_FACTOR * tl.demand
    return {
        "posts": rate,
        "clicks": clicks,
        "clicks_tracked": clicks * tracked,
        "conversations": conv,
    }


def sample_posts(
    rng: np.random.Generator, roster: Roster, tl: Timeline, sched: np.ndarray
) -> pl.DataFrame:
    """Every post with its sampled reach, clicks and conversations (internal columns)."""
    mech = mechanism(roster, tl, sched)
    posting = rng.random(mech["participation"].shape) < mech["participation"]
    rate = (mech["posts_per_active_month"] * posting)[:, tl.day_month] * _per_day(tl)
    counts = rng.poisson(rate * roster.active(tl.n_days))
    e, d = np.nonzero(counts)
    reps = counts[e, d]
    e, d = np.repeat(e, reps), np.repeat(d, reps)
    m = tl.day_month[d]
    n = len(e)
    plat = (rng.random(n)[:, None] > np.cumsum(roster.weights[e], axis=1)).sum(axis=1)
    plat = np.minimum(plat, _NPLAT - 1)
    link = rng.random(n) < mech["link_share"][e, m]
    tracked = link & (rng.random(n) < mech["tracked_share"][e, m])
    reshare = link & (rng.random(n) < mech["reshare_share"][e, m])
    reply = ~link & (rng.random(n) < 0.5)
    kind = np.where(reshare, "share", np.where(reply, "reply", "broadcast"))
    ctr_, conv_ = ctr(), conversations()
    impressions = (
        roster.network[e, plat]
        * staff_impressions()[plat]
        * mech["reach_multiplier"][e, m]
        * rng.lognormal(-0.125, 0.5, n)
    )
    staff = pl.DataFrame(
        {
            "day": d,
            "employee": e,
            "platform_idx": plat,
            "account_id": roster.account_id[e, plat].astype(str),
            "kind": kind,
            "link": link,
            "tracked": tracked,
            "impressions_mean": impressions,
            "click_rate": ctr_[plat] * params.STAFF_CTR_MULTIPLIER * tl.demand[d] * link,
            "conv_rate": conv_[plat] * tl.demand[d],
            "identify": mech["identify_multiplier"][e, m],
        }
    )
    return pl.concat([staff, _sample_brand(rng, roster, tl)]).pipe(_finish, rng, roster, tl)


def _sample_brand(rng: np.random.Generator, roster: Roster, tl: Timeline) -> pl.DataFrame:
    exp = brand_expected(tl)
    counts = rng.poisson(exp["posts"])
    p, d = np.nonzero(counts)
    reps = counts[p, d]
    p, d = np.repeat(p, reps), np.repeat(d, reps)
    n = len(p)
    spec = [params.PLATFORM[x] for x in params.PLATFORMS]
    link = rng.random(n) < np.array([s.brand_link_share for s in spec])[p]
    tracked = link & (rng.random(n) < np.array([s.brand_tracked_share for s in spec])[p])
    reply = ~link & (rng.random(n) < 0.4)
    per_follower = np.array([s.brand_impressions_per_follower for s in spec])[p]
    impressions = brand_followers(tl)[p, d] * per_follower * rng.lognormal(-0.1, np.sqrt(0.2), n)
    return pl.DataFrame(
        {
            "day": d,
            "employee": np.full(n, -1),
            "platform_idx": p,
            "account_id": [roster.brand_account[params.PLATFORMS[i]] for i in p],
            "kind": np.where(reply, "reply", "broadcast"),
            "link": link,
            "tracked": tracked,
            "impressions_mean": impressions,
            "click_rate": ctr()[p] * tl.demand[d] * link,
            "conv_rate": conversations()[p] * params.BRAND_CONVERSATION_FACTOR * tl.demand[d],
            "identify": np.ones(n),
        }
    )


def _finish(
    df: pl.DataFrame, rng: np.random.Generator, roster: Roster, tl: Timeline
) -> pl.DataFrame:
    """Times, ids, clicks, conversations, texts, campaigns and links for every post."""
    n = df.height
    imp_mean = df["impressions_mean"].to_numpy()
    df = df.with_columns(
        pl.Series("tod", business_tod(rng, n)),
        pl.Series("clicks", rng.poisson(imp_mean * df["click_rate"].to_numpy())),
        pl.Series("conversations", rng.poisson(imp_mean * df["conv_rate"].to_numpy())),
        pl.Series("impressions", np.round(imp_mean).astype(np.int64)),
        pl.Series("platform", np.array(params.PLATFORMS)[df["platform_idx"].to_numpy()]),
    ).sort("day", "tod", "platform", "account_id")
    ts = tl.timestamps(df["day"].to_numpy(), df["tod"].to_numpy())
    ms = ts.dt.epoch("ms").to_numpy()
    seq = np.arange(n)
    numeric = ((ms - 1_288_834_974_657) << 22) + seq
    post_id = np.where(
        df["platform"].to_numpy() == "facebook",
        np.char.add(
            np.char.add(df["account_id"].to_numpy().astype(str), "_"), (10**9 + seq).astype(str)
        ),
        numeric.astype(str),
    )
    e = df["employee"].to_numpy()
    df = df.with_columns(
        ts.alias("created_at"),
        pl.Series("post_id", post_id, dtype=pl.String),
        masked("employee_id", roster.ids[np.maximum(e, 0)], e >= 0),
        pl.Series("unit", _units(e, roster).astype(str), dtype=pl.String),
    )
    return _texts_and_links(df, rng)


def _units(employee: np.ndarray, roster: Roster) -> np.ndarray:
    team_names = np.array(params.TEAMS, dtype=object)
    return np.where(employee >= 0, team_names[roster.team[np.maximum(employee, 0)]], "brand")


def _texts_and_links(df: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    n = df.height
    kind = pl.col("kind")
    texts = pl.DataFrame(
        {
            "broadcast": names.pick(rng, names.BROADCASTS, n),
            "share": names.pick(rng, names.SHARES, n),
            "reply": names.pick(rng, names.REPLIES, n),
        }
    )
    created = pl.col("created_at")
    quarter = (created.dt.month() - 1) // 3 + 1
    quarter_index = df["created_at"].dt.year() * 4 + (df["created_at"].dt.month() - 1) // 3
    theme = pl.Series(names.THEMES).gather(quarter_index % len(names.THEMES))
    df = (
        df.with_columns(texts.get_columns())
        .with_columns(
            pl.when(kind == "share")
            .then("share")
            .when(kind == "reply")
            .then("reply")
            .otherwise("broadcast")
            .alias("text"),
            theme.alias("theme"),
        )
        .with_columns(
            pl.format("{}q{}-{}", created.dt.year(), quarter, "theme").alias("_campaign"),
        )
    )
    codes = [
        make_link_code(p, i, e)
        for p, i, e in zip(df["platform"], df["post_id"], df["employee_id"], strict=True)
    ]
    page = pl.format("https://{}/insights/{}", pl.lit(params.DOMAIN), "theme")
    tracked, link = pl.col("tracked"), pl.col("link")
    return (
        df.with_columns(pl.Series("_code", codes, dtype=pl.String))
        .with_columns(
            pl.when(tracked)
            .then(
                pl.format(
                    "{}?utm_source={}&utm_medium=social&utm_campaign={}&utm_content={}",
                    page,
                    "platform",
                    "_campaign",
                    "_code",
                )
            )
            .when(link)
            .then(page)
            .alias("link_url"),
            pl.when(tracked).then("platform").alias("utm_source"),
            pl.when(tracked).then(pl.lit("social")).alias("utm_medium"),
            pl.when(tracked).then("_campaign").alias("utm_campaign"),
            pl.when(tracked).then("_code").alias("utm_content"),
            pl.when(link).then("_campaign").alias("campaign"),
            pl.format("/insights/{}", "theme").alias("landing_page"),
        )
        .drop("broadcast", "share", "reply", "_code", "_campaign")
    )
