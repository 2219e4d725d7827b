"""Data quality: social sessions per platform, matched to a contact or left anonymous."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from socialroi.reports._format import plotly_text, ratio
from socialroi.reports.figures._common import base_layout, empty_figure

ALL_SOCIAL = "(all social)"


def make_match_rate(match_rate: pl.DataFrame) -> go.Figure:
    """Stacked bars of matched and anonymous social sessions per platform, from a frame with
    platform, sessions, matched, match_rate (the '(all social)' row is left to the text)."""
    rows = match_rate.filter(pl.col("platform") != ALL_SOCIAL).sort("sessions")
    if rows.height == 0:
        return empty_figure("No social sessions in the web analytics data.", height=160)
    labels = [plotly_text(p) for p in rows["platform"].to_list()]
    rates = [ratio(r) for r in rows["match_rate"].to_list()]
    fig = go.Figure()
    fig.add_bar(
        y=labels,
        x=rows["matched"].to_list(),
        name="Matched to a contact",
        orientation="h",
        marker_color="#16a34a",
        customdata=rates,
        hovertemplate="%{y}: %{x} matched (%{customdata})<extra></extra>",
    )
    fig.add_bar(
        y=labels,
        x=(rows["sessions"] - rows["matched"]).to_list(),
        name="Anonymous",
        orientation="h",
        marker_color="#cbd5e1",
        hovertemplate="%{y}: %{x} anonymous<extra></extra>",
    )
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title_text="social sessions")
    return base_layout(fig, height=max(200, 90 + 36 * rows.height))
