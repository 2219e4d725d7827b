"""What the social effort cost, plus the two non-revenue lines: service cases and hires.

Costs by month: ad spend per platform; tools; staff time at each employee's loaded hourly cost
(minutes per post by kind, minutes per conversation handled, the brand manager's time on brand
posts); monitoring software and admin time during the ban; a policy briefing for everyone when the
ban is lifted; advocacy training, licences and rewards under advocacy.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from socialroi.demo import params
from socialroi.demo.company import Roster
from socialroi.demo.funnel import business_tod
from socialroi.demo.timeline import Timeline, masked
from socialroi.schema import conform

_BAN, _USE, _ADV = range(len(params.POLICY_CODES))


def _frame(
    tl: Timeline,
    month: np.ndarray,
    category: str,
    amount: np.ndarray,
    *,
    platform: str | np.ndarray = "",
    employee: str | np.ndarray = "",
) -> pl.DataFrame:
    """Cost rows for month indices `month`; platform/employee are one value or one per row."""
    n = len(month)

    def column(v: str | np.ndarray) -> list[str]:
        return [str(x) for x in v] if isinstance(v, np.ndarray) else [v] * n

    return pl.DataFrame(
        {
            "month": tl.dates(np.array([(tl.month_starts[int(m)] - tl.start).days for m in month])),
            "category": [category] * n,
            "platform": column(platform),
            "employee_id": column(employee),
            "amount": np.round(np.asarray(amount, dtype=float), 2),
        },
        schema_overrides={"platform": pl.String, "employee_id": pl.String},
    )


def build_costs(
    posts: pl.DataFrame, roster: Roster, tl: Timeline, sched: np.ndarray, spend: np.ndarray
) -> pl.DataFrame:
    c = params.COSTS
    months = np.arange(tl.months)
    first_day = np.array([(s - tl.start).days for s in tl.month_starts])
    employed = roster.active(tl.n_days)[:, first_day]  # (employee, month) at the month's start
    wage, ids = roster.loaded_hourly, roster.ids
    company = sched.max(axis=0)  # the ban while every team is under it
    frames = [
        _frame(tl, months, "ad_spend", spend[j], platform=plat)
        for j, plat in enumerate(params.PLATFORMS)
    ]
    frames.append(_frame(tl, months, "tools", np.full(tl.months, c.tools_per_month)))
    frames.append(_staff_time(posts, roster, tl))

    ban = np.flatnonzero(company == _BAN)
    frames.append(
        _frame(tl, ban, "monitoring", employed[:, ban].sum(axis=0) * c.monitoring_per_seat)
    )
    delivery = np.flatnonzero(roster.team == params.TEAMS.index("Delivery"))
    admin = delivery[np.argmax(employed[delivery][:, ban], axis=0)] if len(ban) else ban
    hours = c.monitoring_admin_hours * wage[admin]
    frames.append(_frame(tl, ban, "monitoring", hours, employee=ids[admin]))

    for lifted in np.flatnonzero((company[1:] != _BAN) & (company[:-1] == _BAN)) + 1:
        who = np.flatnonzero(employed[:, lifted])
        briefing = c.policy_briefing_hours * wage[who]
        month = np.full(len(who), lifted)
        frames.append(_frame(tl, month, "training", briefing, employee=ids[who]))

    on_advocacy = (sched[roster.team] == _ADV) & roster.advocate[:, None] & employed
    started = np.flatnonzero(on_advocacy.any(axis=0))
    if len(started):
        m0 = started[0]
        who = np.flatnonzero(on_advocacy[:, m0])
        course = c.advocacy_training_hours * wage[who]
        frames.append(_frame(tl, np.full(len(who), m0), "training", course, employee=ids[who]))
        frames.append(_frame(tl, np.array([m0]), "training", np.array([c.advocacy_trainer_fee])))
        seats = on_advocacy[:, started].sum(axis=0)
        frames.append(
            _frame(tl, started, "advocacy_licences", seats * c.advocacy_licence_per_advocate)
        )
        e, m = np.nonzero(on_advocacy & _posted(posts, roster, tl))
        reward = np.full(len(e), c.reward_per_active_advocate)
        frames.append(_frame(tl, m, "rewards", reward, employee=ids[e]))
    df = pl.concat(frames)
    df = df.group_by("month", "category", "platform", "employee_id").agg(pl.col("amount").sum())
    return conform("costs", df.sort("month", "category", "platform", "employee_id"))


def _posted(posts: pl.DataFrame, roster: Roster, tl: Timeline) -> np.ndarray:
    staff = posts.filter(pl.col("employee") >= 0)
    out = np.zeros((len(roster.ids), tl.months), dtype=bool)
    out[staff["employee"].to_numpy(), tl.day_month[staff["day"].to_numpy()]] = True
    return out


def _staff_time(posts: pl.DataFrame, roster: Roster, tl: Timeline) -> pl.DataFrame:
    """Minutes per post by kind (the brand manager's for brand posts) and per conversation."""
    per_kind = params.STAFF.minutes_per_post
    bm = roster.brand_manager
    e = posts["employee"].to_numpy()
    minutes = (
        np.where(
            e >= 0,
            posts["kind"].replace_strict(per_kind, return_dtype=pl.Float64).to_numpy(),
            params.STAFF.minutes_per_brand_post,
        )
        + posts["conversations"].to_numpy() * params.STAFF.minutes_per_conversation
    )
    who = np.where(e >= 0, e, bm)
    df = (
        pl.DataFrame(
            {
                "m": tl.day_month[posts["day"].to_numpy()],
                "platform": posts["platform"],
                "employee": who,
                "hours": minutes / 60,
            }
        )
        .group_by("m", "platform", "employee")
        .agg(pl.col("hours").sum())
        .sort("m", "platform", "employee")
    )
    emp = df["employee"].to_numpy()
    cost = df["hours"].to_numpy() * roster.loaded_hourly[emp]
    return _frame(
        tl,
        df["m"].to_numpy(),
        "staff_time",
        cost,
        platform=df["platform"].to_numpy(),
        employee=roster.ids[emp],
    )


def service_cases(
    rng: np.random.Generator, clients: pl.DataFrame, roster: Roster, tl: Timeline, sched: np.ndarray
) -> pl.DataFrame:
    """Help-desk cases; the Support team's policy sets how many come in over social channels.

    `clients` has contact_id and since (µs epoch: when they became a client).
    """
    per_day = tl.dow / tl.month_days()[tl.day_month]
    growth = (1 + params.TREND_PER_MONTH) ** tl.day_month
    count = rng.poisson(params.SERVICE_CASES_PER_MONTH * per_day * growth)
    day = np.repeat(np.arange(tl.n_days), count)
    n = len(day)
    support = sched[params.TEAMS.index("Support"), tl.day_month[day]]
    mix = np.array([params.SERVICE_MIX[p] for p in params.POLICY_CODES])[support]
    channel = (rng.random(n)[:, None] > np.cumsum(mix, axis=1)).sum(axis=1)
    channel = np.minimum(channel, len(params.SERVICE_CHANNELS) - 1)
    mean = np.array([params.SERVICE_MINUTES[c] for c in params.SERVICE_CHANNELS])[channel]
    ts = tl.timestamps(day, business_tod(rng, n))
    since = np.sort(clients["since"].to_numpy())
    order = np.argsort(clients["since"].to_numpy(), kind="stable")
    avail = np.searchsorted(since, ts.dt.epoch("us").to_numpy(), side="right")
    pick = np.floor(rng.random(n) * avail).astype(np.int64)
    known = (avail > 0) & (rng.random(n) < 0.85)
    ids = clients["contact_id"].to_numpy()[order]
    contact = masked("contact_id", ids[np.minimum(pick, len(ids) - 1)], known)
    df = pl.DataFrame(
        {
            "opened_at": ts,
            "channel": np.array(params.SERVICE_CHANNELS)[channel],
            "minutes_handled": np.round(rng.gamma(4.0, mean / 4.0), 1),
            "contact_id": contact,
        }
    ).with_columns(
        pl.format("CS-{}", pl.int_range(1, n + 1).cast(pl.String).str.zfill(6)).alias("case_id")
    )
    return conform("service_cases", df)


def hires(
    rng: np.random.Generator, roster: Roster, tl: Timeline, sched: np.ndarray
) -> pl.DataFrame:
    """One hire per replacement; the hiring team's policy sets the source mix (social via staff
    shares of the job post, referrals, job boards, agencies)."""
    who = np.flatnonzero(roster.replaced >= 0)
    n = len(who)
    day = roster.start_day[who] - rng.integers(14, 31, n)
    policy = sched[roster.team[who], tl.day_month[np.clip(day, 0, tl.n_days - 1)]]
    mix = np.array([params.HIRE_MIX[p] for p in params.POLICY_CODES])[policy]
    src = np.minimum(
        (rng.random(n)[:, None] > np.cumsum(mix, axis=1)).sum(axis=1), len(params.HIRE_SOURCES) - 1
    )
    label = np.array(["linkedin", "employee_referral", "job_board", "agency"])[src]
    cost = np.array([params.HIRE_COST[s] for s in params.HIRE_SOURCES])[src] * rng.lognormal(
        -0.02, 0.2, n
    )
    day_c = np.clip(day, 0, tl.n_days - 1)
    active = roster.active(tl.n_days)[:, day_c]  # (employee, hire)
    referrer = [
        roster.ids[rng.choice(np.flatnonzero(active[:, i]))] if src[i] in (0, 1) else None
        for i in range(n)
    ]
    df = (
        pl.DataFrame(
            {
                "hired_at": tl.timestamps(day_c, business_tod(rng, n)),
                "source": label,
                "cost": np.round(cost, -1),
                "referred_by_employee_id": pl.Series(referrer, dtype=pl.String),
            }
        )
        .sort("hired_at")
        .with_columns(
            pl.format("H{}", pl.int_range(1, n + 1).cast(pl.String).str.zfill(4)).alias("hire_id")
        )
    )
    return conform("hires", df)
