"""Observed effects against the demo generator's ground truth: a few seeded companies in worlds
whose true parameters differ from the policy defaults, and the quick version of the validation
benchmark (the full check is benchmarks/policy_validation.py)."""

from __future__ import annotations

import sys
from datetime import date
from functools import cache
from pathlib import Path

import polars as pl
import pytest

from socialroi.demo import DemoCompany, generate
from socialroi.policy.observed import ObservedEffects, observe
from socialroi.policy.outcomes import monthly_outcomes

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import policy_validation as bench  # type: ignore[import-not-found]

pytestmark = pytest.mark.slow  # generates several demo worlds

SEEDS = (1, 2, 3)
#: Advocacy by half the advocates' teams' staff, posts turning visits into contacts 0.8× as
#: well as before: a smaller effect than the demo's own world, and not the policy defaults.
WORLD = bench.WORLDS["W4"]


@cache
def _run(seed: int) -> tuple[DemoCompany, ObservedEffects]:
    company = generate(seed=seed, world=WORLD)
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
def test_advocacy_interval_holds_the_known_effect(seed: int) -> None:
    """The world's true advocacy effect on the switching teams' identifiable leads (from the
    generator's own rates) lies in the 90% interval, and the interval excludes zero."""
    company, effects = _run(seed)
    truth = next(s for s in company.truth["switches"] if s["to"] == "employee_advocacy")
    expected = truth["effect_identifiable"]["total"]["leads"]
    assert 4.0 < expected < 6.0  # about half the demo world's effect
    row = effects.estimates.filter((pl.col("method") == "did") & (pl.col("metric") == "leads")).row(
        1, named=True
    )
    assert row["teams"] == "Marketing+Sales"
    assert row["low"] <= expected <= row["high"]
    assert row["low"] > 0


@pytest.mark.parametrize("seed", SEEDS)
def test_each_switch_gets_the_method_it_allows(seed: int) -> None:
    _, effects = _run(seed)
    est = effects.estimates.filter(pl.col("metric").is_in(["leads", "deals"]))
    got = est.sort("switch_date", "method", "metric").select("teams", "method", "metric", "verdict")
    assert got.rows() == [
        ("*", "did", "deals", "too_thin"),  # everyone left the ban together: nobody to compare
        ("*", "did", "leads", "too_thin"),
        ("*", "its", "deals", "too_thin"),  # a handful of won social deals during the ban
        ("*", "its", "leads", "estimate"),
        ("Marketing+Sales", "did", "deals", "too_thin"),
        ("Marketing+Sales", "did", "leads", "estimate"),
    ]
    thin = est.filter((pl.col("method") == "its") & (pl.col("metric") == "deals")).row(
        0, named=True
    )
    assert "before the switch" in thin["reason"]


def test_quick_validation_over_three_worlds() -> None:
    rows = bench.run(bench.QUICK_WORLDS, [1], jobs=1)
    table = bench.summary(rows)
    by = {(r["method"], r["metric"]): r for r in table.iter_rows(named=True)}
    assert set(by) == {(m, k) for m in ("its", "did") for k in ("leads", "deals", "revenue")}
    assert by[("did", "leads")]["shown"] == 3
    assert by[("its", "leads")]["shown"] == 3
    # won deals before the switches are too few in every world: never shown, whatever came after
    for key in (("its", "deals"), ("did", "deals"), ("its", "revenue"), ("did", "revenue")):
        assert by[key]["shown"] == 0
        assert by[key]["too_thin"] == 3
    shown = [r for r in rows if r.shown]
    assert sum(r.covered for r in shown) >= len(shown) - 1
    md = bench.markdown(table)
    assert md.count("\n") == len(table) + 1
