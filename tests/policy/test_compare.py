"""compare(): gains over today's policy on the demo company, "cannot project" on stores that
cannot support a projection, no value invented from zero evidence, currencies, a 1-month horizon,
and the CLI."""

import json
from datetime import UTC, datetime
from functools import cache
from typing import Any

import duckdb
import polars as pl
import pytest
from click.testing import CliRunner

from socialroi import schema
from socialroi.cli import main
from socialroi.core.vocabulary import is_organic_social
from socialroi.demo import DemoCompany, write_demo
from socialroi.policy import CANNOT, CURRENT, OK, PolicyComparison, compare, recommendation_text
from socialroi.policy.options import OPTION_NAMES, parse_options
from socialroi.store import Store
from tests.demos import demo_company as shared_demo

DRAWS = 2000


@cache
def demo_company() -> DemoCompany:
    """The 12-month demo, generated once for this module's tests and fixtures."""
    return shared_demo(months=12)


@cache
def demo_tables() -> tuple[dict[str, pl.DataFrame], datetime]:
    company = demo_company()
    return dict(company.tables), company.as_of


@cache
def comparison(months: int = 12) -> PolicyComparison:
    tables, as_of = demo_tables()
    return compare(tables, as_of=as_of, months=months, draws=DRAWS, seed=4, observed=False)


def row(c: PolicyComparison, option: str) -> dict[str, Any]:
    return c.summary.filter(pl.col("option") == option).row(0, named=True)


def test_every_option_is_a_gain_over_todays_policy_with_its_fields():
    c = comparison()
    assert c.status == OK
    # the demo's advocacy teams are on advocacy, the others on acceptable use: a mix
    assert set(c.baseline) == {"acceptable_use", "employee_advocacy"}
    assert sum(c.baseline.values()) == pytest.approx(1.0)
    assert "acceptable_use" in c.baseline_text
    assert c.summary["option"].to_list() == [*OPTION_NAMES, CURRENT]
    assert row(c, "employee_advocacy")["label"] == "Employee advocacy"
    assert c.summary["chance_best"].sum() == pytest.approx(1.0)
    for r in c.summary.iter_rows(named=True):
        assert r["status"] == OK
        assert r["gain_p5"] <= r["gain_p50"] <= r["gain_p95"]
    keep = row(c, CURRENT)
    assert (keep["gain_mean"], keep["gain_p5"], keep["gain_p95"]) == (0.0, 0.0, 0.0)
    # the ban loses work time (Chen & Chan) and its staff's leads
    ban = row(c, "blanket_ban")
    assert ban["productivity_gain_mean"] < 0
    assert ban["leads_gain_mean"] < 0
    # the ban saves money: no ROI; advocacy costs more: a ROI, gain ÷ extra cost
    assert ban["roi"] is None
    assert ban["roi_note"].startswith("n/a")
    adv = row(c, "employee_advocacy")
    assert adv["cost_incremental_mean"] > c.material_cost
    assert adv["roi"] == pytest.approx(adv["gain_mean"] / adv["cost_incremental_mean"])
    assert c.baseline_revenue is not None
    mean, low, high = c.baseline_revenue
    assert 0 < low < mean < high
    assert c.social_sourced_revenue > 0


def test_plausibility_flag_names_the_inputs_that_drive_the_gain():
    c = comparison()
    for r in c.summary.iter_rows(named=True):
        limit = c.plausible_multiple * c.social_sourced_revenue
        over = r["gain_mean"] > max(limit, c.material_cost)
        assert r["plausible"] is (not over)
        if over:
            top = c.sensitivity.filter(pl.col("option") == r["option"])["assumption"][0]
            assert top in r["plausibility_note"]


def test_the_shown_central_values_are_the_simulations_own():
    c = comparison()
    p = c.projection
    assert p is not None
    gains = p.total("gain")
    for i, name in enumerate(p.names):
        assert row(c, name)["gain_mean"] == pytest.approx(float(gains[i].mean()))
    # the assumptions frame shows each distribution's mean beside its central value
    prod = c.assumptions.filter(
        (pl.col("option") == "acceptable_use") & (pl.col("assumption") == "productivity_workdays")
    ).row(0, named=True)
    assert prod["mean"] == pytest.approx((-3.0 + 0.0 + 6.2) / 3)
    assert prod["basis"] == "cited"
    assert "217" in prod["evidence"]
    assert "not a company-wide ban" in prod["evidence"]
    assert set(c.assumptions["basis"]) <= {"data", "cited", "default", "user", "definition"}


def test_a_one_month_horizon_gives_no_certain_winner():
    c = comparison(1)
    assert c.status == OK
    best = c.summary["chance_best"].max()
    assert isinstance(best, float)
    assert best < 0.99


def test_the_same_seed_gives_the_same_comparison():
    tables, as_of = demo_tables()
    again = compare(tables, as_of=as_of, draws=DRAWS, seed=4, observed=False)
    assert again.summary.equals(comparison().summary)
    assert again.recommendation == comparison().recommendation


def test_changing_an_option_not_in_use_today_leaves_the_others_identical():
    tables, as_of = demo_tables()
    options = parse_options({"training": {"participation": 0.9, "training_fee": 9000}})
    other = compare(tables, as_of=as_of, options=options, draws=DRAWS, seed=4, observed=False)
    before, after = comparison().summary, other.summary
    for name in ("blanket_ban", "acceptable_use", "dedicated_manager", "employee_advocacy"):
        for col in ("gain_mean", "gain_p5", "gain_p95", "cost_incremental_mean"):
            assert row(comparison(), name)[col] == row(other, name)[col], (name, col)
    assert (
        before.filter(pl.col("option") == "training")["gain_mean"].item()
        != after.filter(pl.col("option") == "training")["gain_mean"].item()
    )


def test_a_store_without_conversions_cannot_project():
    tables, as_of = demo_tables()
    bare = dict(tables, leads=schema.empty("leads"), deals=schema.empty("deals"))
    c = compare(bare, as_of=as_of, draws=200, observed=False)
    assert c.status == CANNOT
    assert c.projection is None
    assert any("no leads and no won deals" in r for r in c.reasons)
    assert any("deals" in n for n in c.needed)
    assert set(c.summary["status"]) == {CANNOT}
    assert c.summary["gain_mean"].is_null().all()
    assert c.recommendation.startswith("Cannot project: ")
    assert "Needed: " in c.recommendation


def test_no_data_at_all_cannot_project_either():
    c = compare({}, as_of=datetime(2026, 1, 1, tzinfo=UTC), draws=100, observed=False)
    assert c.status == CANNOT
    assert any("complete month" in r for r in c.reasons)


def test_zero_social_leads_from_many_clicks_is_evidence_not_a_gap():
    tables, as_of = demo_tables()
    quiet = dict(tables)
    quiet["touchpoints"] = tables["touchpoints"].filter(~is_organic_social(pl.col("channel")))
    quiet["sessions"] = tables["sessions"].filter(~pl.col("medium").is_in(["social", "referral"]))
    c = compare(quiet, as_of=as_of, draws=DRAWS, seed=4, observed=False)
    assert c.status == OK
    assert c.funnel.evidence["social_leads"] == 0
    assert c.funnel.evidence["tracked_clicks"] > 500
    lpc = c.funnel.rates["leads_per_click"]
    assert lpc.basis == "data"
    assert lpc.mean < 0.002  # Gamma(0 + ½, 1/clicks): far below an assumed 2%
    adv = row(c, "employee_advocacy")
    full = row(comparison(), "employee_advocacy")
    assert abs(adv["revenue_gain_mean"]) < 0.05 * full["revenue_gain_mean"]
    assert adv["gain_mean"] < 0.05 * full["gain_mean"]


def test_usd_defaults_are_refused_in_another_currency_and_converted_with_a_rate():
    tables, as_of = demo_tables()
    refused = compare(tables, as_of=as_of, currency="EUR", draws=200, observed=False)
    assert refused.status == CANNOT
    assert any("USD" in r and "EUR" in r and "tools_per_month" in r for r in refused.reasons)
    assert any("[policy] fx" in n for n in refused.needed)
    converted = compare(
        tables, as_of=as_of, currency="EUR", fx={"USD": 0.9}, draws=200, observed=False
    )
    assert converted.status == OK
    tools = converted.assumptions.filter(
        (pl.col("option") == "employee_advocacy") & (pl.col("assumption") == "tools_per_month")
    ).row(0, named=True)
    assert tools["central"] == pytest.approx(600 * 0.9)
    assert tools["currency"] == "EUR"
    assert "converted from USD at 0.9" in tools["source"]


def test_a_value_set_in_the_reporting_currency_is_not_converted():
    tables, as_of = demo_tables()
    options = parse_options(
        {
            name: {"tools_per_month": 0, "training_fee": 0, "monitoring_per_seat": 0}
            for name in OPTION_NAMES
        }
    )
    c = compare(tables, as_of=as_of, options=options, currency="EUR", draws=200, observed=False)
    assert c.status == OK


def test_recommendation_text_by_hand():
    summary = pl.DataFrame(
        {
            "option": ["a", "b"],
            "label": ["Plan A", "Plan B"],
            "status": [OK, OK],
            "today_share": [0.0, 0.0],
            "chance_best": [0.71, 0.29],
            "gain_mean": [38_000.0, 10_000.0],
            "gain_p5": [-5_000.0, -9_000.0],
            "gain_p95": [84_000.0, 30_000.0],
        }
    )
    assert recommendation_text(summary, months=12, currency="USD") == (
        "Plan A: best in 71% of simulations; gain over today's policy +$38k (90% range −$5.0k "
        "to +$84k) over 12 months. Not settled: Plan B is best in 29% of simulations."
    )


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    root = tmp_path_factory.mktemp("policy")
    company = demo_company()
    for name in ("demo.duckdb", "bare.duckdb"):
        with Store.open(root / name) as store:
            write_demo(company, store)
    with duckdb.connect(str(root / "bare.duckdb")) as con:
        con.execute("DELETE FROM leads")
        con.execute("DELETE FROM deals")
    return root


@pytest.mark.slow  # three CLI comparisons on a demo store
def test_cli_prints_gains_and_exits_0_when_it_cannot_project(stores):
    runner = CliRunner()
    ok = runner.invoke(
        main,
        ["policy", "compare", "--store", str(stores / "demo.duckdb"), "--draws", "500", "-q"],
    )
    assert ok.exit_code == 0, ok.output
    assert "Employee advocacy" in ok.stdout
    assert "Today's policy" in ok.stdout
    bare = ["policy", "compare", "--store", str(stores / "bare.duckdb"), "--draws", "500", "-q"]
    table = runner.invoke(main, bare)
    assert table.exit_code == 0, table.output
    assert "cannot project" in table.stdout
    assert "Needed:" in table.stdout
    out = runner.invoke(main, [*bare, "--format", "json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert doc["status"] == "cannot project"
    assert doc["reasons"]
    assert doc["needed"]
    assert all(o["gain_mean"] is None for o in doc["options"])
