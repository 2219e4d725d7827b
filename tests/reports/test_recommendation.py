"""The recommendation's words match the evidence: "we cannot tell yet" on thin data, when the
projected range or the measured effect of the same switch crosses zero, or when nothing could be
projected; "likely" only when the simulation and the measurement agree; an implausible gain is
flagged with the inputs behind it. Also the ROI rule: no ratio where the cost is not material.

The comparisons here are made by hand (a stand-in with the fields the report reads), so every
number in the expected text is one written in the test.
"""

from __future__ import annotations

import html
from datetime import date
from types import SimpleNamespace
from typing import Any

import polars as pl
import pytest

from socialroi import Settings, Store
from socialroi.analysis import analyze
from socialroi.policy.observed import empty
from socialroi.reports import _policy_block as block
from socialroi.reports import write_report
from socialroi.reports._format import material_cost, per_cost_text, roi_text
from socialroi.reports._policy_section import Context, recommendation

ROW: dict[str, Any] = {
    "status": "ok",
    "reason": None,
    "today_share": 0.0,
    "roi": None,
    "roi_note": None,
    "plausible": True,
    "plausibility_note": None,
}


def comparison(
    rows: list[dict[str, Any]],
    *,
    observed: pl.DataFrame | None = None,
    status: str = "ok",
    reasons: tuple[str, ...] = (),
    needed: tuple[str, ...] = (),
) -> Any:  # a stand-in for PolicyComparison with the fields the report reads
    obs: Any = empty()
    if observed is not None:
        obs = SimpleNamespace(estimates=observed, series=obs.series)
    sens = pl.DataFrame(
        {
            "option": ["employee_advocacy"] * 3,
            "assumption": ["won_per_lead", "value_per_won", "participation"],
            "basis": ["data", "data", "default"],
            "swing": [90_000.0, 40_000.0, 10_000.0],
        }
    )
    return SimpleNamespace(
        summary=pl.DataFrame([{**ROW, **r} for r in rows]),
        status=status,
        reasons=reasons,
        needed=needed,
        months=12,
        baseline={"acceptable_use": 1.0},
        baseline_revenue=(200_000.0, 120_000.0, 300_000.0),
        social_sourced_revenue=250_000.0,
        plausible_multiple=1.0,
        observed=obs,
        sensitivity=sens,
    )


ADVOCACY = {
    "option": "employee_advocacy",
    "label": "Employee advocacy",
    "chance_best": 0.9,
    "gain_mean": 80_000.0,
    "gain_p5": 20_000.0,
    "gain_p95": 150_000.0,
}
BAN = {
    "option": "blanket_ban",
    "label": "Ban social media at work",
    "chance_best": 0.1,
    "gain_mean": -40_000.0,
    "gain_p5": -90_000.0,
    "gain_p95": 5_000.0,
}
ENOUGH = Context(currency="USD", social_deals=40, months_of_data=24, firm_revenue=1_000_000.0)


def observed_effect(low: float, high: float) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "switch_date": [date(2026, 1, 1)],
            "from_policy": ["acceptable_use"],
            "to_policy": ["employee_advocacy"],
            "teams": ["Marketing+Sales"],
            "method": ["did"],
            "metric": ["revenue"],
            "effect": [(low + high) / 2],
            "low": [low],
            "high": [high],
            "verdict": ["estimate"],
            "reason": ["two-way fixed effects"],
        }
    )


def test_likely_when_the_simulation_and_the_measured_switch_agree():
    rec = recommendation(
        comparison([ADVOCACY, BAN], observed=observed_effect(2_000, 10_000)), ENOUGH
    )
    assert rec.headline == (
        "Employee advocacy is likely the best option: the simulation and your own switch agree."
    )
    assert not rec.unsure
    # the gain over today's policy with its range, next to today's baseline and the firm's own
    assert "<b>+$80k</b> over 12 months (90% range +$20k to +$150k)" in rec.detail
    assert "(Acceptable use 100% of staff)" in rec.detail
    assert "today's policy is projected to bring $200k of social revenue" in rec.detail
    assert "$250k of social-sourced revenue over the last 12 months" in rec.detail
    assert "the firm won $1.0M in all" in rec.detail
    assert "+$6.0k social revenue a month (90% range +$2.0k to +$10k), above zero" in rec.detail
    assert "+$80k over today's policy in 12 months" in rec.short
    assert "employee_advocacy" not in rec.headline + rec.detail + rec.short


def test_cannot_tell_when_the_measured_effect_of_the_same_switch_crosses_zero():
    rec = recommendation(
        comparison([ADVOCACY, BAN], observed=observed_effect(-3_000, 12_000)), ENOUGH
    )
    assert rec.headline.startswith("We cannot tell yet: Employee advocacy leads the simulation")
    assert rec.unsure
    assert "so it could still be zero" in rec.detail
    assert "What would decide it: more months under Employee advocacy" in rec.detail
    assert "could still be zero" in rec.short


def test_cannot_tell_when_the_projected_range_crosses_zero():
    wide = {**ADVOCACY, "gain_p5": -10_000.0}
    rec = recommendation(comparison([wide, BAN]), ENOUGH)
    assert rec.headline.startswith("We cannot tell yet")
    assert "the projected range includes losing money" in rec.detail


def test_a_thin_store_cannot_tell_and_says_what_data_would_decide_it():
    thin = Context(currency="USD", social_deals=3, months_of_data=4, firm_revenue=90_000.0)
    rec = recommendation(comparison([ADVOCACY, BAN]), thin)
    assert rec.headline.startswith("We cannot tell yet")
    assert (
        "more history: 3 won deals with a social touch over 4 months so far; at least 10 deals "
        "and 6 months are needed"
    ) in rec.detail


def test_nothing_projected_is_cannot_tell_with_the_reason_and_no_number():
    cannot = {**ADVOCACY, "status": "cannot project", "reason": "no social leads"}
    rec = recommendation(
        comparison(
            [cannot],
            status="cannot project",
            reasons=("no won deal with a social touch",),
            needed=("a few months of won_per_lead data",),
        ),
        ENOUGH,
    )
    assert rec.headline == "We cannot tell yet which policy pays best."
    assert "no won deal with a social touch" in rec.detail
    assert "What would decide it: a few months of share of leads won data" in rec.detail
    assert "$" not in rec.detail


def test_an_implausible_gain_is_flagged_with_what_drives_it():
    big = {**ADVOCACY, "gain_mean": 600_000.0, "plausible": False}
    rec = recommendation(comparison([big, BAN], observed=observed_effect(2_000, 10_000)), ENOUGH)
    assert rec.headline == (
        "Employee advocacy looks best, but the projected gain needs checking before acting."
    )
    assert rec.unsure
    assert (
        "a gain of +$600k is more than 1× the $250,000 of social-sourced revenue your data "
        "show over the last 12 months"
    ) in rec.detail
    assert (
        "It rests most on share of leads won (from your data), value of a won deal (from your "
        "data), staff who post for the company (a default: set it for your company)."
    ) in rec.detail
    assert "Check before acting" in rec.short


def test_the_fixture_store_is_thin_and_the_report_says_so(fixture_store, tmp_path):
    if block._engine() is None:
        pytest.skip("the policy engine is not installed")
    with Store.open(fixture_store, read_only=True) as store:
        a = analyze(store, settings=Settings())
    doc = write_report(a, tmp_path / "r.html").read_text(encoding="utf-8")
    summary = doc[doc.index('<section id="summary">') : doc.index('<section id="deals">')]
    assert html.escape("We cannot tell yet") in summary  # 3 months, 1 won deal
    assert "100%" not in summary.split('id="recommendation"')[1].split("</div></div>")[0]


@pytest.mark.parametrize(
    ("total", "floor"),
    [(85_548.0, 2_000.0), (450.0, 10.0), (1_000.0, 20.0), (0.0, 0.0), (260.0, 10.0)],
)
def test_material_cost_is_two_percent_rounded_up_to_1_2_5(total, floor):
    # 2% of 85,548 = 1,711 → 2,000; of 450 = 9 → 10; of 1,000 = 20; of 260 = 5.2 → 10
    assert material_cost(total) == floor


def test_roi_is_shown_only_where_the_cost_is_material():
    # an employee credited $12,950 on $50 of staff time: 25,800% would be shown before
    assert roi_text(257.999, 50.0, 2_000.0, "USD") == "n/a — cost under $2,000"
    assert per_cost_text(12_950.0, 50.0, 2_000.0, "USD") == "n/a"
    # (34,449 − 8,555) / 8,555 = 302.7% → 303%; 34,449 / 8,555 = $4.03 per $1
    assert roi_text(3.0268, 8_555.0, 2_000.0, "USD") == "303%"
    assert per_cost_text(34_449.0, 8_555.0, 2_000.0, "USD") == "$4.03"
    assert roi_text(-0.5, 4_000.0, 2_000.0, "EUR") == "−50%"
    assert roi_text(None, 0.0, 2_000.0, "USD") == "–"


def test_the_report_says_n_a_for_a_small_cost(fixture_store, tmp_path):
    with Store.open(fixture_store, read_only=True) as store:
        a = analyze(store, settings=Settings())
    floor = material_cost(a.summary.cost)
    small = a.roi_employee.filter((pl.col("cost") > 0) & (pl.col("cost") < floor))
    doc = write_report(a, tmp_path / "r.html").read_text(encoding="utf-8")
    employees = doc[doc.index('<section id="employees">') : doc.index('<section id="campaigns">')]
    assert f"where the cost is at least €{floor:,.0f}" in employees
    if small.height:
        assert f"n/a — cost under €{floor:,.0f}" in employees
