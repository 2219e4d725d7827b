"""Observed effects: checks that cannot run say so, and "too thin" is decided on the months
before the switch only (hand-built stores)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import polars as pl

from socialroi.policy.observed import observe
from socialroi.policy.outcomes import add_months
from tests.policy.test_observed import START, _row, _tables

AS_OF = datetime(2024, 5, 1, tzinfo=UTC)  # 16 complete months from START


def _advocacy_in_sales(sales: list[int], delivery: list[int], support: list[int]) -> pl.DataFrame:
    switch = add_months(START, 8)
    tables = _tables(
        {"Sales": sales, "Delivery": delivery, "Support": support},
        [("*", START, None, "acceptable_use"), ("Sales", switch, None, "employee_advocacy")],
        START,
    )
    return observe(tables, as_of=AS_OF).estimates


def test_switching_team_with_nothing_before_the_switch_cannot_be_checked() -> None:
    """Sales had no social leads at all before its switch (as under a ban): the effect is
    estimated against the other teams, but the pre-trend test and the placebo have nothing to
    work on. They say "cannot check" instead of a p-value of 1.00 or a placebo of 0.0 to 0.0."""
    rng = np.random.default_rng(4)
    row = _row(
        _advocacy_in_sales(
            [0] * 8 + rng.poisson(12, 8).tolist(),
            rng.poisson(8, 16).tolist(),
            rng.poisson(5, 16).tolist(),
        ),
        "did",
        "leads",
    )
    assert row["verdict"] == "estimate"
    assert row["low"] > 0  # the jump from nothing is clear
    assert row["checks"] == (
        "cannot check: no social leads in the switching teams before the switch"
    )
    assert row["pre_trend_p"] is None
    assert (row["placebo_effect"], row["placebo_low"], row["placebo_high"]) == (None, None, None)


def test_checks_that_run_leave_no_note() -> None:
    rng = np.random.default_rng(8)
    row = _row(
        _advocacy_in_sales(
            rng.poisson(10, 8).tolist() + rng.poisson(25, 8).tolist(),
            rng.poisson(10, 16).tolist(),
            rng.poisson(6, 16).tolist(),
        ),
        "did",
        "leads",
    )
    assert row["checks"] is None
    assert row["pre_trend_p"] is not None
    assert row["placebo_low"] < 0 < row["placebo_high"]


def test_time_series_with_an_empty_first_half_runs_the_trend_test_but_not_the_placebo() -> None:
    before = [0] * 7 + [9, 11, 8, 12, 10, 9, 11]  # nothing in the first half of the pre-period
    after = [20, 22, 19, 24, 21, 23, 20, 22]
    tables = _tables(
        {"Sales": before + after},
        [
            ("*", START, date(2024, 3, 1), "blanket_ban"),
            ("*", date(2024, 3, 1), None, "acceptable_use"),
        ],
        START,
    )
    # a lead from search in the first month: the store's data start there, not at the first
    # social lead
    search = {"lead_id": "l-search", "contact_id": "c-search", "source": "organic_search"}
    first = datetime(2023, 1, 5, tzinfo=UTC)
    tables["leads"] = pl.concat(
        [tables["leads"], pl.DataFrame([{**search, "created_at": first}])], how="diagonal"
    )
    row = _row(observe(tables, as_of=datetime(2024, 11, 1, tzinfo=UTC)).estimates, "its", "leads")
    assert row["verdict"] == "estimate"
    assert row["checks"] == (
        "cannot check: no social leads in the first half before the switch (placebo)"
    )
    assert row["placebo_low"] is None
    assert row["pre_trend_p"] is not None  # the bend before the switch is still tested
    assert row["pre_trend_p"] < 0.05  # … and found: 0 for 7 months, then 10 a month


def test_too_thin_is_decided_before_the_switch_whatever_came_after() -> None:
    """Two stores identical before the switch; one has a burst of leads after it. With the
    months after the switch counted, only the burst would be shown (selection on the outcome);
    judged on the months before, both get the same verdict and the same reason."""
    # 3 leads in the 8 months before the switch over all three teams: about 6 over the 16
    sales, delivery, support = [1, 0, 0, 0, 0, 0, 0, 1], [0, 0, 1, 0, 0, 0, 0, 0], [0] * 8
    rows = []
    for after in ([0, 1, 0, 0, 1, 0, 0, 1], [9, 12, 8, 11, 10, 13, 9, 12]):
        est = _advocacy_in_sales(sales + after, delivery + [1] * 8, support + [1] * 8)
        rows.append(_row(est, "did", "leads"))
    assert [r["verdict"] for r in rows] == ["too_thin", "too_thin"]
    assert (
        rows[0]["reason"]
        == rows[1]["reason"]
        == (
            "3 social leads in the 8 months before the switch, so about 6 to expect over the "
            "16 months compared; at least 10 needed"
        )
    )
    assert rows[0]["effect"] is None
    assert rows[1]["effect"] is None


def test_enough_before_the_switch_is_estimated_even_when_nothing_comes_after() -> None:
    rng = np.random.default_rng(2)
    pre = rng.poisson(4, 8).tolist()
    row = _row(_advocacy_in_sales(pre + [0] * 8, pre, rng.poisson(4, 16).tolist()), "did", "leads")
    assert row["verdict"] == "estimate"
    assert row["high"] < 0  # the drop to zero is there to see
