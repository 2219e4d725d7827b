"""The known ground truth: expected social-sourced leads, deals and revenue, and policy effects.

Everything here comes from the generator's expected rates (activity.staff_expected,
activity.brand_expected, funnel.expected_outcomes), never from the sampled rows. Expected values
are conditional on the roster (teams, advocates, networks, who is employed when) and on nothing
sampled after it.

Definitions:

* social-sourced: a contact whose origin is a click on a post's link (tracked or not), a
  conversation started by a post, or an untagged social visit nobody's post explains
  ("unassigned"); its leads have source 'organic_social'. Leads from referrals by clients won
  through social are second-order and not counted. Paid social is a separate channel.
* unit: the team of the employee whose post it was, 'brand' for the company's accounts, or
  'unassigned'. By origin: tracked_link, untracked_link, conversation. Only tracked links and
  conversations name the employee in the data ("identifiable").
* dating: leads by creation, deals by creation, won deals and revenue by close date; nothing on or
  after the end. "cohort" figures instead date everything by the origin post's day, with no end.
* effect of a switch: for each month of its window (the switch up to the next switch or the end),
  expected value under the actual schedule minus under the counterfactual in which the switching
  teams stay on the old policy; reported as the mean over the window's months, per team and in
  total, with the per-month series.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import numpy as np
import polars as pl

from socialroi.demo import params
from socialroi.demo.activity import (
    brand_expected,
    conversations,
    ctr,
    staff_expected,
    staff_impressions,
)
from socialroi.demo.company import Roster
from socialroi.demo.funnel import OUTCOMES, cohort_outcomes, expected_outcomes, mean_lag
from socialroi.demo.timeline import Timeline

ORIGINS: tuple[str, ...] = ("tracked_link", "untracked_link", "conversation")
METRICS: tuple[str, ...] = ("contacts", "leads", "deals", "won", "revenue")
Series = dict[str, np.ndarray]


def _monthly(tl: Timeline, daily: np.ndarray) -> np.ndarray:
    """Monthly sums over every simulated month (index with `_reported` for the reported ones)."""
    return np.bincount(tl.day_month, weights=daily, minlength=tl.months)


def _reported(tl: Timeline, x: np.ndarray) -> Any:
    return _r(x[tl.first_month :])


def _origin_rates(
    roster: Roster, tl: Timeline, sched: np.ndarray
) -> dict[str, dict[str, np.ndarray]]:
    """Expected origin events per post day, by unit and origin (identify multiplier folded in)."""
    staff = staff_expected(roster, tl, sched)
    out: dict[str, dict[str, np.ndarray]] = {}
    for t, team in enumerate(params.TEAMS):
        rows = roster.team == t
        clicks = (staff["clicks"] * staff["identify"])[rows].sum(axis=0)
        tracked = (staff["clicks_tracked"] * staff["identify"])[rows].sum(axis=0)
        out[team] = {
            "tracked_link": tracked,
            "untracked_link": clicks - tracked,
            "conversation": staff["conversations"][rows].sum(axis=0),
        }
    brand = brand_expected(tl)
    out["brand"] = {
        "tracked_link": brand["clicks_tracked"].sum(axis=0),
        "untracked_link": (brand["clicks"] - brand["clicks_tracked"]).sum(axis=0),
        "conversation": brand["conversations"].sum(axis=0),
    }
    per_day = tl.dow / tl.month_days()[tl.day_month]
    out["unassigned"] = {
        "untracked_link": params.CHANNEL_SESSIONS["social_other"] * per_day * tl.demand
    }
    return out


def _funnel_for(unit: str, origin: str) -> tuple[params.Funnel, str | None]:
    if unit == "unassigned":
        return params.FUNNELS["social_other"], None
    if origin == "conversation":
        return params.FUNNELS["conversation"], "conversation"
    return params.FUNNELS["social_click"], "click"


def expected_social(
    roster: Roster, tl: Timeline, sched: np.ndarray, *, cohort: bool = False
) -> dict[str, dict[str, Series]]:
    """unit → origin → outcome → monthly expected values (outcome-dated, or cohort-dated)."""
    out: dict[str, dict[str, Series]] = {}
    for unit, by_origin in _origin_rates(roster, tl, sched).items():
        out[unit] = {}
        for origin, rate in by_origin.items():
            funnel, pre_lag = _funnel_for(unit, origin)
            daily = (
                cohort_outcomes(rate, funnel)
                if cohort
                else expected_outcomes(rate, funnel, pre_lag)
            )
            out[unit][origin] = {k: _monthly(tl, daily[k]) for k in OUTCOMES}
    return out


def _total(by_origin: dict[str, Series], origins: tuple[str, ...] = ORIGINS) -> Series:
    keys = [o for o in origins if o in by_origin]
    return {m: np.sum([by_origin[o][m] for o in keys], axis=0) for m in METRICS}


def _r(x: np.ndarray | float) -> Any:
    return np.round(x, 4).tolist()


def switches(sched: np.ndarray) -> list[tuple[int, int, tuple[int, ...], int, int]]:
    """(month, window end, team indices, from code, to code) for every policy switch."""
    change = np.flatnonzero((sched[:, 1:] != sched[:, :-1]).any(axis=0)) + 1
    bounds = [*change.tolist(), sched.shape[1]]
    out = []
    for m, stop in itertools.pairwise(bounds):
        moved = np.flatnonzero(sched[:, m] != sched[:, m - 1])
        pairs = sorted({(int(sched[t, m - 1]), int(sched[t, m])) for t in moved})
        for a, b in pairs:
            teams = tuple(int(t) for t in moved if (sched[t, m - 1], sched[t, m]) == (a, b))
            out.append((int(m), int(stop), teams, a, b))
    return out


def _effect(actual: Series, cf: Series, window: slice) -> dict[str, float]:
    out: dict[str, float] = {}
    for metric in ("leads", "deals", "won", "revenue"):
        a, c = actual[metric][window], cf[metric][window]
        out[metric] = _r(float(np.mean(a - c)))
        out[f"{metric}_ratio"] = _r(float(a.sum() / c.sum())) if c.sum() > 0 else None  # type: ignore[assignment]
    return out


def _switch_entry(
    switch: tuple[int, int, tuple[int, ...], int, int],
    *,
    roster: Roster,
    tl: Timeline,
    sched: np.ndarray,
    actual: dict[str, dict[str, Series]],
    actual_cohort: dict[str, dict[str, Series]],
) -> dict[str, Any]:
    m, stop, teams, a, b = switch
    cf_sched = sched.copy()
    cf_sched[list(teams), m:] = a
    cf = expected_social(roster, tl, cf_sched)
    cf_cohort = expected_social(roster, tl, cf_sched, cohort=True)
    window = slice(m, stop)
    names = [params.TEAMS[t] for t in teams]
    per_team, cohort, identifiable, monthly = {}, {}, {}, {}
    for team in names:
        act, c = _total(actual[team]), _total(cf[team])
        per_team[team] = _effect(act, c, window)
        cohort[team] = _effect(_total(actual_cohort[team]), _total(cf_cohort[team]), window)
        ident = ("tracked_link", "conversation")
        identifiable[team] = _effect(_total(actual[team], ident), _total(cf[team], ident), window)
        monthly[team] = {
            "actual": {k: _r(act[k][window]) for k in ("leads", "deals", "revenue")},
            "counterfactual": {k: _r(c[k][window]) for k in ("leads", "deals", "revenue")},
        }

    def summed(part: dict[str, dict[str, float]]) -> dict[str, float]:
        return {
            k: _r(sum(v[k] for v in part.values())) for k in ("leads", "deals", "won", "revenue")
        }

    return {
        "date": tl.month_starts[m].isoformat(),
        "window_end": tl.month_starts[stop].isoformat() if stop < tl.months else tl.end.isoformat(),
        "months_in_window": stop - m,
        "teams": names,
        "controls": [t for i, t in enumerate(params.TEAMS) if i not in teams],
        "from": params.POLICY_CODES[a],
        "to": params.POLICY_CODES[b],
        "effect": {"per_team": per_team, "total": summed(per_team)},
        "effect_identifiable": {"per_team": identifiable, "total": summed(identifiable)},
        "effect_cohort": {"per_team": cohort, "total": summed(cohort)},
        "monthly": monthly,
    }


def roster_factors(roster: Roster) -> list[dict[str, Any]]:
    """Per employee, what the expected rates are built from (for recomputing them by hand)."""
    reach = roster.weights * roster.network * staff_impressions()
    clicks = (reach * ctr()).sum(axis=1) * params.STAFF_CTR_MULTIPLIER
    conv = (reach * conversations()).sum(axis=1)
    return [
        {
            "employee_id": str(roster.ids[i]),
            "team": params.TEAMS[int(roster.team[i])],
            "advocate": bool(roster.advocate[i]),
            "start_day": int(roster.start_day[i]),  # days from simulation_start
            "stop_day": int(roster.stop_day[i]),  # first day no longer employed
            "impressions_per_post": _r(float(reach[i].sum())),
            "clicks_per_link_post": float(clicks[i]),
            "conversations_per_post": float(conv[i]),
        }
        for i in range(len(roster.ids))
    ]


def ground_truth(
    roster: Roster, tl: Timeline, sched: np.ndarray, *, seed: int, policy_rows: list[dict[str, Any]]
) -> dict[str, Any]:
    actual = expected_social(roster, tl, sched)
    actual_cohort = expected_social(roster, tl, sched, cohort=True)
    units: dict[str, Any] = {}
    for unit, by_origin in actual.items():
        total = _total(by_origin)
        units[unit] = {k: _reported(tl, total[k]) for k in METRICS} | {
            "by_origin": {
                o: {k: _reported(tl, v[k]) for k in METRICS} for o, v in by_origin.items()
            }
        }
    everything = {m: np.sum([_total(v)[m] for v in actual.values()], axis=0) for m in METRICS}
    lags = {name: round(mean_lag(name), 3) for name in params.LAGS}
    truth = {
        "about": __doc__,
        "seed": seed,
        "months": tl.months - tl.first_month,
        "start": tl.report_start.isoformat(),
        "end": tl.end.isoformat(),
        "simulation_start": tl.start.isoformat(),
        "warmup_months": tl.first_month,
        "as_of": tl.as_of.isoformat(),
        "policy_timeline": policy_rows,
        "switches": [
            _switch_entry(
                s, roster=roster, tl=tl, sched=sched, actual=actual, actual_cohort=actual_cohort
            )
            for s in switches(sched)
        ],
        "expected_monthly": {
            "months": [s.isoformat() for s in tl.month_starts[tl.first_month :]],
            "demand": _reported(tl, tl.month_demand),
            "units": units,
            "total_social": {k: _reported(tl, v) for k, v in everything.items()},
        },
        "roster": roster_factors(roster),
        "parameters": params.as_dict() | {"mean_lag_days": lags},
    }
    result: dict[str, Any] = json.loads(json.dumps(truth))  # plain JSON values (tuples → lists)
    return result


def referral_stories(
    origins: pl.DataFrame, contacts: pl.DataFrame, deals: pl.DataFrame
) -> list[dict[str, Any]]:
    """The planted referral stories (origins.plant_stories) as the data name them: per story the
    root contact (met on which platform, through which employee, its own won deal) and every firm
    it led to, directly or down the chain, with its hop count from the root and its deal.

    `contacts` is the generator's contacts frame (with its internal ``key``); `deals` the deals
    table. ``downstream_won`` and ``downstream_value`` count the introduced firms' won deals;
    ``depth`` is the largest hop among them."""
    if "story" not in origins.columns:
        return []
    ids = contacts.select("key", "contact_id", "name", "company")
    part = origins.filter(pl.col("story").is_not_null()).join(ids, on="key", how="left")
    won = deals.filter(pl.col("won").fill_null(False)).select(
        "contact_id", "deal_id", "amount", "closed_at"
    )
    part = part.join(won, on="contact_id", how="left")
    out: list[dict[str, Any]] = []
    for (story,), rows in part.sort("key").group_by(["story"], maintain_order=True):
        by_key = {int(r["key"]): r for r in rows.iter_rows(named=True)}
        root = next(
            r for r in by_key.values() if r["referrer"] is None or r["origin"] != "referral"
        )

        def hop(r: dict[str, Any], _by_key: dict[int, dict[str, Any]] = by_key) -> int:
            n = 0
            while r["origin"] == "referral" and r["referrer"] is not None:
                n += 1
                r = _by_key[int(r["referrer"])]
            return n

        def deal(r: dict[str, Any]) -> dict[str, Any]:
            return {
                "deal_id": r["deal_id"],
                "amount": None if r["amount"] is None else float(r["amount"]),
                "won_at": None if r["closed_at"] is None else r["closed_at"].isoformat(),
            }

        introduced = [
            {
                "contact_id": r["contact_id"],
                "name": r["name"],
                "company": r["company"],
                "referred_by": by_key[int(r["referrer"])]["contact_id"],
                "hop": hop(r),
                **deal(r),
            }
            for r in by_key.values()
            if r is not root
        ]
        done = [x for x in introduced if x["deal_id"] is not None]
        out.append(
            {
                "story": int(story),
                "root": {
                    "contact_id": root["contact_id"],
                    "name": root["name"],
                    "company": root["company"],
                    "met_on": root["platform"],
                    "via": root["origin"],
                    "employee_id": root["employee_id"],
                    "planted_win": bool(root["planted_root"]),
                    **deal(root),
                },
                "introduced": introduced,
                "downstream_won": len(done),
                "downstream_value": float(sum(x["amount"] for x in done)),
                "depth": max((x["hop"] for x in done), default=0),
            }
        )
    return out
