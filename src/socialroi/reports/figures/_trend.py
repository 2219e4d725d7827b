"""The monthly trend: social revenue and cost as bars, leads and deals as lines, policy changes as
dated vertical lines."""

from __future__ import annotations

import textwrap
from datetime import date, datetime, timedelta

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from socialroi.reports._format import plotly_text
from socialroi.reports._words import policy_label
from socialroi.reports.figures._common import COST, REVENUE, base_layout, empty_figure

#: Colours of the policy-change lines (the bars and lines use the blue/orange/green set).
#: Legend entries wrap at about this many characters, so a phone shows them whole.
LEGEND_CHARS = 40
CHANGE_COLORS = ("#374151", "#9333ea", "#0891b2", "#be185d", "#65a30d")


def make_monthly_trend(
    monthly: pl.DataFrame,
    policy_periods: pl.DataFrame,
    *,
    currency: str,
    period: tuple[datetime, datetime] | None = None,
) -> go.Figure:
    """From `monthly` (month, social_revenue, cost, social_leads, social_deals, leads, deals) and
    `policy_periods` (team, from, policy): bars and lines by month, a marked line per change, and
    the report's `period` (start, end) shaded."""
    if monthly.height == 0:
        return empty_figure("No months with data yet.")
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    months = monthly["month"].to_list()
    fig.add_bar(
        x=months,
        y=monthly["social_revenue"].to_list(),
        name="Social revenue",
        marker_color=REVENUE,
        secondary_y=False,
    )
    fig.add_bar(
        x=months,
        y=monthly["cost"].to_list(),
        name="Social cost",
        marker_color=COST,
        secondary_y=False,
    )
    for col, name, dash in (
        ("social_leads", "Social leads", "solid"),
        ("leads", "All leads", "dot"),
        ("social_deals", "Social deals", "solid"),
    ):
        fig.add_scatter(
            x=months,
            y=monthly[col].to_list(),
            name=name,
            mode="lines+markers",
            line={"dash": dash, "width": 2},
            secondary_y=True,
        )
    first, last = min(months), max(months)
    for i, (when, label) in enumerate(_policy_changes(policy_periods)):
        if not first <= _as_datetime(when, first) <= last + timedelta(days=31):
            continue  # before the first month on record: listed under the chart, not drawn
        color = CHANGE_COLORS[i % len(CHANGE_COLORS)]
        fig.add_shape(
            type="line",
            x0=when,
            x1=when,
            xref="x",
            y0=0,
            y1=1,
            yref="paper",
            line={"color": color, "dash": "dash", "width": 1.5},
        )
        fig.add_scatter(  # the legend entry of the line above (no data: the axis keeps its range)
            x=[None],
            y=[None],
            mode="lines",
            line={"color": color, "dash": "dash", "width": 1.5},
            name="<br>".join(textwrap.wrap(f"{_month_text(when)}: {label}", LEGEND_CHARS)),
            hoverinfo="skip",
            secondary_y=False,
        )
    if period is not None:
        start, end = period
        fig.add_vrect(  # plotly.js reads dates without a zone: pass plain dates
            x0=(start - timedelta(days=15)).date().isoformat(),
            x1=(end - timedelta(days=15)).date().isoformat(),
            fillcolor="#fde68a",
            opacity=0.35,
            line_width=0,
            layer="below",
        )
    fig.update_layout(barmode="group", hovermode="x unified", margin={"t": 20})
    fig.update_yaxes(title_text=plotly_text(currency), tickformat="~s", secondary_y=False)
    fig.update_yaxes(title_text="count", secondary_y=True, showgrid=False, rangemode="tozero")
    # The range is the data's (half a month either side of the bars); ticks are left to Plotly,
    # at most one per month, so a phone gets a few and a laptop more.
    fig.update_xaxes(
        type="date",
        range=[_iso(first - timedelta(days=16)), _iso(last + timedelta(days=16))],
        tickformat="%b\n%Y",
        nticks=8,
        minor={"dtick": "M1", "showgrid": False, "ticks": "outside", "ticklen": 3},
    )
    fig.update_layout(legend={"y": -0.22})
    return base_layout(fig, height=440)


def _as_datetime(when: object, like: object) -> object:
    """`when` (a date or datetime) comparable with `like` (the months' type)."""
    if isinstance(like, datetime) and not isinstance(when, datetime) and isinstance(when, date):
        return datetime(when.year, when.month, when.day, tzinfo=like.tzinfo)
    if isinstance(like, date) and not isinstance(like, datetime) and isinstance(when, datetime):
        return when.date()
    return when


def _iso(value: object) -> str:
    """A date for plotly.js, without a zone (plotly reads zoned strings badly)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat()
    return str(value)


def _month_text(when: object) -> str:
    return when.strftime("%b %Y") if isinstance(when, date) else str(when)


def _policy_changes(policy_periods: pl.DataFrame) -> list[tuple[object, str]]:
    """One (date, label) per date on which some team's policy changed.

    A row that continues the policy the team had just before (its own earlier row, else the
    company-wide '*' row) is not a change. Teams that switch to the same policy on the same date
    share one label: ``Employee advocacy: Marketing, Sales``.
    """
    rows = sorted(
        policy_periods.select("team", "from", "policy").iter_rows(), key=lambda r: (r[1], r[0])
    )
    current: dict[str, str] = {}
    changes: dict[object, dict[str, list[str]]] = {}
    for raw_team, when, policy in rows:
        team = raw_team or "*"
        before = current.get(team, current.get("*"))
        current[team] = policy
        if team == "*":
            current = {"*": policy}
        if policy != before:
            changes.setdefault(when, {}).setdefault(policy, []).append(team)
    out: list[tuple[object, str]] = []
    for when, by_policy in changes.items():
        parts = []
        for policy, teams in sorted(by_policy.items()):
            named = sorted(t for t in teams if t != "*")
            who = f": {', '.join(plotly_text(t) for t in named)}" if named else ""
            parts.append(f"{plotly_text(policy_label(policy))}{who}")
        out.append((when, "; ".join(parts)))
    return out
