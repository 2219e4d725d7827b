"""The before/after chart of observed effects."""

from __future__ import annotations

from datetime import date

import plotly.graph_objects as go
import polars as pl
import pytest

from socialroi.policy.observed import ESTIMATE_SCHEMA, SERIES_SCHEMA
from socialroi.reports.figures._observed import make_observed_chart

SWITCH = date(2024, 4, 1)
TEAMS = "<b>Sales</b>"


def _frames(verdict: str = "estimate") -> tuple[pl.DataFrame, pl.DataFrame]:
    months = [date(2024, m, 1) for m in range(1, 7)]
    after = [m >= SWITCH for m in months]
    series = pl.DataFrame(
        {
            "month": months,
            "teams": TEAMS,
            "metric": "revenue",
            "switch_date": SWITCH,
            "actual": [10.0, 11.0, 12.0, 20.0, 21.0, 22.0],
            "counterfactual": [10.0, 11.0, 12.0, 13.0, 14.0, 15.0],
            "low": [12.0 if a else None for a, m in zip(after, months, strict=True)],
            "high": [16.0 if a else None for a, m in zip(after, months, strict=True)],
        },
        schema=SERIES_SCHEMA,
    )
    thin = verdict != "estimate"
    estimates = pl.DataFrame(
        [
            {
                "switch_date": SWITCH,
                "from_policy": "acceptable_use",
                "to_policy": "employee_advocacy",
                "teams": TEAMS,
                "method": "did",
                "metric": "revenue",
                "effect": None if thin else 7000.0,
                "low": None if thin else 2500.0,
                "high": None if thin else 11500.0,
                "months_before": 3,
                "months_after": 3,
                "verdict": verdict,
                "reason": "2 months before the switch; at least 3 needed" if thin else "TWFE",
            }
        ],
        schema=ESTIMATE_SCHEMA,
    )
    return series, estimates


def test_chart_shows_actual_counterfactual_and_the_band_after_the_switch() -> None:
    series, estimates = _frames()
    fig = make_observed_chart(series, estimates, metric="revenue", currency="USD")
    assert isinstance(fig, go.Figure)
    names = [t.name for t in fig.data]
    assert names == [
        "90% band of the counterfactual",
        "Without the switch (estimated)",
        "Actual social revenue",
    ]
    band = fig.data[0]
    assert list(band.y) == [16.0, 16.0, 16.0, 12.0, 12.0, 12.0]  # after the switch only
    title = fig.layout.annotations[0].text
    words = title.replace("<br>", " ")  # the title wraps on narrow screens
    assert "+$7,000 a month (90% range $2,500 to $11,500)" in words
    assert "&lt;b&gt;Sales&lt;/b&gt;" in title  # team names are data: escaped
    assert "<b>" not in title
    assert len(fig.layout.shapes) == 1  # the switch is marked


def test_chart_says_why_there_is_no_estimate() -> None:
    series, estimates = _frames("too_thin")
    fig = make_observed_chart(series, estimates, metric="revenue", currency="USD")
    title = fig.layout.annotations[0].text.replace("<br>", " ")
    assert "no estimate — 2 months before the switch; at least 3 needed" in title


def test_chart_without_switches_or_with_an_unknown_metric() -> None:
    series, estimates = _frames()
    empty = make_observed_chart(series, estimates, metric="leads", currency="USD")
    assert "No policy switch" in empty.layout.annotations[0].text
    with pytest.raises(ValueError, match="metric must be one of"):
        make_observed_chart(series, estimates, metric="profit", currency="USD")
