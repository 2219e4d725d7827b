"""The projection: exact arithmetic in the degenerate case, seeds, intervals, best option and the
tornado, on a funnel built by hand (no data needed)."""

from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import polars as pl
import pytest

from socialroi.errors import ConfigError
from socialroi.policy.funnel import LAG_MONTHS, Funnel, gamma_rate
from socialroi.policy.options import Assumption, PolicyOption, default_options
from socialroi.policy.projected import (
    calibrate,
    project,
    sensitivity_frame,
    summary_frame,
)

AS_OF = datetime(2026, 1, 1, tzinfo=UTC)


def fixed(name: str, value: float) -> Assumption:
    return Assumption(name, value, value, value, "unit", "test")


def ranged(name: str, low: float, central: float, high: float) -> Assumption:
    return Assumption(name, central, low, high, "unit", "test")


RATES = {
    "wage": 50.0,
    "reach_per_post": 1000.0,
    "clicks_per_impression": 0.01,
    "leads_per_click": 0.1,
    "conversation_leads_per_impression": 0.0,
    "brand_leads_per_month": 0.0,
    "won_per_lead": 0.1,
    "value_per_won": 1000.0,
    "service_cases_per_month": 100.0,
    "service_saving_per_case": 5.0,
    "hires_per_month": 1.0,
    "hire_saving": 1000.0,
}


def make_funnel(**rates: Assumption | float) -> Funnel:
    values = {k: fixed(k, v) for k, v in RATES.items()}
    for k, v in rates.items():
        values[k] = v if isinstance(v, Assumption) else fixed(k, v)
    lag = np.zeros(LAG_MONTHS)
    lag[0] = 1.0  # a lead's deal is won in the same month
    return Funnel(
        as_of=AS_OF,
        window=None,
        months=12,
        staff=10,
        teams=None,
        rates=values,
        by_policy={},
        lag=lag,
        history_leads=np.zeros(LAG_MONTHS - 1),
        month_cv=0.0,
        value_cv=0.5,
        monthly=pl.DataFrame(),
    )


OPTION_VALUES = {
    "participation": 0.5,
    "posts_per_week": 1.0,
    "link_share": 1.0,
    "minutes_per_post": 12.0,
    "reach_per_post": 1000.0,
    "lead_multiplier": 1.0,
    "brand_posts_multiplier": 1.0,
    "fte": 0.0,
    "tools_per_month": 100.0,
    "training_hours": 2.0,
    "training_fee": 500.0,
    "monitoring_per_seat": 0.0,
    "productivity_workdays": 6.0,
    "service_social_share": 0.1,
    "hires_social_share": 0.5,
}


def make_option(name: str = "plan", **over: Assumption | float) -> PolicyOption:
    values = {k: fixed(k, v) for k, v in OPTION_VALUES.items()}
    for k, v in over.items():
        values[k] = v if isinstance(v, Assumption) else fixed(k, v)
    return PolicyOption(name, "test", values)


# Hand arithmetic for make_option() on make_funnel() over 12 months:
#   posts a month = 10 staff × 0.5 × 1/week × 52/12 = 21.667
#   leads = 21.667 × 1000 impressions × 1 × 0.01 × 0.1 = 21.667; won = 2.1667; revenue 2,166.67
#   cost a month = 21.667 posts × 12/60 h × 50 = 216.67 + tools 100; first month + 2 h × 10 × 50
#   + 500 = 1,500; productivity = 6 days × 8 h × 50 × 10 / 12 = 2,000 a month;
#   service = 100 × 0.1 × 5 = 50; recruiting = 1 × 0.5 × 1,000 = 500
#   net = 12 × (2,166.67 + 2,000 + 50 + 500 − 216.67 − 100) − 1,500 = 51,300
NET_12 = 51_300.0


def test_degenerate_option_gives_the_exact_arithmetic():
    p = project(make_funnel(), [make_option()], months=12, draws=50, seed=3, luck=False)
    net = p.total("net")
    assert np.allclose(net, NET_12)
    assert np.allclose(p.total("revenue"), 12 * 2166.6667, rtol=1e-6)
    assert np.allclose(p.total("cost"), 12 * 316.6667 + 1500, rtol=1e-6)
    assert np.allclose(p.total("productivity"), 24_000)
    assert np.allclose(p.roi(), NET_12 / (12 * 316.6667 + 1500), rtol=1e-6)


def test_with_luck_but_no_leads_the_net_value_is_still_exact():
    funnel = make_funnel(leads_per_click=0.0)
    p = project(funnel, [make_option()], months=12, draws=200, seed=1)
    expected = 12 * (2000 + 50 + 500 - 216.6667 - 100) - 1500
    assert np.allclose(p.total("net"), expected, rtol=1e-6)
    assert p.total("leads").sum() == 0


def test_the_lag_moves_revenue_into_later_months():
    lag = np.zeros(LAG_MONTHS)
    lag[2] = 1.0  # won two months after the lead
    history = np.zeros(LAG_MONTHS - 1)
    history[-2:] = [20.0, 10.0]  # leads two months and one month before the projection
    funnel = replace(make_funnel(), lag=lag, history_leads=history)
    p = project(funnel, [make_option()], months=4, draws=1, seed=0, luck=False)
    # 20 and 10 earlier leads × 0.1 won × 1,000, then the projection's own 21.667 leads a month
    assert np.allclose(p.lines["revenue"][0, 0], [2000, 1000, 2166.6667, 2166.6667], rtol=1e-6)


def test_same_seed_same_numbers_other_seed_other_numbers():
    funnel = make_funnel(leads_per_click=gamma_rate("leads_per_click", "u", 20.5, 0.005, "t"))
    opts = [make_option(participation=ranged("participation", 0.2, 0.5, 0.8))]
    a = project(funnel, opts, months=6, draws=500, seed=11)
    b = project(funnel, opts, months=6, draws=500, seed=11)
    c = project(funnel, opts, months=6, draws=500, seed=12)
    for line in ("leads", "revenue", "net"):
        assert np.array_equal(a.lines[line], b.lines[line])
    assert not np.array_equal(a.lines["net"], c.lines["net"])


def test_more_draws_pin_the_mean_down_and_more_data_narrows_the_interval():
    def funnel(scale: float) -> Funnel:
        # the same rate (0.1 leads a click) seen on scale× as many clicks
        return make_funnel(
            leads_per_click=gamma_rate("leads_per_click", "u", 20 * scale, 0.005 / scale, "t")
        )

    opts = [make_option()]

    def spread_of_means(draws: int) -> float:
        means = [
            project(funnel(1), opts, months=12, draws=draws, seed=s).total("net").mean()
            for s in range(8)
        ]
        return float(np.std(means))

    assert spread_of_means(4000) < spread_of_means(100)

    def width(scale: float) -> float:
        p = project(funnel(scale), opts, months=12, draws=4000, seed=0, luck=False)
        lo, hi = p.interval("net", level=0.9)
        return hi - lo

    # what we do not know about the rate shrinks as 1/sqrt(clicks seen)
    assert width(100) == pytest.approx(width(1) / 10, rel=0.15)


def test_probability_best_sums_to_one_and_a_dominating_option_always_wins():
    funnel = make_funnel(
        leads_per_click=gamma_rate("leads_per_click", "u", 20.5, 0.005, "t"),
        won_per_lead=ranged("won_per_lead", 0.02, 0.1, 0.2),
    )
    base = make_option(
        "base",
        participation=ranged("participation", 0.1, 0.3, 0.6),
        lead_multiplier=ranged("lead_multiplier", 0.5, 1.0, 1.5),
        tools_per_month=ranged("tools_per_month", 50, 100, 200),
    )
    better = make_option(
        "better",
        participation=ranged("participation", 0.2, 0.4, 0.7),
        lead_multiplier=ranged("lead_multiplier", 0.6, 1.2, 1.8),
        tools_per_month=ranged("tools_per_month", 40, 90, 180),
    )
    other = make_option("other", productivity_workdays=ranged("productivity_workdays", -5, 0, 5))
    p = project(funnel, [base, better, other], months=12, draws=3000, seed=5)
    pb = p.prob_best()
    assert pb.sum() == pytest.approx(1.0)
    assert pb[p.index("base")] == 0.0  # never better than the option that beats it everywhere
    summary = summary_frame(p)
    assert summary["prob_best"].sum() == pytest.approx(1.0)
    assert summary.columns[:5] == ["option", "net_mean", "net_p5", "net_p50", "net_p95"]
    alone = project(funnel, [base, better], months=12, draws=3000, seed=5).prob_best()
    assert list(alone) == [0.0, 1.0]


def test_sensitivity_puts_the_widest_assumption_first():
    opt = make_option(
        productivity_workdays=ranged("productivity_workdays", -30.0, 0.0, 10.0),
        tools_per_month=ranged("tools_per_month", 0.0, 100.0, 200.0),
    )
    tornado = sensitivity_frame(make_funnel(), [opt], months=12)
    first = tornado.row(0, named=True)
    assert first["assumption"] == "productivity_workdays"
    # 40 workdays a year × 8 h × 50 × 10 staff over one year
    assert first["swing"] == pytest.approx(160_000.0)
    assert first["net_high"] > first["net_low"]
    tools = tornado.filter(pl.col("assumption") == "tools_per_month").row(0, named=True)
    assert tools["swing"] == pytest.approx(200 * 12)
    assert tornado["swing"].to_list() == sorted(tornado["swing"].to_list(), reverse=True)
    fixed_rows = tornado.filter(pl.col("assumption") == "fte")
    assert fixed_rows["swing"].item() == 0.0


def test_calibrate_uses_the_data_unless_the_user_set_the_value():
    estimate = Assumption("participation", 0.6, 0.5, 0.7, "share", "estimated from your data (…)")
    funnel = replace(make_funnel(), by_policy={"acceptable_use": {"participation": estimate}})
    options = default_options()
    assert calibrate(options["acceptable_use"], funnel)["participation"] == estimate
    # a dedicated manager's staff behave as under acceptable use
    assert calibrate(options["dedicated_manager"], funnel)["participation"] == estimate
    # advocacy was never seen: its default stays
    adv = options["employee_advocacy"]
    assert calibrate(adv, funnel)["participation"] == adv["participation"]
    user = options["acceptable_use"].replace(
        participation=replace(options["acceptable_use"]["participation"], from_data=False)
    )
    assert calibrate(user, funnel)["participation"].source != estimate.source


def test_bad_arguments_are_config_errors():
    with pytest.raises(ConfigError, match="months"):
        project(make_funnel(), [make_option()], months=0, draws=10)
    with pytest.raises(ConfigError, match="repeat"):
        project(make_funnel(), [make_option(), make_option()], months=1, draws=10)
