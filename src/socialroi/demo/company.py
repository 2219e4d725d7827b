"""The roster and the social accounts: who works where, when, at what cost, with what network.

40 people in four teams; about 15% a year leave and are replaced in the same team a few weeks later
(the hires table lists the replacements). Everyone has a LinkedIn profile, some also X, Facebook
or Instagram. Staff LinkedIn networks are scaled so together they are STAFF_NETWORK_MULTIPLE times
the company page's followers. One Marketing employee runs the brand accounts; neither they nor the
head of Sales leave.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from socialroi.demo import names, params
from socialroi.demo.timeline import Timeline
from socialroi.schema import conform

BRAND = "brand"


@dataclass(frozen=True)
class Roster:
    employees: pl.DataFrame  # canonical employees table
    accounts: pl.DataFrame  # canonical accounts table (brand and staff)
    ids: np.ndarray  # employee_id per row (object array of str)
    team: np.ndarray  # team index per employee
    advocate: np.ndarray
    start_day: np.ndarray  # first day employed (may be before day 0)
    stop_day: np.ndarray  # first day no longer employed (n_days if still there)
    network: np.ndarray  # (employee, platform) followers at the start; 0 without an account
    weights: np.ndarray  # (employee, platform) chance a post goes to that platform
    loaded_hourly: np.ndarray
    account_id: np.ndarray  # (employee, platform) account id, '' without an account
    brand_account: dict[str, str]  # platform → brand account id
    brand_manager: int
    head_of_sales: int
    replaced: np.ndarray  # for each employee, the index they replaced, or -1

    def active(self, n_days: int) -> np.ndarray:
        """(employee, day) True while employed."""
        day = np.arange(n_days)
        return (day >= self.start_day[:, None]) & (day < self.stop_day[:, None])


def _team_order() -> np.ndarray:
    return np.concatenate([np.full(params.TEAM_SIZES[t], i) for i, t in enumerate(params.TEAMS)])


def make_roster(rng: np.random.Generator, tl: Timeline) -> Roster:
    team0 = _team_order()
    n0 = len(team0)
    # -- who leaves, and their replacements ---------------------------------------------------
    first_of = {t: int(np.argmax(team0 == i)) for i, t in enumerate(params.TEAMS)}
    anchors = {first_of["Marketing"], first_of["Sales"]}
    p_leave = 1 - np.exp(-params.STAFF.annual_turnover * tl.months / 12)
    leaves = rng.random(n0) < p_leave
    leaves[list(anchors)] = False
    leave_day = rng.integers(tl.first_day + 30, tl.n_days, n0)
    join_day = leave_day + rng.integers(14, 61, n0)
    replaced0 = np.flatnonzero(leaves & (join_day < tl.n_days))
    team = np.concatenate([team0, team0[replaced0]])
    n = len(team)
    start_day = np.concatenate([-rng.integers(60, 4000, n0), join_day[replaced0]])
    stop_day = np.concatenate(
        [np.where(leaves, leave_day + 1, tl.n_days), np.full(len(replaced0), tl.n_days)]
    )
    replaced = np.concatenate([np.full(n0, -1), replaced0])

    in_advocacy = np.isin(team, [params.TEAMS.index(t) for t in params.ADVOCACY_TEAMS])
    advocate = in_advocacy & (rng.random(n) < params.STAFF.advocate_share)
    advocate[first_of["Marketing"]] = True

    # -- networks and accounts -----------------------------------------------------------------
    team_factor = np.array([params.TEAM_NETWORK_FACTOR[t] for t in params.TEAMS])[team]
    network = np.zeros((n, len(params.PLATFORMS)))
    li_raw = team_factor * rng.lognormal(-0.18, 0.6, n)
    brand_li = params.PLATFORM["linkedin"].brand_followers
    network[:, 0] = np.round(li_raw * params.STAFF_NETWORK_MULTIPLE * brand_li / li_raw[:n0].sum())
    for j, plat in enumerate(params.PLATFORMS[1:], start=1):
        spec = params.PLATFORM[plat]
        has = rng.random(n) < spec.staff_account_share
        network[:, j] = np.where(
            has, np.round(spec.staff_network * rng.lognormal(-0.245, 0.7, n)), 0
        )
    network = np.maximum(network, np.where(network > 0, 20, 0))
    post_weight = np.array([params.PLATFORM[p].staff_post_weight for p in params.PLATFORMS])
    weights = (network > 0) * post_weight
    weights = weights / weights.sum(axis=1, keepdims=True)

    wage = np.array([params.STAFF.hourly_wage[t] for t in params.TEAMS])[team]
    loaded = np.round(wage * rng.lognormal(0, 0.15, n) * params.STAFF.loaded_multiplier, 2)

    ids = np.array([f"e{i:03d}" for i in range(1, n + 1)], dtype=object)
    people = _unique_people(rng, n)
    employees = conform(
        "employees",
        pl.DataFrame(
            {
                "employee_id": ids.tolist(),
                "name": people["name"],
                "team": [params.TEAMS[t] for t in team],
                "loaded_hourly_cost": loaded,
                "start_date": tl.dates(start_day),
                "end_date": tl.dates(stop_day - 1),
                "advocate": advocate,
            }
        ).with_columns(pl.when(pl.Series(stop_day < tl.n_days)).then("end_date").alias("end_date")),
    )
    account_id, accounts, brand_account = _accounts(rng, ids, people["slug"], network)
    return Roster(
        employees,
        accounts,
        ids,
        team,
        advocate,
        start_day,
        stop_day,
        network,
        weights,
        loaded,
        account_id,
        brand_account,
        first_of["Marketing"],
        first_of["Sales"],
        replaced,
    )


def _unique_people(rng: np.random.Generator, n: int) -> pl.DataFrame:
    pool = names.person_names(rng, 4 * n).unique(subset="name", keep="first", maintain_order=True)
    return pool.head(n)


def _accounts(
    rng: np.random.Generator, ids: np.ndarray, slugs: pl.Series, network: np.ndarray
) -> tuple[np.ndarray, pl.DataFrame, dict[str, str]]:
    brand_account = {
        "linkedin": "80412577",
        "x": "1290045519833849856",
        "facebook": "104889532211476",
        "instagram": "17841405822304914",
    }
    brand_handle = {
        "linkedin": "northwind-it-services",
        "x": "@NorthwindIT",
        "facebook": "NorthwindITServices",
        "instagram": "@northwind.it",
    }
    n = len(ids)
    account_id = np.full((n, len(params.PLATFORMS)), "", dtype=object)
    frames = [
        pl.DataFrame(
            {
                "platform": list(params.PLATFORMS),
                "account_id": [brand_account[p] for p in params.PLATFORMS],
                "handle": [brand_handle[p] for p in params.PLATFORMS],
                "owner": [BRAND] * len(params.PLATFORMS),
            }
        )
    ]
    suffix = rng.integers(10, 99, n).astype(str)
    plain = slugs.str.replace_all("-", "")
    handles = {
        "linkedin": slugs + "-" + pl.Series(suffix),
        "x": ("@" + plain.str.slice(0, 12) + pl.Series(suffix)),
        "facebook": slugs.str.replace_all("-", "."),
        "instagram": "@" + slugs.str.replace_all("-", "_"),
    }
    base = {
        "linkedin": 500_000_000,
        "x": 1_400_000_000,
        "facebook": 100_000_000_000_000,
        "instagram": 17_841_400_000_000_000,
    }
    for j, plat in enumerate(params.PLATFORMS):
        has = network[:, j] > 0
        acct = (base[plat] + rng.choice(10**8, n, replace=False)).astype(str)
        account_id[has, j] = acct[has]
        frames.append(
            pl.DataFrame(
                {
                    "platform": plat,
                    "account_id": acct[has].tolist(),
                    "handle": handles[plat].filter(pl.Series(has)),
                    "owner": ids[has].tolist(),
                }
            )
        )
    return account_id, conform("accounts", pl.concat(frames)), brand_account
