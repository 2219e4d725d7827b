"""Policy comparison figures: net value per option, the chance each is best, and the tornado."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from socialroi.reports._format import money, plotly_text
from socialroi.reports.figures._common import COLORS, COST, REVENUE, base_layout, empty_figure

TORNADO_ROWS = 10


def make_net_distribution(quantiles: pl.DataFrame, *, currency: str, months: int) -> go.Figure:
    """One box per option from precomputed quantiles (columns option, p5, p25, p50, p75, p95,
    mean): the box spans the middle half of the simulations, the whiskers the middle 90%."""
    if quantiles.height == 0:
        return empty_figure("No options were simulated.")
    fig = go.Figure()
    for i, r in enumerate(quantiles.iter_rows(named=True)):
        name = plotly_text(r["option"])
        fig.add_trace(
            go.Box(
                name=name,
                x=[name],
                q1=[r["p25"]],
                median=[r["p50"]],
                q3=[r["p75"]],
                lowerfence=[r["p5"]],
                upperfence=[r["p95"]],
                mean=[r["mean"]],
                marker_color=COLORS[i % len(COLORS)],
                boxpoints=False,
                hoverinfo="skip",
                showlegend=False,
            )
        )
        fig.add_scatter(
            x=[name],
            y=[r["mean"]],
            mode="markers",
            marker={"color": COLORS[i % len(COLORS)], "symbol": "diamond", "size": 9},
            showlegend=False,
            hovertext=[
                f"{name}<br>mean {money(r['mean'], currency)}<br>median "
                f"{money(r['p50'], currency)}<br>90% of simulations between "
                f"{money(r['p5'], currency)} and {money(r['p95'], currency)}"
            ],
            hovertemplate="%{hovertext}<extra></extra>",
        )
    fig.add_hline(y=0, line_color="#9ca3af", line_dash="dot")
    fig.update_yaxes(title_text=f"Net value over {months} months ({plotly_text(currency)})")
    fig.update_yaxes(tickformat="~s")
    return base_layout(fig, title="Net value per option (box: middle 50%, whiskers: middle 90%)")


def make_prob_best(summary: pl.DataFrame) -> go.Figure:
    """Bars: the share of simulations in which each option has the highest net value."""
    if summary.height == 0:
        return empty_figure("No options were simulated.")
    names = [plotly_text(o) for o in summary["option"].to_list()]
    shares = summary["prob_best"].to_list()
    fig = go.Figure(
        go.Bar(
            x=names,
            y=shares,
            marker_color=REVENUE,
            text=[f"{s:.0%}" for s in shares],
            textposition="outside",
            hovertemplate="%{x}: best in %{y:.1%} of simulations<extra></extra>",
        )
    )
    fig.update_yaxes(range=[0, 1.1], tickformat=".0%", title_text="Chance of being best")
    return base_layout(fig, title="How often each option comes out best", height=320)


def make_tornado(
    sensitivity: pl.DataFrame, *, option: str, currency: str, top: int = TORNADO_ROWS
) -> go.Figure:
    """For `option`: expected net value with each input at its low and high value (the others
    central), the widest swings on top."""
    rows = sensitivity.filter((pl.col("option") == option) & (pl.col("swing") > 0)).head(top)
    if rows.height == 0:
        return empty_figure("No input moves this option's net value.")
    rows = rows.reverse()
    center = float(rows["net_central"][0])
    labels = [plotly_text(a) for a in rows["assumption"].to_list()]
    fig = go.Figure()
    for col, bound, name, color in (
        ("net_low", "low", "Input at its low value", COST),
        ("net_high", "high", "Input at its high value", REVENUE),
    ):
        values = rows[col].to_list()
        hover = [
            f"{lab} = {r[bound]:,.4g} ({plotly_text(r['unit'])})<br>net value {money(v, currency)}"
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
    fig.update_xaxes(title_text=f"Expected net value ({plotly_text(currency)})", tickformat="~s")
    return base_layout(
        fig,
        title=f"What moves the answer most: {plotly_text(option)}",
        height=max(280, 80 + 34 * rows.height),
    )
