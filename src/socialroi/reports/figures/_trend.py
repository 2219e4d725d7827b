"""The monthly trend: social revenue and cost as bars, leads and deals as lines, policy changes as
dated vertical lines."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from socialroi.reports._format import plotly_text
from socialroi.reports.figures._common import COST, REVENUE, base_layout, empty_figure


def make_monthly_trend(
    monthly: pl.DataFrame, policy_periods: pl.DataFrame, *, currency: str
) -> go.Figure:
    """From `monthly` (month, social_revenue, cost, social_leads, social_deals, leads, deals) and
    `policy_periods` (team, from, policy): bars and lines by month, a marked line per change."""
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
    for i, p in enumerate(policy_periods.sort("from").iter_rows(named=True)):
        team = "" if p["team"] in (None, "*") else f" ({plotly_text(p['team'])})"
        fig.add_shape(
            type="line",
            x0=p["from"],
            x1=p["from"],
            xref="x",
            y0=0,
            y1=1,
            yref="paper",
            line={"color": "#6b7280", "dash": "dash", "width": 1},
        )
        fig.add_annotation(
            x=p["from"],
            y=1.0 + 0.07 * (i % 2),
            xref="x",
            yref="paper",
            yanchor="bottom",
            text=f"{plotly_text(p['policy'])}{team}",
            showarrow=False,
            xanchor="left",
            font={"size": 11, "color": "#374151"},
        )
    fig.update_layout(barmode="group", hovermode="x unified", margin={"t": 70})
    fig.update_yaxes(title_text=plotly_text(currency), tickformat="~s", secondary_y=False)
    fig.update_yaxes(title_text="count", secondary_y=True, showgrid=False, rangemode="tozero")
    fig.update_xaxes(dtick="M1", tickformat="%b %Y")
    return base_layout(fig, height=400)
