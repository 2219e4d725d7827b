"""The demo's calendar: days, months, demand (seasonality × trend) and the policy schedule.

Day 0 is the first day of the warm-up (params.WARMUP_MONTHS before the reported period); the
reported period starts at month `first_month` and runs to the day before `end` (`n_days`). Every
expected rate in the demo is an array over these days. The schedule is a (team × month) array of
policy codes (an index into params.POLICY_CODES), the first policy also holding in the warm-up;
counterfactual schedules are edited copies of it.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl

from socialroi.core.months import add_months
from socialroi.demo import params
from socialroi.schema import conform

EPOCH = date(1970, 1, 1)
US_PER_DAY = 86_400_000_000


def rng_for(seed: int, part: str) -> np.random.Generator:
    """An independent, reproducible random stream for one part of the generator."""
    return np.random.default_rng(
        np.random.SeedSequence(seed, spawn_key=(zlib.crc32(part.encode()),))
    )


def masked(name: str, values: np.ndarray, keep: np.ndarray) -> pl.Series:
    """`values` as text, null where `keep` is False."""
    text = pl.Series(name, values.astype(str), dtype=pl.String)
    return pl.select(pl.when(pl.Series(keep)).then(text)).to_series().alias(name)


@dataclass(frozen=True)
class Timeline:
    start: date  # first day of the warm-up
    end: date  # first day after the reported period
    months: int  # simulated months, warm-up included
    n_days: int
    month_starts: tuple[date, ...]
    day_month: np.ndarray  # month index of each day
    dow: np.ndarray  # weekday/weekend activity factor of each day
    month_demand: np.ndarray  # seasonality × trend of each month
    first_month: int  # the first reported month (after the warm-up)
    ban_months: int  # reported months under the blanket ban
    advocacy_month: int  # first month of employee advocacy for the advocacy teams

    @property
    def report_start(self) -> date:
        return self.month_starts[self.first_month]

    @property
    def first_day(self) -> int:
        return (self.report_start - self.start).days

    @property
    def report_start_at(self) -> datetime:
        d = self.report_start
        return datetime(d.year, d.month, d.day, tzinfo=UTC)

    @property
    def demand(self) -> np.ndarray:
        """Seasonality × trend of each day (constant within a month)."""
        return np.asarray(self.month_demand[self.day_month])

    @property
    def start_us(self) -> int:
        return (self.start - EPOCH).days * US_PER_DAY

    @property
    def as_of(self) -> datetime:
        return datetime(self.end.year, self.end.month, self.end.day, tzinfo=UTC)

    def day_date(self, day: int) -> date:
        return self.start + timedelta(days=int(day))

    def timestamps(self, day: np.ndarray, tod: np.ndarray) -> pl.Series:
        """UTC timestamps from day indices and seconds into the day."""
        us = self.start_us + day.astype(np.int64) * US_PER_DAY + (tod * 1e6).astype(np.int64)
        return pl.Series(us, dtype=pl.Int64).cast(pl.Datetime("us", "UTC"))

    def dates(self, day: np.ndarray) -> pl.Series:
        days = (self.start - EPOCH).days + day.astype(np.int32)
        return pl.Series(days, dtype=pl.Int32).cast(pl.Date)

    def month_days(self) -> np.ndarray:
        return np.bincount(self.day_month, minlength=self.months)


def make_timeline(months: int, end: date) -> Timeline:
    if not params.MIN_MONTHS <= months <= params.MAX_MONTHS:
        raise ValueError(
            f"months must be between {params.MIN_MONTHS} and {params.MAX_MONTHS}, not {months}"
        )
    end = date(end.year, end.month, 1)
    warmup = params.WARMUP_MONTHS
    reported = months
    months = reported + warmup
    start = add_months(end, -months)
    starts = tuple(add_months(start, k) for k in range(months))
    n_days = (end - start).days
    bounds = np.array([(s - start).days for s in starts])
    day = np.arange(n_days)
    day_month = np.searchsorted(bounds, day, side="right") - 1
    weekday = (np.array([start.weekday()]) + day) % 7
    dow = np.where(weekday < 5, params.WEEKDAY_FACTOR, params.WEEKEND_FACTOR)
    season = np.array(params.SEASONALITY) / np.mean(params.SEASONALITY)
    month_of_year = np.array([s.month - 1 for s in starts])
    demand = season[month_of_year] * (1 + params.TREND_PER_MONTH) ** (np.arange(months) - warmup)
    ban = max(1, int(reported * params.BAN_MONTHS_OF_24 / 24 + 0.5))
    adv = min(reported - 1, max(ban + 1, int(reported * params.ADVOCACY_MONTH_OF_24 / 24 + 0.5)))
    return Timeline(
        start, end, months, n_days, starts, day_month, dow, demand, warmup, ban, warmup + adv
    )


def schedule(tl: Timeline) -> np.ndarray:
    """Policy code per (team, month): ban, then acceptable use, then advocacy for two teams."""
    code = {name: i for i, name in enumerate(params.POLICY_CODES)}
    out = np.full((len(params.TEAMS), tl.months), code["acceptable_use"], dtype=np.int64)
    out[:, : tl.first_month + tl.ban_months] = code["blanket_ban"]
    for t, team in enumerate(params.TEAMS):
        if team in params.ADVOCACY_TEAMS:
            out[t, tl.advocacy_month :] = code["employee_advocacy"]
    return out


def policy_params(policy: str) -> str:
    mech = params.MECHANISMS[policy]
    extra: dict[str, object] = {}
    if policy == "blanket_ban":
        extra = {
            "monitoring_per_seat": params.COSTS.monitoring_per_seat,
            "productivity_workdays_per_employee_year": params.COSTS.ban_productivity_workdays,
        }
    elif policy == "employee_advocacy":
        extra = {
            "licence_per_advocate": params.COSTS.advocacy_licence_per_advocate,
            "reward_per_active_advocate": params.COSTS.reward_per_active_advocate,
            "minutes_per_share": params.STAFF.minutes_per_post["share"],
            "non_advocates": "acceptable_use",
        }
    body: dict[str, object] = {**vars(mech), **extra}
    return json.dumps(body, sort_keys=True)


def policy_periods(tl: Timeline, sched: np.ndarray) -> pl.DataFrame:
    """The schedule as policy_periods rows: '*' while every team shares a policy, else per team.

    At every date exactly one row covers each team, so no precedence rule is needed to read it.
    """
    rows: list[dict[str, object]] = []
    uniform = (sched == sched[:1]).all(axis=0)
    m = tl.first_month
    while m < tl.months:
        k = m
        while k < tl.months and uniform[k] == uniform[m]:
            k += 1
        # months [m, k) are all uniform or all mixed
        if uniform[m]:
            rows.extend(_runs("*", sched[0, m:k], tl, m))
        else:
            for t, team in enumerate(params.TEAMS):
                rows.extend(_runs(team, sched[t, m:k], tl, m))
        m = k
    df = pl.DataFrame(
        rows,
        schema={
            "team": pl.String,
            "from": pl.Date,
            "to": pl.Date,
            "policy": pl.String,
            "params": pl.String,
        },
    )
    return conform("policy_periods", df)


def _runs(team: str, codes: np.ndarray, tl: Timeline, offset: int) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    i = 0
    while i < len(codes):
        j = i
        while j < len(codes) and codes[j] == codes[i]:
            j += 1
        stop = offset + j
        policy = params.POLICY_CODES[int(codes[i])]
        out.append(
            {
                "team": team,
                "from": tl.month_starts[offset + i],
                "to": tl.month_starts[stop] if stop < tl.months else None,
                "policy": policy,
                "params": policy_params(policy),
            }
        )
        i = j
    return out
