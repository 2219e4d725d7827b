"""The funnel from the company's own data: hand-checked on the tiny fixture company, and on the
demo company against what its generator does."""

from datetime import UTC, date, datetime
from functools import cache

import numpy as np
import polars as pl
import pytest

from socialroi.core.vocabulary import is_organic_social
from socialroi.demo import DemoCompany
from socialroi.policy.funnel import (
    RATE_KEYS,
    Funnel,
    employee_months,
    estimate_funnel,
    team_outcomes,
)
from socialroi.schema import conform
from tests.demos import demo_company as shared_demo
from tests.reports.fixture import AS_OF, tables


@cache
def demo() -> DemoCompany:
    return shared_demo(months=12)


@cache
def demo_funnel() -> Funnel:
    company = demo()
    return estimate_funnel(company.tables, as_of=company.as_of)


def test_fixture_company_by_hand():
    f = estimate_funnel(tables(), as_of=AS_OF)
    assert set(RATE_KEYS) <= set(f.rates)
    # two employees at 50 and 40 an hour
    assert f.rates["wage"].central == 45.0
    assert f.staff == 2
    # won deals closed by AS_OF: D1 1,000, D2 2,000, D4 700 (D5 closes later)
    assert f.rates["value_per_won"].central == pytest.approx(3700 / 3)
    # Jan–Mar 2025: the complete months before AS_OF with data
    assert f.window == (date(2025, 1, 1), date(2025, 4, 1))
    assert f.months == 3
    # no post metrics, no service cases, no hires: stated defaults, marked as such
    assert f.rates["reach_per_post"].source.startswith("assumption")
    assert f.rates["service_cases_per_month"].central == 0.0
    assert f.lag.sum() == pytest.approx(1.0)


def test_a_team_row_beats_the_company_row():
    employees = pl.DataFrame(
        {
            "employee_id": ["a", "b"],
            "team": ["Sales", "Support"],
            "start_date": [None, date(2025, 2, 1)],
            "end_date": [None, None],
        },
        schema_overrides={"start_date": pl.Date, "end_date": pl.Date},
    )
    periods = pl.DataFrame(
        {
            "team": ["*", "Sales"],
            "from": [date(2025, 1, 1), date(2025, 2, 1)],
            "to": [None, None],
            "policy": ["acceptable_use", "employee_advocacy"],
        }
    )
    out = employee_months(employees, periods, [date(2025, 1, 1), date(2025, 2, 1)]).sort(
        "employee_id", "month"
    )
    assert out.select("employee_id", "month", "policy").rows() == [
        ("a", date(2025, 1, 1), "acceptable_use"),
        ("a", date(2025, 2, 1), "employee_advocacy"),
        ("b", date(2025, 2, 1), "acceptable_use"),  # not employed in January
    ]


def test_demo_rates_come_from_its_data_and_advocates_post_more():
    f = demo_funnel()
    for key in ("reach_per_post", "clicks_per_impression", "leads_per_click", "won_per_lead"):
        assert f.rates[key].source.startswith("estimated from your data"), key
        assert f.rates[key].low < f.rates[key].central < f.rates[key].high
    adv, use = f.by_policy["employee_advocacy"], f.by_policy["acceptable_use"]
    # the generator: advocates post about weekly, nearly always with a link
    assert adv["participation"].central > use["participation"].central
    assert adv["link_share"].central > use["link_share"].central
    # under the ban nobody posted
    assert f.by_policy["blanket_ban"]["participation"].central < 0.02
    assert f.monthly.height == f.months == 12


def test_only_data_before_as_of_is_used():
    company = demo()
    switch = next(s for s in company.truth["switches"] if s["to"] == "employee_advocacy")
    cut = datetime.fromisoformat(switch["date"]).replace(tzinfo=UTC)
    full = estimate_funnel(company.tables, as_of=cut)
    assert "employee_advocacy" not in full.by_policy  # it had not started yet
    # drop everything dated on or after the cut: the estimate does not change
    cut_tables = dict(company.tables)
    for name, col in (("posts", "created_at"), ("leads", "created_at"), ("deals", "created_at")):
        cut_tables[name] = company.tables[name].filter(pl.col(col) < cut)
    cut_tables["post_metrics"] = company.tables["post_metrics"].filter(pl.col("as_of") < cut)
    cut_tables["sessions"] = company.tables["sessions"].filter(pl.col("started_at") < cut)
    cut_tables["touchpoints"] = company.tables["touchpoints"].filter(pl.col("ts") < cut)
    before = estimate_funnel(cut_tables, as_of=cut)
    for key in RATE_KEYS:
        assert before.rates[key] == full.rates[key], key
    assert np.array_equal(before.history_leads, full.history_leads)


def test_a_projection_for_some_teams_leaves_out_the_company_lines():
    company = demo()
    f = estimate_funnel(company.tables, as_of=company.as_of, teams=["Sales"])
    assert f.teams == ("Sales",)
    assert 0 < f.staff < demo_funnel().staff
    for key in ("brand_leads_per_month", "service_cases_per_month", "hires_per_month"):
        assert f.rates[key].central == 0.0


def test_zero_counts_are_a_posterior_near_zero_not_a_default():
    company = demo()
    f = estimate_funnel(company.tables, as_of=company.as_of)
    tracked = f.evidence["tracked_clicks"]
    assert tracked > 0
    # with every social touch and visit removed, leads per click is Gamma(½, 1/clicks): data
    quiet = dict(company.tables)
    quiet["touchpoints"] = company.tables["touchpoints"].filter(
        ~is_organic_social(pl.col("channel"))
    )
    quiet["sessions"] = company.tables["sessions"].filter(
        ~pl.col("medium").is_in(["social", "referral"])
    )
    g = estimate_funnel(quiet, as_of=company.as_of)
    lpc = g.rates["leads_per_click"]
    assert lpc.basis == "data"
    assert lpc.a == pytest.approx(0.5)
    assert lpc.mean == pytest.approx(0.5 / g.evidence["tracked_clicks"])


def test_todays_policy_mix_and_recorded_costs():
    f = demo_funnel()
    # on the last day: Sales and Marketing under advocacy, the other teams under acceptable use
    assert set(f.current) == {"acceptable_use", "employee_advocacy"}
    assert sum(f.current.values()) == f.staff
    costs = demo().tables["costs"]
    months = {d for d in costs["month"].to_list() if f.window and f.window[0] <= d < f.window[1]}
    total = costs.filter(pl.col("month").is_in(sorted(months)))["amount"].sum()
    assert sum(f.costs_per_month.values()) == pytest.approx(total / f.months)


def _with_untracked_clicks() -> dict[str, pl.DataFrame]:
    """The fixture company with post metrics: Ana (Sales) has a tracked and an untracked linked
    post in January (10 and 30 clicks) and in February (20 and 20), and a contact she met
    through a mention in March (lead L5)."""
    t = dict(tables())

    def ts(m: int, d: int) -> datetime:
        return datetime(2025, m, d, 12, tzinfo=UTC)

    def add(name: str, rows: list[dict[str, object]]) -> pl.DataFrame:
        new = conform(name, pl.DataFrame(rows, infer_schema_length=None))
        if name not in t:
            return new
        return pl.concat([t[name], new], how="diagonal_relaxed").select(t[name].columns)

    posts = [("p3", ts(1, 9), None), ("p4", ts(2, 3), "sr~linkedin~p4~e1"), ("p5", ts(2, 4), None)]
    t["posts"] = t["posts"].with_columns(
        pl.when(pl.col("post_id") == "p1").then(pl.lit("https://acme.test/x")).alias("link_url"),
        pl.when(pl.col("post_id") == "p1").then(pl.lit("sr~linkedin~p1~e1")).alias("utm_content"),
    )
    t["posts"] = add(
        "posts",
        [
            {
                "platform": "linkedin",
                "post_id": pid,
                "account_id": "a1",
                "created_at": at,
                "kind": "broadcast",
                "link_url": "https://acme.test/x",
                "utm_content": utm,
            }
            for pid, at, utm in posts
        ],
    )
    clicks = {"p1": 10, "p3": 30, "p4": 20, "p5": 20}
    t["post_metrics"] = add(
        "post_metrics",
        [
            {
                "platform": "linkedin",
                "post_id": pid,
                "as_of": ts(3, 31),
                "impressions": 1000,
                "clicks": n,
            }
            for pid, n in clicks.items()
        ],
    )
    t["contacts"] = add("contacts", [{"contact_id": "c5", "name": "Gus Park"}])
    mention = {
        "contact_id": "c5",
        "ts": ts(3, 3),
        "channel": "linkedin",
        "ref": "t9",
        "platform": "linkedin",
        "kind": "mention",
        "employee_id": "e1",
    }
    t["touchpoints"] = add("touchpoints", [mention])
    t["leads"] = add("leads", [{"lead_id": "L5", "contact_id": "c5", "created_at": ts(3, 4)}])
    return t


def test_team_outcomes_count_untracked_clicks_as_the_projection_does():
    months = [date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)]
    got = team_outcomes(_with_untracked_clicks(), as_of=AS_OF, teams=["sales"], months=months)
    # Carla's lead (Jan) and won deal (Feb, 1,000) came through a click on Ana's tracked link in
    # January, when her linked posts drew 40 clicks of which 10 tracked: each counts 4 times.
    # Eve's lead came through a tracked click in February (40 clicks, 20 tracked): 2 times.
    # Gus came through a mention: a conversation is tied to Ana whatever the links, so once.
    assert got.rows() == [
        (date(2025, 1, 1), 4.0, 0.0, 0.0),
        (date(2025, 2, 1), 2.0, 4.0, 4000.0),
        (date(2025, 3, 1), 1.0, 0.0, 0.0),
    ]
    # Ben's team made no social contact
    other = team_outcomes(_with_untracked_clicks(), as_of=AS_OF, teams=["marketing"], months=months)
    assert other.select("leads", "won", "revenue").sum().row(0) == (0.0, 0.0, 0.0)
    # with every linked click tracked, nothing is added: the data's own count
    plain = team_outcomes(tables(), as_of=AS_OF, teams=["sales"], months=months)
    assert plain["leads"].to_list() == [1.0, 1.0, 0.0]
    assert plain["revenue"].sum() == 1000.0
