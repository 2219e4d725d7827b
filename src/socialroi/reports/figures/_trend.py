"""The monthly trend: social revenue and cost as bars, leads and deals as lines, policy changes as
dated vertical lines."""

from __future__ import annotations

from datetime import datetime, timedelta

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from socialroi.reports._format import plotly_text
from socialroi.reports.figures._common import COST, REVENUE, base_layout, empty_figure


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
    for i, (when, label) in enumerate(_policy_changes(policy_periods)):
        fig.add_shape(
            type="line",
            x0=when,
            x1=when,
            xref="x",
            y0=0,
            y1=1,
            yref="paper",
            line={"color": "#6b7280", "dash": "dash", "width": 1},
        )
        fig.add_annotation(
            x=when,
            y=1.0 + 0.07 * (i % 2),
            xref="x",
            yref="paper",
            yanchor="bottom",
            text=label,
            showarrow=False,
            xanchor="left",
            font={"size": 11, "color": "#374151"},
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
    fig.update_layout(barmode="group", hovermode="x unified", margin={"t": 70})
    fig.update_yaxes(title_text=plotly_text(currency), tickformat="~s", secondary_y=False)
    fig.update_yaxes(title_text="count", secondary_y=True, showgrid=False, rangemode="tozero")
    fig.update_xaxes(dtick="M1", tickformat="%b %Y")
    return base_layout(fig, height=400)


def _policy_changes(policy_periods: pl.DataFrame) -> list[tuple[object, str]]:
    """One (date, label) per date on which some team's policy changed.

    A row that continues the policy the team had just before (its own earlier row, else the
    company-wide '*' row) is not a change. Teams that switch to the same policy on the same date
    share one label: ``employee_advocacy: Marketing, Sales``.
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
            parts.append(f"{plotly_text(policy)}{who}")
        out.append((when, "<br>".join(parts)))
    return out
