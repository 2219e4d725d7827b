"""Origin events — the first touch of every would-be contact — and what became of each.

Origins: clicks on posts (tracked or not), conversations started by posts, new visitors from the
channels the policy never touches (search, direct, partner sites, untagged social, paid social
bought with the ad budget), event attendees and client referrals. Each walks the funnel
(:func:`socialroi.demo.funnel.sample_chain`); won clients then refer new contacts, for two more
generations. The result is one frame, one row per origin, with the funnel's outcome columns.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import polars as pl

from socialroi.demo import names, params
from socialroi.demo.funnel import business_tod, lag_pmf, later_tod, sample_chain, sample_lag
from socialroi.demo.timeline import Timeline

EVENT_NAMES: tuple[str, ...] = (
    "Cloud & Security Breakfast",
    "Northwind Tech Summit",
    'Partner Roundtable: "Zero Trust"',
    "IT Leaders' Happy Hour",
)
PAID_CLICK_KIND = {
    "linkedin": "li_fat_id",
    "facebook": "fbclid",
    "instagram": "fbclid",
    "x": "twclid",
}
REFERRAL_GENERATIONS = 3


def _expand(
    rng: np.random.Generator, day: np.ndarray, tod: np.ndarray, counts: np.ndarray, lag: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Spread `counts` events per source row over the lag pmf: (row, lag, day, tod) per event."""
    split = rng.multinomial(counts, lag_pmf(lag))
    row, k = np.nonzero(split)
    reps = split[row, k]
    row, k = np.repeat(row, reps), np.repeat(k, reps)
    return row, k, day[row] + k, later_tod(rng, tod[row], k)


def _daily_events(rng: np.random.Generator, rate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Poisson event days for an expected rate per day; returns (day, tod)."""
    counts = rng.poisson(rate)
    day = np.repeat(np.arange(len(rate)), counts)
    return day, business_tod(rng, len(day))


def _weighted(
    rng: np.random.Generator, options: tuple[tuple[str, str, float], ...], n: int
) -> tuple[np.ndarray, np.ndarray]:
    w = np.array([o[2] for o in options])
    pick = rng.choice(len(options), size=n, p=w / w.sum())
    return np.array([o[0] for o in options])[pick], np.array([o[1] for o in options])[pick]


def post_origins(
    rng: np.random.Generator, posts: pl.DataFrame, tl: Timeline
) -> tuple[pl.DataFrame, np.ndarray]:
    """Clicks and conversations from posts; also each post's clicks on its first day."""
    day, tod = posts["day"].to_numpy(), posts["tod"].to_numpy()
    row, lag, cday, ctod = _expand(rng, day, tod, posts["clicks"].to_numpy(), "click")
    clicks_day0 = np.bincount(row[lag == 0], minlength=posts.height)
    carry = [
        "unit",
        "platform",
        "post_id",
        "employee_id",
        "campaign",
        "utm_content",
        "landing_page",
        "identify",
        "tracked",
    ]
    clicks = posts.select(carry)[row].with_columns(
        pl.Series("day", cday),
        pl.Series("tod", ctod),
        pl.lit("social_click").alias("funnel"),
    )
    plat = clicks["platform"].to_numpy()
    tracked = clicks["tracked"].to_numpy()
    referrer = np.empty(len(plat), dtype=object)
    for p in params.PLATFORMS:
        rows = plat == p
        referrer[rows] = rng.choice(params.PLATFORM[p].referrers, int(rows.sum()))
    clicks = clicks.with_columns(
        pl.Series("origin", np.where(tracked, "tracked_link", "untracked_link")),
        pl.Series("source", np.where(tracked, plat, referrer).tolist(), dtype=pl.String),
        pl.Series("medium", np.where(tracked, "social", "referral")),
        pl.when(pl.col("tracked")).then("campaign").alias("campaign"),
        pl.col("utm_content").alias("content"),
        pl.when(pl.col("platform").is_in(["facebook", "instagram"]))
        .then(pl.lit("fbclid"))
        .alias("click_kind"),
    ).drop("utm_content", "tracked")

    row, _, vday, vtod = _expand(rng, day, tod, posts["conversations"].to_numpy(), "conversation")
    kinds = np.array(["engagement", "mention", "dm"])[rng.choice(3, len(row), p=[0.5, 0.2, 0.3])]
    conv = posts.select("unit", "platform", "post_id", "employee_id", "campaign")[row].with_columns(
        pl.Series("day", vday),
        pl.Series("tod", vtod),
        pl.lit("conversation").alias("funnel"),
        pl.lit("conversation").alias("origin"),
        pl.Series("touch_kind", kinds),
        pl.lit(1.0).alias("identify"),
    )
    return pl.concat([clicks, conv], how="diagonal_relaxed"), clicks_day0


def channel_origins(rng: np.random.Generator, tl: Timeline) -> tuple[pl.DataFrame, np.ndarray]:
    """New visitors from the other channels, paid social (and its spend), events and referrals
    by legacy clients."""
    per_day = tl.dow / tl.month_days()[tl.day_month]
    frames = []
    for ch, base in params.CHANNEL_SESSIONS.items():
        day, tod = _daily_events(rng, base * per_day * tl.demand)
        src, med = _weighted(rng, params.CHANNEL_SOURCES[ch], len(day))
        frames.append(
            pl.DataFrame({"day": day, "tod": tod, "source": src, "medium": med}).with_columns(
                pl.lit(ch).alias("funnel"),
                pl.lit(ch).alias("origin"),
                pl.lit("unassigned" if ch == "social_other" else None, pl.String).alias("unit"),
                pl.lit("gclid" if ch == "paid_search" else None, pl.String).alias("click_kind"),
            )
        )
    budget = np.array([params.PLATFORM[p].ad_spend for p in params.PLATFORMS])
    spend = np.round(budget[:, None] * rng.uniform(0.85, 1.15, (len(params.PLATFORMS), tl.months)))
    for j, plat in enumerate(params.PLATFORMS):
        rate = spend[j, tl.day_month] / params.PLATFORM[plat].cpc * per_day
        day, tod = _daily_events(rng, rate)
        frames.append(
            pl.DataFrame({"day": day, "tod": tod}).with_columns(
                pl.lit("paid_social").alias("funnel"),
                pl.lit("paid_social").alias("origin"),
                pl.lit(plat).alias("source"),
                pl.lit("cpc").alias("medium"),
                pl.lit(plat).alias("platform"),
                pl.lit(PAID_CLICK_KIND[plat]).alias("click_kind"),
                pl.format(
                    "paid-{}-{}", pl.lit(plat), pl.Series(tl.dates(day)).dt.strftime("%Y-%m")
                ).alias("campaign"),
                pl.format("ad-{}", pl.Series(rng.integers(1, 5, len(day)))).alias("content"),
            )
        )
    frames.append(_events(rng, tl))
    day, tod = _daily_events(rng, params.LEGACY_REFERRALS_PER_MONTH * per_day)
    frames.append(
        pl.DataFrame(
            {"day": day, "tod": tod, "referrer": rng.integers(0, params.LEGACY_CLIENTS, len(day))}
        ).with_columns(pl.lit("referral").alias("funnel"), pl.lit("referral").alias("origin"))
    )
    out = pl.concat(frames, how="diagonal_relaxed").with_columns(pl.lit(1.0).alias("identify"))
    return out, spend


def event_days(tl: Timeline) -> list[tuple[int, str, str]]:
    """(day, event id, event name) of each event: the second Thursday of every fourth month."""
    out = []
    for m in range(1, tl.months, params.EVENT_EVERY_MONTHS):
        first = tl.month_starts[m]
        day = (first - tl.start).days + (3 - first.weekday()) % 7 + 7
        name = EVENT_NAMES[(m // params.EVENT_EVERY_MONTHS) % len(EVENT_NAMES)]
        out.append((day, f"evt-{first:%Y-%m}-{names.slug(name)}", name))
    return out


def _events(rng: np.random.Generator, tl: Timeline) -> pl.DataFrame:
    rows = []
    for day, event_id, name in event_days(tl):
        n = rng.poisson(params.EVENT_NEW_CONTACTS * tl.demand[day])
        rows.append(
            pl.DataFrame(
                {"day": np.full(n, day), "tod": 15 * 3600 + rng.uniform(0, 3 * 3600, n)}
            ).with_columns(
                pl.lit(event_id).alias("event_id"),
                pl.lit(name).alias("campaign"),
            )
        )
    df = pl.concat(rows) if rows else pl.DataFrame({"day": [], "tod": []})
    return df.with_columns(pl.lit("event").alias("funnel"), pl.lit("event").alias("origin"))


def _chain(rng: np.random.Generator, df: pl.DataFrame, tl: Timeline, key0: int) -> pl.DataFrame:
    df = df.filter(pl.col("day") < tl.n_days)
    ch = sample_chain(
        rng,
        df["funnel"].to_numpy().astype(str),
        df["day"].to_numpy(),
        df["tod"].to_numpy(),
        identify_multiplier=df["identify"].to_numpy(),
        n_days=tl.n_days,
    )
    return df.with_columns(
        pl.Series("key", np.arange(key0, key0 + df.height)),
        *(pl.Series(k, v) for k, v in vars(ch).items()),
    )


def sample_origins(
    rng: np.random.Generator, first: list[pl.DataFrame], tl: Timeline
) -> pl.DataFrame:
    """Every origin through the funnel, then referrals by won clients (keys after the legacy
    clients, which hold keys 0..LEGACY_CLIENTS-1)."""
    gen = _chain(rng, pl.concat(first, how="diagonal_relaxed"), tl, params.LEGACY_CLIENTS)
    done = [gen.with_columns(pl.lit(0).alias("generation"))]
    next_key = params.LEGACY_CLIENTS + gen.height
    for g in range(1, REFERRAL_GENERATIONS):
        won = gen.filter(pl.col("won"))
        n_ref = rng.poisson(params.REFERRALS_PER_WIN, won.height)
        src = np.repeat(np.arange(won.height), n_ref)
        lag = sample_lag(rng, "referral", len(src))
        day = won["close_day"].to_numpy()[src] + lag
        refs = pl.DataFrame(
            {
                "day": day,
                "tod": business_tod(rng, len(src)),
                "referrer": won["key"].to_numpy()[src],
            }
        ).with_columns(
            pl.lit("referral").alias("funnel"),
            pl.lit("referral").alias("origin"),
            pl.lit(1.0).alias("identify"),
        )
        gen = _chain(rng, refs, tl, next_key)
        next_key += gen.height
        done.append(gen.with_columns(pl.lit(g).alias("generation")))
        if gen.height == 0:
            break
    return pl.concat(done, how="diagonal_relaxed")


def _between(rng: np.random.Generator, span: tuple[int, int]) -> int:
    return int(rng.integers(span[0], span[1] + 1))


def plant_stories(rng: np.random.Generator, origins: pl.DataFrame, tl: Timeline) -> pl.DataFrame:
    """Add the referral stories of params.STORIES to `origins` (column ``story``: the story's
    index on its root and on every firm it introduced, null elsewhere).

    A story's root is a contact first met through a conversation or a tracked link on
    STORIES.platform (a staff or a brand post) during the reported period: the ones whose deal
    was won first (the sampled funnel decides; only when fewer such wins exist than stories are
    the earliest such leads made to win, flagged ``planted_root``). Each introduced firm k comes
    from the firm STORIES.referred_by[k-1] (0: the root) some days after that firm's win; it
    becomes a lead, a deal and a win after lags drawn from the STORIES ranges. Anything that
    would fall after the end does not happen (a branch stops there).
    """
    st = params.STORIES
    out = origins.with_columns(
        pl.lit(None, pl.Int64).alias("story"), pl.lit(False).alias("planted_root")
    )
    if st.count <= 0 or not st.referred_by:
        return out
    first, n_days = tl.first_day, tl.n_days
    eligible = (
        (pl.col("platform") == st.platform)
        & pl.col("origin").is_in(["conversation", "tracked_link"])
        & pl.col("contact")
        & (pl.col("contact_day") >= first)
        & pl.col("generation").eq(0)
    )
    won = out.filter(eligible & pl.col("won")).sort("close_day", "key")
    roots: list[int] = won["key"].head(st.count).to_list()
    if len(roots) < st.count:
        spare = out.filter(eligible & pl.col("lead") & ~pl.col("won")).sort("lead_day", "key")
        forced = spare["key"].head(st.count - len(roots)).to_list()
        out = _force_win(rng, out, forced, n_days)
        roots += forced
    won_at = dict(
        out.filter(pl.col("key").is_in(roots) & pl.col("won"))
        .select("key", "close_day")
        .iter_rows()
    )
    roots = sorted(int(r) for r in roots if r in won_at)
    rows: list[dict[str, object]] = []
    next_key = int(out["key"].cast(pl.Int64).max() or 0) + 1  # type: ignore[arg-type]
    for i, root in enumerate(roots):
        close: dict[int, int] = {0: int(won_at[root])}
        keys: dict[int, int] = {0: root}
        for k, parent in enumerate(st.referred_by, start=1):
            if parent not in close:
                continue  # the firm that would introduce it never won (or not yet)
            row = _introduced(rng, close[parent] + _between(rng, st.referral_days), n_days)
            if row is None:
                continue
            row.update(key=next_key, referrer=keys[parent], story=i, generation=1 + k)
            keys[k] = next_key
            next_key += 1
            if row["won"]:
                close[k] = cast(int, row["close_day"])
            rows.append(row)
    index = {r: i for i, r in enumerate(roots)}
    out = out.with_columns(
        pl.col("key").replace_strict(index, default=None, return_dtype=pl.Int64).alias("story")
    )
    if not rows:
        return out
    added = pl.DataFrame(rows).with_columns(
        pl.lit("referral").alias("funnel"),
        pl.lit("referral").alias("origin"),
        pl.lit(1.0).alias("identify"),
        pl.lit(False).alias("planted_root"),
    )
    return pl.concat([out, added], how="diagonal_relaxed")


def _introduced(rng: np.random.Generator, day: int, n_days: int) -> dict[str, object] | None:
    """One introduced firm on `day`: contact at once, then lead, deal and a win (or as far as
    the period reaches)."""
    if day >= n_days:
        return None
    st = params.STORIES
    tod = float(business_tod(rng, 1)[0])
    l_day = day + _between(rng, st.lead_days)
    d_day = l_day + _between(rng, st.deal_days)
    w_day = d_day + _between(rng, st.close_days)
    f = params.FUNNELS["referral"]
    sigma = f.amount_sigma
    amount = max(
        1000.0, round(float(rng.lognormal(np.log(f.mean_amount) - sigma**2 / 2, sigma)), -2)
    )
    lead, deal, closed = l_day < n_days, d_day < n_days, w_day < n_days
    return {
        "day": day,
        "tod": tod,
        "session": False,
        "contact": True,
        "contact_lag": 0,
        "contact_day": day,
        "contact_tod": tod,
        "lead": lead,
        "lead_day": l_day,
        "lead_tod": float(business_tod(rng, 1)[0]),
        "deal": lead and deal,
        "deal_day": d_day,
        "deal_tod": float(business_tod(rng, 1)[0]),
        "closed": lead and deal and closed,
        "won": lead and deal and closed,
        "close_day": w_day,
        "close_tod": float(business_tod(rng, 1)[0]),
        "amount": amount,
    }


def _force_win(
    rng: np.random.Generator, df: pl.DataFrame, keys: list[int], n_days: int
) -> pl.DataFrame:
    """Make the leads of `keys` become deals and wins after the STORIES lags."""
    if not keys:
        return df
    st = params.STORIES
    lead_day = dict(df.filter(pl.col("key").is_in(keys)).select("key", "lead_day").iter_rows())
    deal_day, close_day = {}, {}
    for k in keys:
        deal_day[k] = int(lead_day[k]) + _between(rng, st.deal_days)
        close_day[k] = deal_day[k] + _between(rng, st.close_days)
    hit = pl.col("key").is_in(keys) & pl.Series(
        [close_day.get(k, n_days) < n_days for k in df["key"].to_list()]
    )
    return df.with_columns(
        pl.when(hit)
        .then(pl.col("key").replace_strict(deal_day, default=0))
        .otherwise("deal_day")
        .alias("deal_day"),
        pl.when(hit)
        .then(pl.col("key").replace_strict(close_day, default=0))
        .otherwise("close_day")
        .alias("close_day"),
        pl.when(hit).then(True).otherwise("deal").alias("deal"),
        pl.when(hit).then(True).otherwise("closed").alias("closed"),
        pl.when(hit).then(True).otherwise("won").alias("won"),
        pl.when(hit).then(True).otherwise("planted_root").alias("planted_root"),
    )
