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
    poisson_ppf,
    project,
    sensitivity_frame,
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


NONE_VALUES = dict.fromkeys(OPTION_VALUES, 0.0) | {"lead_multiplier": 1.0, "reach_per_post": 1000.0}


def none_option() -> PolicyOption:
    """Today's policy in these tests: nobody posts, nothing is spent, no other effect."""
    return make_option("none", **NONE_VALUES)


def with_none(*options: PolicyOption) -> list[PolicyOption]:
    return [*options, none_option()]


TODAY = {"none": 1.0}

# Hand arithmetic for make_option() against none_option() on make_funnel() over 12 months:
#   posts a month = 10 staff × 0.5 × 1/week × 52/12 = 21.667
#   leads = 21.667 × 1000 impressions × 1 × 0.01 × 0.1 = 21.667; won = 2.1667; revenue 2,166.67
#   cost a month = 21.667 posts × 12/60 h × 50 = 216.67 + tools 100; first month + 2 h × 10 × 50
#   + 500 = 1,500 (switching: nobody is under the plan today); productivity = 6 days × 8 h × 50
#   × 10 / 12 = 2,000 a month; service = 100 × 0.1 × 5 = 50; recruiting = 1 × 0.5 × 1,000 = 500
#   gain = 12 × (2,166.67 + 2,000 + 50 + 500 − 216.67 − 100) − 1,500 = 51,300
GAIN_12 = 51_300.0


def test_degenerate_option_gives_the_exact_arithmetic():
    p = project(
        make_funnel(),
        with_none(make_option()),
        months=12,
        draws=50,
        seed=3,
        baseline=TODAY,
        luck=False,
    )
    assert np.allclose(p.total("gain")[0], GAIN_12)
    assert np.allclose(p.total("revenue")[0], 12 * 2166.6667, rtol=1e-6)
    assert np.allclose(p.total("cost")[0], 12 * 316.6667 + 1500, rtol=1e-6)
    assert np.allclose(p.total("productivity")[0], 24_000)
    # today's policy gains nothing over itself, exactly
    assert not p.total("gain")[1].any()


def test_todays_policy_gains_exactly_nothing_even_with_luck():
    funnel = make_funnel(leads_per_click=gamma_rate("leads_per_click", "u", 20.5, 0.005, "t"))
    plan = make_option(participation=ranged("participation", 0.2, 0.5, 0.8))
    p = project(funnel, with_none(plan), months=6, draws=500, seed=2, baseline={"plan": 1.0})
    for line in ("leads", "won", "revenue", "cost", "gain"):
        assert not p.lines[line][0].any(), line
    # the other option is the change from the plan: fewer leads, no cost
    assert p.total("leads")[1].mean() < 0
    assert (p.total("cost")[1] < 0).all()


def test_switching_costs_fall_only_on_staff_not_yet_under_the_option():
    p = project(
        make_funnel(),
        with_none(make_option()),
        months=1,
        draws=1,
        seed=0,
        baseline={"plan": 0.25, "none": 0.75},
        luck=False,
    )
    # a quarter already under the plan: the plan's change is 3/4 of the full switch
    full = 216.6667 + 100 + 1500
    assert p.total("cost")[0, 0] == pytest.approx(0.75 * full, rel=1e-6)


def test_with_luck_but_no_leads_the_gain_is_still_exact():
    funnel = make_funnel(leads_per_click=0.0)
    p = project(funnel, with_none(make_option()), months=12, draws=200, seed=1, baseline=TODAY)
    expected = 12 * (2000 + 50 + 500 - 216.6667 - 100) - 1500
    assert np.allclose(p.total("gain")[0], expected, rtol=1e-6)
    assert p.total("leads").sum() == 0


def test_a_leads_value_counts_even_when_its_deal_closes_after_the_horizon():
    lag = np.zeros(LAG_MONTHS)
    lag[2] = 1.0  # won two months after the lead
    funnel = replace(make_funnel(), lag=lag)
    p = project(
        funnel, with_none(make_option()), months=1, draws=1, seed=0, baseline=TODAY, luck=False
    )
    assert p.total("revenue")[0, 0] == pytest.approx(2166.6667, rel=1e-6)


def test_todays_revenue_includes_the_pipeline_by_close_month():
    lag = np.zeros(LAG_MONTHS)
    lag[2] = 1.0
    history = np.zeros(LAG_MONTHS - 1)
    history[-2:] = [20.0, 10.0]  # leads two months and one month before the projection
    funnel = replace(make_funnel(), lag=lag, history_leads=history)
    p = project(
        funnel, [make_option()], months=4, draws=1, seed=0, baseline={"plan": 1.0}, luck=False
    )
    # 20 and 10 earlier leads × 0.1 won × 1,000, then the plan's own 21.667 leads a month
    assert np.allclose(p.baseline["revenue"][0], [2000, 1000, 2166.6667, 2166.6667], rtol=1e-6)


def test_poisson_inverse_cdf_matches_scipy():
    from scipy import stats

    rng = np.random.default_rng(5)
    lam = np.concatenate([rng.gamma(0.5, 2, 3000), rng.gamma(2, 60, 3000), [0.0, 1e-9, 500.0]])
    u = rng.random(lam.size)
    assert np.array_equal(poisson_ppf(u, lam), stats.poisson.ppf(u, lam))


def test_same_seed_same_numbers_other_seed_other_numbers():
    funnel = make_funnel(leads_per_click=gamma_rate("leads_per_click", "u", 20.5, 0.005, "t"))
    opts = with_none(make_option(participation=ranged("participation", 0.2, 0.5, 0.8)))
    a = project(funnel, opts, months=6, draws=500, seed=11, baseline=TODAY)
    b = project(funnel, opts, months=6, draws=500, seed=11, baseline=TODAY)
    c = project(funnel, opts, months=6, draws=500, seed=12, baseline=TODAY)
    for line in ("leads", "revenue", "gain"):
        assert np.array_equal(a.lines[line], b.lines[line])
    assert not np.array_equal(a.lines["gain"], c.lines["gain"])


def test_common_random_numbers_one_options_change_leaves_the_others_bit_identical():
    funnel = make_funnel(
        leads_per_click=gamma_rate("leads_per_click", "u", 20.5, 0.005, "t"),
        won_per_lead=ranged("won_per_lead", 0.02, 0.1, 0.2),
    )
    funnel = replace(funnel, month_cv=0.3)
    a = make_option("a", participation=ranged("participation", 0.1, 0.3, 0.6))
    b = make_option("b", lead_multiplier=ranged("lead_multiplier", 0.5, 1.0, 2.0))
    changed = make_option(
        "a",
        participation=ranged("participation", 0.4, 0.7, 0.9),
        tools_per_month=ranged("tools_per_month", 0, 500, 900),
    )
    first = project(funnel, [a, b, none_option()], months=6, draws=800, seed=9, baseline=TODAY)
    second = project(
        funnel, [changed, none_option(), b], months=6, draws=800, seed=9, baseline=TODAY
    )
    assert not np.array_equal(first.lines["gain"][0], second.lines["gain"][0])
    for line in ("leads", "won", "revenue", "cost", "gain"):
        assert np.array_equal(first.lines[line][1], second.lines[line][2]), line
    # and today's own outcomes do not move either
    assert np.array_equal(first.baseline["revenue"], second.baseline["revenue"])


def test_an_option_with_more_expected_leads_gets_at_least_as_many_in_every_draw():
    funnel = make_funnel()
    low = make_option("low", participation=0.2)
    high = make_option("high", participation=0.4)
    p = project(funnel, [low, high, none_option()], months=3, draws=400, seed=1, baseline=TODAY)
    assert (p.lines["leads"][1] >= p.lines["leads"][0]).all()


def test_luck_widens_the_range_beyond_parameter_uncertainty():
    funnel = make_funnel(leads_per_click=gamma_rate("leads_per_click", "u", 200.5, 0.0005, "t"))
    funnel = replace(funnel, month_cv=0.2)
    opts = with_none(make_option())

    def width(luck: bool) -> float:
        p = project(funnel, opts, months=12, draws=4000, seed=0, baseline=TODAY, luck=luck)
        lo, hi = np.percentile(p.total("revenue")[0], [5, 95])
        return float(hi - lo)

    assert width(True) > 1.3 * width(False)


def test_more_data_narrows_the_range():
    def funnel(scale: float) -> Funnel:
        # the same rate (0.1 leads a click) seen on scale× as many clicks
        return make_funnel(
            leads_per_click=gamma_rate("leads_per_click", "u", 20 * scale, 0.005 / scale, "t")
        )

    opts = with_none(make_option())

    def width(scale: float) -> float:
        p = project(funnel(scale), opts, months=12, draws=4000, seed=0, baseline=TODAY, luck=False)
        lo, hi = np.percentile(p.total("gain")[0], [5, 95])
        return float(hi - lo)

    # what we do not know about the rate shrinks as 1/sqrt(clicks seen)
    assert width(100) == pytest.approx(width(1) / 10, rel=0.15)


def test_sensitivity_puts_the_widest_assumption_first_and_centres_on_the_mean():
    opt = make_option(
        productivity_workdays=ranged("productivity_workdays", -30.0, 0.0, 10.0),
        tools_per_month=ranged("tools_per_month", 0.0, 100.0, 200.0),
    )
    tornado = sensitivity_frame(make_funnel(), with_none(opt), months=12, baseline=TODAY)
    first = tornado.row(0, named=True)
    assert first["assumption"] == "productivity_workdays"
    # 40 workdays a year × 8 h × 50 × 10 staff over one year
    assert first["swing"] == pytest.approx(160_000.0)
    assert first["gain_high"] > first["gain_low"]
    # centred on the simulation's mean: productivity's triangular mean is (−30 + 0 + 10)/3
    central = GAIN_12 - 24_000 + (-20 / 3) * 8 * 50 * 10
    assert first["gain_central"] == pytest.approx(central, rel=1e-6)
    tools = tornado.filter(
        (pl.col("assumption") == "tools_per_month") & (pl.col("option") == "plan")
    ).row(0, named=True)
    assert tools["swing"] == pytest.approx(200 * 12)
    plan = tornado.filter(pl.col("option") == "plan")
    assert plan["swing"].to_list() == sorted(plan["swing"].to_list(), reverse=True)
    assert plan.filter(pl.col("assumption") == "fte")["swing"].item() == 0.0


def test_calibrate_uses_the_data_unless_the_user_set_the_value():
    estimate = Assumption("participation", 0.6, 0.5, 0.7, "share", "estimated from your data (…)")
    funnel = replace(make_funnel(), by_policy={"acceptable_use": {"participation": estimate}})
    options = default_options()
    assert calibrate(options["acceptable_use"], funnel)["participation"] == estimate
    # a dedicated manager's staff behave as under acceptable use
    assert calibrate(options["dedicated_manager"], funnel)["participation"] == estimate
    # advocacy was never seen: its default stays, and so does its lead multiplier
    adv = options["employee_advocacy"]
    assert calibrate(adv, funnel)["participation"] == adv["participation"]
    assert calibrate(adv, funnel)["lead_multiplier"] == adv["lead_multiplier"]
    user = options["acceptable_use"].replace(
        participation=replace(options["acceptable_use"]["participation"], from_data=False)
    )
    assert calibrate(user, funnel)["participation"].source != estimate.source


def test_an_option_seen_in_the_data_gets_no_extra_lead_multiplier():
    estimate = Assumption("participation", 0.8, 0.7, 0.9, "share", "estimated from your data")
    funnel = replace(make_funnel(), by_policy={"employee_advocacy": {"participation": estimate}})
    adv = calibrate(default_options()["employee_advocacy"], funnel)
    assert adv["lead_multiplier"].central == 1.0
    assert adv["lead_multiplier"].fixed


def test_bad_arguments_are_config_errors():
    with pytest.raises(ConfigError, match="months"):
        project(make_funnel(), [make_option()], months=0, draws=10, baseline={"plan": 1.0})
    with pytest.raises(ConfigError, match="repeat"):
        project(
            make_funnel(),
            [make_option(), make_option()],
            months=1,
            draws=10,
            baseline={"plan": 1.0},
        )
    with pytest.raises(ConfigError, match="unknown options"):
        project(make_funnel(), [make_option()], months=1, draws=10, baseline={"x": 1.0})
