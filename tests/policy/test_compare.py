"""compare(): the options side by side on the demo company, the recommendation with its
uncertainty, and the report section (escaped, with its figures)."""

from datetime import UTC, datetime
from functools import cache

import polars as pl
import pytest

from socialroi.demo import generate
from socialroi.errors import DataError
from socialroi.policy import PolicyComparison, compare, recommendation_text, short_money
from socialroi.policy.options import OPTION_NAMES, parse_options
from socialroi.reports._format import html_text
from socialroi.reports._policy_section import policy_section

PAYLOAD = "<img src=x onerror=alert(1)>"


@cache
def comparison() -> PolicyComparison:
    company = generate(months=12)
    options = parse_options({PAYLOAD: {"based_on": "training", "description": PAYLOAD}})
    return compare(company.tables, options=options, as_of=company.as_of, draws=2000, seed=4)


def test_every_option_is_projected_and_one_is_best_in_each_draw():
    c = comparison()
    assert c.summary["option"].to_list() == [*OPTION_NAMES, PAYLOAD]
    assert c.summary["prob_best"].sum() == pytest.approx(1.0)
    for r in c.summary.iter_rows(named=True):
        assert r["net_p5"] <= r["net_p50"] <= r["net_p95"]
    # the ban's lost work time (Chen & Chan) is a cost the projection carries
    ban = c.summary.filter(pl.col("option") == "blanket_ban").row(0, named=True)
    assert ban["productivity_mean"] < 0


def test_recommendation_names_the_best_option_with_its_range():
    c = comparison()
    best = c.summary.sort("prob_best", descending=True)["option"][0]
    assert c.recommendation.startswith(f"{best}: best in ")
    assert "90% range" in c.recommendation
    assert "over 12 months" in c.recommendation


def test_sensitivity_and_assumptions_cover_every_option_with_sources():
    c = comparison()
    assert set(c.sensitivity["option"]) == set(c.summary["option"])
    for _, part in c.sensitivity.group_by("option"):
        swings = part["swing"].to_list()
        assert swings == sorted(swings, reverse=True)
    assert c.assumptions.filter(pl.col("source").str.len_chars() == 0).height == 0
    assert "(your data)" in c.assumptions["option"].to_list()


def test_the_same_seed_gives_the_same_comparison():
    company = generate(months=12)
    c = comparison()
    again = compare(
        company.tables,
        options=dict(c.options),
        as_of=company.as_of,
        draws=2000,
        seed=4,
        observed=False,
    )
    assert again.summary.equals(c.summary)
    assert again.recommendation == c.recommendation


def test_no_data_is_a_data_error_not_a_recommendation():
    with pytest.raises(DataError, match="no month of data before 2026-01-01"):
        compare({}, as_of=datetime(2026, 1, 1, tzinfo=UTC), draws=100, observed=False)


def test_recommendation_text_by_hand():
    summary = pl.DataFrame(
        {
            "option": ["a", "b"],
            "prob_best": [0.71, 0.29],
            "net_mean": [38_000.0, 10_000.0],
            "net_p5": [-5_000.0, -9_000.0],
            "net_p95": [84_000.0, 30_000.0],
        }
    )
    assert recommendation_text(summary, months=12, currency="USD") == (
        "a: best in 71% of simulations; net value +$38k (90% range −$5.0k to +$84k) over 12 "
        "months. Not settled: b is best in 29% of simulations."
    )
    assert short_money(1_234_567, "CHF") == "CHF 1.2M"
    assert short_money(-450, "EUR") == "−€450"


def test_report_section_escapes_text_and_has_its_figures():
    html, figures = policy_section(comparison(), currency="USD")
    assert PAYLOAD not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "Chen &amp; Chan" in html  # sources are printed, escaped
    assert {"policy_net", "policy_best", "policy_tornado"} <= set(figures)
    for fig in figures.values():
        assert PAYLOAD not in fig.to_json()
    observed = comparison().observed
    if observed is not None:
        thin = observed.estimates.filter(pl.col("verdict") != "estimate")
        for reason in thin["reason"].unique().to_list():
            assert html_text(reason) in html  # why a switch could not be measured
        for r in observed.estimates.filter(pl.col("verdict") == "estimate").iter_rows(named=True):
            assert f"<td>{html_text(r['metric'])}</td>" in html
