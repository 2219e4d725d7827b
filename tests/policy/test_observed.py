"""Observed effects: the estimators on hand-built series and panels, and `observe` on hand-built
tables (known steps recovered, no step → interval covers 0, placebo and pre-trend, too thin)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import polars as pl
import pytest

from socialroi.errors import ConfigError
from socialroi.policy import did, its
from socialroi.policy.observed import ESTIMATE_SCHEMA, SERIES_SCHEMA, observe
from socialroi.policy.outcomes import add_months
from socialroi.policy.switches import find_switches, policy_grid

SEASON = np.array([0.9, 0.95, 1.05, 1.1, 1.0, 0.95, 0.85, 0.85, 1.05, 1.15, 1.1, 1.05])


def _noise(seed: int, n: int, sd: float) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, sd, n)


def _series(n_pre: int, n_post: int, step: float, seed: int, *, first_month: int = 1):
    n = n_pre + n_post
    moy = (np.arange(n) + first_month - 1) % 12 + 1
    y = 50 + 0.3 * np.arange(n) + 20 * (SEASON[moy - 1] - 1) + _noise(seed, n, 1.0)
    y[n_pre:] += step
    return y, moy


# --- interrupted time series ---------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_its_recovers_a_known_step_within_its_interval(seed: int) -> None:
    y, moy = _series(24, 8, step=6.0, seed=seed)
    fit = its.segmented(y, 24, moy)
    assert fit.low < 6.0 < fit.high
    assert fit.low > 2.0  # the step is far outside the noise: the interval excludes 0
    assert abs(fit.effect - 6.0) < 2.0
    assert "month-of-year dummies" in fit.notes


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_its_without_a_step_covers_zero(seed: int) -> None:
    y, moy = _series(24, 8, step=0.0, seed=seed)
    fit = its.segmented(y, 24, moy)
    assert fit.low < 0.0 < fit.high


def test_its_effect_is_the_mean_gap_between_actual_and_counterfactual() -> None:
    y, moy = _series(12, 6, step=5.0, seed=7)
    fit = its.segmented(y, 12, moy)
    gap = float(np.mean(y[12:] - fit.counterfactual[12:]))
    assert fit.effect == pytest.approx(gap, abs=1e-9)
    assert "Fourier" in fit.notes
    assert np.all(fit.cf_low[12:] <= fit.counterfactual[12:])


def test_its_poisson_on_counts_finds_a_doubling() -> None:
    rng = np.random.default_rng(3)
    n_pre, n_post = 18, 6
    rate = np.r_[np.full(n_pre, 20.0), np.full(n_post, 40.0)]
    y = np.asarray(rng.poisson(rate), dtype=float)
    moy = np.arange(n_pre + n_post) % 12 + 1
    fit = its.segmented(y, n_pre, moy, model="poisson")
    assert "Poisson" in fit.notes
    assert fit.low < 20.0 < fit.high
    assert fit.low > 10.0
    linear = its.segmented(y, n_pre, moy)
    assert fit.effect == pytest.approx(linear.effect, abs=1.0)


def test_pre_trend_flags_a_bend_before_the_switch() -> None:
    t = np.arange(12, dtype=float)
    bent = 10 + np.where(t >= 6, 3.0 * (t - 6), 0.0) + _noise(1, 12, 0.3)
    straight = 10 + 0.5 * t + _noise(2, 12, 0.3)
    moy = np.arange(12) % 12 + 1
    p_bent = its.pre_trend_p(bent, moy, model="linear")
    p_straight = its.pre_trend_p(straight, moy, model="linear")
    assert p_bent is not None
    assert p_bent < 0.01
    assert p_straight is not None
    assert p_straight > 0.1
    assert its.pre_trend_p(straight[:5], moy[:5]) is None


# --- difference-in-differences ---------------------------------------------------------------


def _panel(effect: float, seed: int, n_pre: int = 8, n_post: int = 8) -> did.Panel:
    n = n_pre + n_post
    common = 30 + 5 * np.sin(np.arange(n) / 2) + 0.5 * np.arange(n)  # shared shocks and trend
    treated = common + 4.0 + _noise(seed, n, 0.8)
    treated[n_pre:] += effect
    controls = np.vstack(
        [common + _noise(seed + 100, n, 0.8), common - 3 + _noise(seed + 200, n, 0.8)]
    )
    return did.Panel(treated[None, :], controls, n_pre)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_did_recovers_a_known_effect(seed: int) -> None:
    fit = did.twfe(_panel(5.0, seed))
    assert fit.low < 5.0 < fit.high
    assert fit.low > 2.0
    # the counterfactual is the switching team's own path without the effect
    assert np.mean(fit.counterfactual[8:]) == pytest.approx(
        np.mean(_panel(5.0, seed).treated[0, 8:]) - fit.effect, abs=1e-9
    )


def test_did_effect_is_the_total_over_switching_teams() -> None:
    one = _panel(3.0, 9)
    two = did.Panel(np.vstack([one.treated, one.treated + 1.0]), one.controls, one.n_pre)
    assert did.twfe(two).effect == pytest.approx(2 * did.twfe(one).effect, rel=1e-9)


@pytest.mark.parametrize("seed", [4, 5])
def test_did_without_an_effect_covers_zero(seed: int) -> None:
    fit = did.twfe(_panel(0.0, seed))
    assert fit.low < 0.0 < fit.high


def test_did_pre_trend_flags_teams_drifting_apart() -> None:
    parallel = _panel(0.0, 11)
    drifting = did.Panel(
        parallel.treated + 1.5 * np.arange(parallel.treated.shape[1]),
        parallel.controls,
        parallel.n_pre,
    )
    p_drift, p_par = did.pre_trend_p(drifting), did.pre_trend_p(parallel)
    assert p_drift is not None
    assert p_drift < 0.01
    assert p_par is not None
    assert p_par > 0.1


# --- policy periods → switches ----------------------------------------------------------------


def test_switches_from_company_and_team_periods() -> None:
    months = [add_months(date(2024, 1, 1), k) for k in range(12)]
    periods = pl.DataFrame(
        {
            "team": ["*", "*", "Sales"],
            "from": [date(2024, 1, 1), date(2024, 5, 1), date(2024, 9, 1)],
            "to": [date(2024, 5, 1), None, None],
            "policy": ["blanket_ban", "acceptable_use", "employee_advocacy"],
        }
    )
    grid = policy_grid(periods, ["Delivery", "Sales"], months)
    assert grid["Sales"][8] == "employee_advocacy"
    assert grid["Delivery"][8] == "acceptable_use"
    first, second = find_switches(grid, months)
    assert (first.month, first.company_wide, first.pre_start, first.start, first.stop) == (
        date(2024, 5, 1),
        True,
        0,
        4,
        8,
    )
    assert (second.teams, second.controls, second.pre_start, second.stop) == (
        ("Sales",),
        ("Delivery",),
        4,
        12,
    )


# --- observe on hand-built tables -------------------------------------------------------------


def _tables(
    counts: dict[str, list[int]], periods: list[tuple[str, date, date | None, str]], start: date
) -> dict[str, pl.DataFrame]:
    """A company whose social leads per month and team are `counts` (each lead's contact first
    met on a LinkedIn post of an employee of that team)."""
    employees = pl.DataFrame(
        {
            "employee_id": [f"e-{team}" for team in counts],
            "team": list(counts),
            "loaded_hourly_cost": [50.0] * len(counts),
        }
    )
    leads, touches = [], []
    for team, per_month in counts.items():
        for k, n in enumerate(per_month):
            month = add_months(start, k)
            for i in range(n):
                at = datetime(month.year, month.month, 1 + i % 27, 10, tzinfo=UTC)
                cid = f"c-{team}-{k}-{i}"
                leads.append({"lead_id": f"l{cid}", "contact_id": cid, "created_at": at})
                touches.append(
                    {
                        "contact_id": cid,
                        "ts": at.replace(hour=9),
                        "channel": "linkedin",
                        "ref": f"p{cid}",
                        "platform": "linkedin",
                        "kind": "engagement",
                        "employee_id": f"e-{team}",
                    }
                )
    return {
        "employees": employees,
        "leads": pl.DataFrame(leads).with_columns(pl.lit("organic_social").alias("source")),
        "touchpoints": pl.DataFrame(touches),
        "contacts": pl.DataFrame({"contact_id": [r["contact_id"] for r in leads]}),
        "policy_periods": pl.DataFrame(
            periods, schema=["team", "from", "to", "policy"], orient="row"
        ),
    }


def _row(effects_estimates: pl.DataFrame, method: str, metric: str) -> dict[str, Any]:
    rows = effects_estimates.filter((pl.col("method") == method) & (pl.col("metric") == metric))
    assert rows.height == 1
    return rows.row(0, named=True)


START = date(2023, 1, 1)


def test_observe_estimates_a_company_wide_step_and_reports_its_checks() -> None:
    rng = np.random.default_rng(5)
    before, after = rng.poisson(20, 14).tolist(), rng.poisson(32, 8).tolist()
    tables = _tables(
        {"Sales": before + after},
        [
            ("*", START, date(2024, 3, 1), "blanket_ban"),
            ("*", date(2024, 3, 1), None, "acceptable_use"),
        ],
        START,
    )
    result = observe(tables, as_of=datetime(2024, 11, 1, tzinfo=UTC))
    assert result.estimates.schema == pl.Schema(ESTIMATE_SCHEMA)
    assert result.series.schema == pl.Schema(SERIES_SCHEMA)
    row = _row(result.estimates, "its", "leads")
    assert row["verdict"] == "estimate"
    assert (row["months_before"], row["months_after"]) == (14, 8)
    assert row["low"] < 12.0 < row["high"]
    assert row["low"] > 0
    assert row["placebo_low"] < 0 < row["placebo_high"]
    assert row["pre_trend_p"] is not None
    assert row["checks"] is None  # both checks ran
    assert "quasi-Poisson" in str(row["reason"])
    # no comparison team when everyone switched: no number, a reason instead
    did_row = _row(result.estimates, "did", "leads")
    assert did_row["verdict"] == "too_thin"
    assert did_row["effect"] is None
    assert "no comparison team" in str(did_row["reason"])
    # no won deals at all: too thin, with the count in words
    deals = _row(result.estimates, "its", "deals")
    assert deals["verdict"] == "too_thin"
    assert deals["reason"] == (
        "0 won social deals in the 14 months before the switch, so about 0 to expect over the "
        "22 months compared; at least 10 needed"
    )
    leads = result.series.filter((pl.col("metric") == "leads") & (pl.col("teams") == "*"))
    assert leads["actual"].to_list() == [float(v) for v in before + after]
    assert leads.filter(pl.col("month") < date(2024, 3, 1))["low"].null_count() == 14


def test_observe_too_few_months_before_the_switch() -> None:
    tables = _tables(
        {"Sales": [20] * 12},
        [("*", START, date(2023, 4, 1), "blanket_ban"), ("*", date(2023, 4, 1), None, "training")],
        START,
    )
    result = observe(tables, as_of=datetime(2024, 1, 1, tzinfo=UTC))
    row = _row(result.estimates, "its", "leads")
    assert row["verdict"] == "too_thin"
    assert row["reason"] == "3 months before the switch; at least 6 needed"
    assert all(row[k] is None for k in ("effect", "low", "high", "placebo_effect"))


def test_observe_too_few_months_after_the_switch() -> None:
    tables = _tables(
        {"Sales": [20] * 12},
        [
            ("*", START, date(2023, 12, 1), "blanket_ban"),
            ("*", date(2023, 12, 1), None, "training"),
        ],
        START,
    )
    result = observe(tables, as_of=datetime(2024, 1, 1, tzinfo=UTC))
    row = _row(result.estimates, "its", "leads")
    assert row["verdict"] == "too_thin"
    assert row["reason"] == "1 month after the switch; at least 3 needed"
    assert row["effect"] is None


def test_observe_did_between_teams_recovers_the_effect() -> None:
    rng = np.random.default_rng(8)
    n_pre, n_post = 8, 8
    sales = rng.poisson(10, n_pre).tolist() + rng.poisson(25, n_post).tolist()
    delivery = rng.poisson(10, n_pre + n_post).tolist()
    support = rng.poisson(6, n_pre + n_post).tolist()
    switch = add_months(START, n_pre)
    tables = _tables(
        {"Sales": sales, "Delivery": delivery, "Support": support},
        [
            ("*", START, None, "acceptable_use"),
            ("Sales", switch, None, "employee_advocacy"),
        ],
        START,
    )
    result = observe(tables, as_of=datetime(2024, 5, 1, tzinfo=UTC))
    row = _row(result.estimates, "did", "leads")
    assert (row["teams"], row["verdict"], row["months_before"]) == ("Sales", "estimate", 8)
    assert row["low"] < 15.0 < row["high"]
    assert row["low"] > 5.0
    assert row["placebo_low"] < 0 < row["placebo_high"]
    assert "Delivery, Support" in str(row["reason"])
    assert result.estimates.filter(pl.col("method") == "its").height == 0  # not company-wide


def test_observe_without_switches_or_data() -> None:
    none = observe({}, as_of=datetime(2024, 1, 1, tzinfo=UTC))
    assert none.estimates.height == 0
    assert none.series.height == 0
    steady = _tables({"Sales": [5] * 10}, [("*", START, None, "acceptable_use")], START)
    assert observe(steady, as_of=datetime(2024, 1, 1, tzinfo=UTC)).estimates.height == 0


def test_observe_rejects_unknown_model_and_level() -> None:
    with pytest.raises(ConfigError, match="unknown observed-effect model"):
        observe({}, as_of=datetime(2024, 1, 1, tzinfo=UTC), model="bayes")
    with pytest.raises(ConfigError, match="between 0 and 1"):
        observe({}, as_of=datetime(2024, 1, 1, tzinfo=UTC), level=90)
