"""The policy timeline, the ground truth's consistency with the parameters, and the data's
response to the policies."""

import json
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl
import pytest

from socialroi.core.links import parse_link_code
from socialroi.demo import DemoCompany, params


def test_policy_timeline_24_months(demo):
    rows = demo.tables["policy_periods"].sort("from", "team").to_dicts()
    got = [(r["team"], r["from"], r["to"], r["policy"]) for r in rows]
    switch = date(2026, 1, 1)
    assert got == [
        ("*", date(2024, 11, 1), date(2025, 7, 1), "blanket_ban"),
        ("*", date(2025, 7, 1), switch, "acceptable_use"),
        ("Delivery", switch, None, "acceptable_use"),
        ("Marketing", switch, None, "employee_advocacy"),
        ("Sales", switch, None, "employee_advocacy"),
        ("Support", switch, None, "acceptable_use"),
    ]
    for r in rows:
        assert (
            json.loads(r["params"])["participation"] == params.MECHANISMS[r["policy"]].participation
        )


def test_policy_timeline_scales_with_months(demo12):
    periods = demo12.tables["policy_periods"]
    ban = periods.filter(pl.col("policy") == "blanket_ban").row(0, named=True)
    adv = periods.filter(pl.col("policy") == "employee_advocacy")
    assert (ban["from"], ban["to"]) == (date(2025, 11, 1), date(2026, 3, 1))  # 4 of 12 months
    assert set(adv["team"]) == {"Sales", "Marketing"}
    assert set(adv["from"]) == {date(2026, 6, 1)}  # month 7 of 12


def test_one_policy_per_team_at_any_time(demo):
    periods = demo.tables["policy_periods"]
    months = demo.truth["expected_monthly"]["months"]
    for team in params.TEAMS:
        for m in months:
            day = date.fromisoformat(m)
            cover = periods.filter(
                pl.col("team").is_in(["*", team])
                & (pl.col("from") <= day)
                & (pl.col("to").is_null() | (pl.col("to") > day))
            )
            assert cover.height == 1, (team, m)


def test_ban_means_brand_accounts_only(demo):
    posts = demo.tables["posts"].join(demo.tables["accounts"], on=["platform", "account_id"])
    during_ban = posts.filter(pl.col("created_at").dt.date() < date(2025, 7, 1))
    assert during_ban.height > 100
    assert set(during_ban["owner"]) == {"brand"}


def test_advocates_post_weekly_with_tracked_links(demo):
    emp = demo.tables["employees"]
    posts = (
        demo.tables["posts"]
        .join(demo.tables["accounts"], on=["platform", "account_id"])
        .join(emp, left_on="owner", right_on="employee_id")
        .filter(pl.col("created_at").dt.date() >= date(2026, 1, 1))
    )
    adv = posts.filter(pl.col("advocate") & pl.col("team").is_in(params.ADVOCACY_TEAMS))
    per_month = adv.group_by("owner", pl.col("created_at").dt.month()).len()
    assert per_month["len"].mean() > 3.5
    linked = adv.filter(pl.col("link_url").is_not_null())
    assert linked["utm_content"].is_not_null().mean() > 0.85
    others = posts.filter(~pl.col("team").is_in(params.ADVOCACY_TEAMS))
    assert others.height / 10 < adv.height / 10 / 2  # control teams post far less


def _truth_switch(truth: dict[str, Any], to: str) -> dict[str, Any]:
    return next(s for s in truth["switches"] if s["to"] == to)


def test_switches_are_listed_with_their_teams(demo):
    truth = demo.truth
    assert [(s["date"], s["from"], s["to"]) for s in truth["switches"]] == [
        ("2025-07-01", "blanket_ban", "acceptable_use"),
        ("2026-01-01", "acceptable_use", "employee_advocacy"),
    ]
    adv = _truth_switch(truth, "employee_advocacy")
    assert adv["teams"] == ["Sales", "Marketing"]
    assert adv["controls"] == ["Delivery", "Support"]
    assert adv["months_in_window"] == 10
    total = adv["effect"]["total"]
    per_team = adv["effect"]["per_team"]
    for metric in ("leads", "deals", "revenue"):
        assert total[metric] == pytest.approx(sum(v[metric] for v in per_team.values()), rel=1e-6)
        assert total[metric] > 0
    # the per-month series carries the same numbers
    sales = adv["monthly"]["Sales"]
    diff = np.subtract(sales["actual"]["leads"], sales["counterfactual"]["leads"])
    assert diff.mean() == pytest.approx(per_team["Sales"]["leads"], abs=1e-3)
    assert (
        truth["parameters"]["funnels"]["social_click"]["p_lead"]
        == params.FUNNELS["social_click"].p_lead
    )
    assert truth["seed"] == 7


def _demand(truth: dict[str, Any], month_index: int) -> tuple[float, date]:
    start = date.fromisoformat(truth["simulation_start"])
    first = date.fromisoformat(truth["start"])
    season = np.array(params.SEASONALITY) / np.mean(params.SEASONALITY)
    m = (first.year * 12 + first.month - 1) + month_index
    return season[m % 12] * (1 + params.TREND_PER_MONTH) ** month_index, start


def _month_days(month_start: date) -> list[date]:
    nxt = date(month_start.year + month_start.month // 12, month_start.month % 12 + 1, 1)
    return [month_start + timedelta(days=k) for k in range((nxt - month_start).days)]


def _value_per_post(policy: str, person: dict[str, Any]) -> float:
    """Expected leads per unit of posting (before the day's weight), for one employee."""
    mech = params.MECHANISMS[policy]
    click, conv = params.FUNNELS["social_click"], params.FUNNELS["conversation"]
    via_click = (
        mech.link_share
        * person["clicks_per_link_post"]
        * mech.identify_multiplier
        * click.p_session
        * click.p_identify
        * click.p_lead
    )
    via_conv = person["conversations_per_post"] * conv.p_session * conv.p_identify * conv.p_lead
    return float(
        mech.participation
        * mech.posts_per_active_month
        * mech.reach_multiplier
        * (via_click + via_conv)
    )


@pytest.mark.parametrize(
    ("to", "team", "before"),
    [
        ("employee_advocacy", "Sales", "acceptable_use"),
        ("acceptable_use", "Delivery", "blanket_ban"),
    ],
)
def test_cohort_effect_recomputed_by_hand(demo, to, team, before):
    """Expected extra leads a month, dated by the post, from the parameters and the roster."""
    truth = demo.truth
    switch = _truth_switch(truth, to)
    months = truth["expected_monthly"]["months"]
    first = months.index(switch["date"])
    window = range(first, first + switch["months_in_window"])
    staff = [p for p in truth["roster"] if p["team"] == team]
    monthly = []
    for k in window:
        demand, sim_start = _demand(truth, k)
        days = _month_days(date.fromisoformat(months[k]))
        total = 0.0
        for day in days:
            weight = params.WEEKDAY_FACTOR if day.weekday() < 5 else params.WEEKEND_FACTOR
            d = (day - sim_start).days
            for p in staff:
                if not p["start_day"] <= d < p["stop_day"]:
                    continue
                new = to if (to != "employee_advocacy" or p["advocate"]) else "acceptable_use"
                total += (_value_per_post(new, p) - _value_per_post(before, p)) * weight
        monthly.append(total / len(days) * demand)
    expected = switch["effect_cohort"]["per_team"][team]["leads"]
    assert np.mean(monthly) == pytest.approx(expected, rel=1e-3)


def _code_employee(content: str) -> str | None:
    code = parse_link_code(content)
    return code.employee_id if code else None


def _lead_origin_team(demo: DemoCompany) -> pl.DataFrame:
    """Each organic-social lead's team, read from the data: the employee named by the contact's
    earliest tracked-link session or conversation."""
    t = demo.tables
    sessions = t["sessions"].filter(pl.col("content").str.starts_with("sr~"))
    by_contact = sessions.filter(pl.col("contact_id").is_not_null()).select(
        "contact_id", "visitor_id"
    )
    via_visitor = t["contacts"].select("contact_id", "visitor_id").drop_nulls()
    visitors = pl.concat([by_contact, via_visitor]).unique()
    first = (
        sessions.drop("contact_id")
        .join(visitors, on="visitor_id")
        .select("contact_id", pl.col("started_at").alias("ts"), "content")
        .with_columns(
            pl.col("content")
            .map_elements(_code_employee, return_dtype=pl.String)
            .alias("employee_id")
        )
    )
    convs = t["touchpoints"].filter(pl.col("kind").is_in(["engagement", "mention", "dm"]))
    touches = pl.concat(
        [
            first.select("contact_id", "ts", "employee_id"),
            convs.select("contact_id", "ts", "employee_id"),
        ]
    )
    origin = touches.sort("ts").group_by("contact_id").first()
    teams = t["employees"].select("employee_id", "team")
    return (
        t["leads"]
        .filter(pl.col("source") == "organic_social")
        .join(origin.select("contact_id", "employee_id"), on="contact_id")
        .join(teams, on="employee_id")
        .with_columns(pl.col("created_at").dt.strftime("%Y-%m-01").alias("month"))
    )


def test_sampled_leads_rise_under_advocacy_and_not_in_controls(demo):
    leads = _lead_origin_team(demo)
    months = demo.truth["expected_monthly"]["months"]
    before = [m for m in months if "2025-07-01" <= m < "2026-01-01"]
    after = [m for m in months if m >= "2026-01-01"]

    def per_month(teams: Sequence[str], span: list[str]) -> float:
        return leads.filter(pl.col("team").is_in(teams) & pl.col("month").is_in(span)).height / len(
            span
        )

    treated_before = per_month(params.ADVOCACY_TEAMS, before)
    treated_after = per_month(params.ADVOCACY_TEAMS, after)
    control_before = per_month(["Delivery", "Support"], before)
    control_after = per_month(["Delivery", "Support"], after)
    assert treated_after > 3 * max(treated_before, 0.5)
    assert (treated_after - treated_before) - (control_after - control_before) > 3
    # the observed jump is of the size the truth says (identifiable leads)
    effect = _truth_switch(demo.truth, "employee_advocacy")["effect_identifiable"]["total"]["leads"]
    assert treated_after - treated_before == pytest.approx(effect, rel=0.35)
