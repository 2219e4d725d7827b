"""Observed effects against the demo generator's ground truth, on a few small seeds (the full
check over 20 seeds is benchmarks/policy_validation.py)."""

from __future__ import annotations

from datetime import date
from functools import cache

import polars as pl
import pytest

from socialroi.demo import DemoCompany, generate
from socialroi.policy.observed import ObservedEffects, observe
from socialroi.policy.outcomes import monthly_outcomes

SEEDS = (1, 2, 3)
MONTHS = 18  # ban 6 months, acceptable use 5, advocacy for Sales and Marketing the last 7
TRUTH_METRIC = {"leads": "leads", "deals": "won", "revenue": "revenue"}


@cache
def _run(seed: int) -> tuple[DemoCompany, ObservedEffects]:
    company = generate(seed=seed, months=MONTHS)
    return company, observe(company.tables, as_of=company.as_of)


@pytest.mark.parametrize("seed", SEEDS)
def test_company_leads_are_the_social_sourced_leads_the_truth_counts(seed: int) -> None:
    company, _ = _run(seed)
    months = [date.fromisoformat(m) for m in company.truth["expected_monthly"]["months"]]
    series = monthly_outcomes(company.tables, as_of=company.as_of, months=months).filter(
        (pl.col("unit") == "*") & (pl.col("metric") == "leads")
    )
    by_source = (
        company.tables["leads"]
        .filter(pl.col("source") == "organic_social")
        .group_by(pl.col("created_at").dt.truncate("1mo").dt.date().alias("month"))
        .len()
    )
    joined = series.join(by_source, on="month", how="left").with_columns(pl.col("len").fill_null(0))
    assert joined["value"].to_list() == joined["len"].cast(pl.Float64).to_list()


@pytest.mark.parametrize("seed", SEEDS)
def test_intervals_cover_the_generators_effect(seed: int) -> None:
    company, effects = _run(seed)
    switches = {s["date"]: s for s in company.truth["switches"]}
    scored = 0
    for row in effects.estimates.filter(pl.col("verdict") == "estimate").iter_rows(named=True):
        if row["metric"] not in TRUTH_METRIC:
            continue
        truth = switches[row["switch_date"].isoformat()]
        part = "effect" if row["method"] == "its" else "effect_identifiable"
        expected = truth[part]["total"][TRUTH_METRIC[row["metric"]]]
        assert row["low"] <= expected <= row["high"], (row, expected)
        scored += 1
    assert scored >= 2  # the ban's end by time series, advocacy by teams


@pytest.mark.parametrize("seed", SEEDS)
def test_each_switch_gets_the_method_it_allows(seed: int) -> None:
    _, effects = _run(seed)
    leads = effects.estimates.filter(pl.col("metric") == "leads").sort("switch_date", "method")
    assert leads.select("teams", "method", "verdict").rows() == [
        ("*", "did", "too_thin"),  # everyone left the ban together: nobody to compare with
        ("*", "its", "estimate"),
        ("Marketing+Sales", "did", "estimate"),
    ]
    advocacy = leads.row(2, named=True)
    assert advocacy["low"] > 0  # the advocacy effect is large enough to be seen
    assert advocacy["placebo_low"] <= 0 <= advocacy["placebo_high"]
