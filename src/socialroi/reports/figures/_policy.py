"""Policy comparison figures: each option's gain over today's policy with its 90% range, the
chance each is best, and the tornado of what moves the answer."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from socialroi.reports._format import plotly_text, short_money
from socialroi.reports._words import assumption_label
from socialroi.reports.figures._common import COLORS, COST, REVENUE, base_layout, empty_figure

TORNADO_ROWS = 10


def make_gain_ranges(
    summary: pl.DataFrame, *, labels: list[str], currency: str, months: int
) -> go.Figure:
    """One row per option (columns gain_mean, gain_p5, gain_p95; `labels` in the same order):
    a line over the middle 90% of the simulated gains and a dot at the mean; zero is today's
    policy."""
    if summary.height == 0:
        return empty_figure("No options were simulated.")
    names = [plotly_text(x) for x in labels]
    rows = list(summary.iter_rows(named=True))
    hover = [
        f"{n}<br>gain {short_money(r['gain_mean'], currency, sign=True)} over {months} months"
        f"<br>90% of simulations between {short_money(r['gain_p5'], currency, sign=True)} and "
        f"{short_money(r['gain_p95'], currency, sign=True)}"
        for n, r in zip(names, rows, strict=True)
    ]
    fig = go.Figure(
        go.Scatter(
            x=[r["gain_mean"] for r in rows],
            y=names,
            mode="markers",
            marker={"color": COLORS[0], "size": 10},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [r["gain_p95"] - r["gain_mean"] for r in rows],
                "arrayminus": [r["gain_mean"] - r["gain_p5"] for r in rows],
                "thickness": 2,
                "width": 6,
                "color": COLORS[0],
            },
            hovertext=hover,
            hovertemplate="%{hovertext}<extra></extra>",
            showlegend=False,
        )
    )
    fig.add_vline(x=0, line_color="#6b7280", line_dash="dot")
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(
        title_text=f"Gain over today's policy, {months} months ({plotly_text(currency)})",
        tickformat="~s",
    )
    return base_layout(
        fig,
        title="Gain over today's policy (dot: mean; line: middle 90% of simulations)",
        height=max(240, 70 + 46 * len(rows)),
    )


def make_prob_best(summary: pl.DataFrame, *, labels: list[str]) -> go.Figure:
    """Bars: the share of simulations in which each option comes out best (column
    chance_best)."""
    if summary.height == 0:
        return empty_figure("No options were simulated.")
    names = [plotly_text(x) for x in labels]
    shares = summary["chance_best"].to_list()
    fig = go.Figure(
        go.Bar(
            y=names,
            x=shares,
            orientation="h",
            marker_color=REVENUE,
            text=[f"{s:.0%}" for s in shares],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: best in %{x:.1%} of simulations<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(range=[0, 1.15], tickformat=".0%", title_text="Chance of being best")
    return base_layout(
        fig, title="How often each option comes out best", height=max(220, 60 + 40 * len(names))
    )


def make_tornado(
    sensitivity: pl.DataFrame,
    *,
    option: str,
    label: str,
    currency: str,
    top: int = TORNADO_ROWS,
) -> go.Figure:
    """For `option`: its expected gain with each input at its low and high value (the others
    central), the widest swings on top (columns assumption, unit, low, high, gain_central,
    gain_low, gain_high, swing)."""
    rows = (
        sensitivity.filter((pl.col("option") == option) & (pl.col("swing") > 0))
        .sort("swing", descending=True)
        .head(top)
    )
    if rows.height == 0:
        return empty_figure("No input moves this option's gain.")
    rows = rows.reverse()
    center = float(rows["gain_central"][0])
    labels = [plotly_text(assumption_label(a)) for a in rows["assumption"].to_list()]
    fig = go.Figure()
    for col, bound, name, color in (
        ("gain_low", "low", "Input at its low value", COST),
        ("gain_high", "high", "Input at its high value", REVENUE),
    ):
        values = rows[col].to_list()
        hover = [
            f"{lab} = {r[bound]:,.4g} ({plotly_text(r['unit'])})<br>gain "
            f"{short_money(v, currency, sign=True)}"
            for lab, r, v in zip(labels, rows.iter_rows(named=True), values, strict=True)
        ]
        fig.add_bar(
            y=labels,
            x=[v - center for v in values],
            base=center,
            orientation="h",
            name=name,
            marker_color=color,
            hovertext=hover,
            hovertemplate="%{hovertext}<extra></extra>",
        )
    fig.add_vline(x=center, line_color="#6b7280")
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(title_text=f"Expected gain ({plotly_text(currency)})", tickformat="~s")
    return base_layout(
        fig,
        title=f"What moves the answer most: {plotly_text(label)}",
        height=max(280, 80 + 34 * rows.height),
    )
