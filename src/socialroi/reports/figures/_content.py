"""The funnel from reach to revenue, and credited value by campaign."""

from __future__ import annotations

import math

import plotly.graph_objects as go
import polars as pl

from socialroi.reports._format import money, number, plotly_text
from socialroi.reports.figures._common import (
    PIPELINE,
    REVENUE,
    base_layout,
    empty_figure,
    money_bars,
)

TOP = 12


def make_funnel(funnel: pl.DataFrame, *, currency: str) -> go.Figure:
    """The count stages of `funnel` (stage, count) as a funnel of bars, widest on top, on a log
    scale (impressions outnumber deals by thousands), each labelled with its count and its share
    of the step before; the money stage goes in the title."""
    if funnel.height == 0:
        return empty_figure("No activity in this period.")
    counts = funnel.filter(~pl.col("stage").str.starts_with("revenue"))
    revenue = funnel.filter(pl.col("stage").str.starts_with("revenue"))["count"].sum()
    values = counts["count"].to_list()
    labels = []
    for i, v in enumerate(values):
        before = values[i - 1] if i else None
        step = f" · {v / before:.1%} of the step before" if before and v <= before else ""
        labels.append(f"{v:,.0f}{step}")
    names = [plotly_text(s.capitalize()) for s in counts["stage"].to_list()]
    fig = go.Figure(
        go.Bar(
            y=names,
            x=[max(v, 0.9) for v in values],
            orientation="h",
            text=labels,
            textposition="outside",
            cliponaxis=False,
            marker={"color": REVENUE},
            hovertext=[f"{n}: {lab}" for n, lab in zip(names, labels, strict=True)],
            hoverinfo="text",
        )
    )
    top = max([*values, 1.0])
    fig.update_xaxes(type="log", range=[-0.1, math.log10(top) + 1.2], title_text="log scale")
    fig.update_yaxes(autorange="reversed")
    title = f"Won deals with a social touch: {money(float(revenue), currency)}"
    return base_layout(fig, title=title, height=360)


def make_campaign_bars(campaigns: pl.DataFrame, *, currency: str, top: int = TOP) -> go.Figure:
    """Credited won-deal revenue and open pipeline per campaign (the `top` largest)."""
    active = campaigns.filter((pl.col("revenue") > 0) | (pl.col("pipeline") > 0))
    if active.height == 0:
        return empty_figure("No campaign has credited revenue or pipeline yet.")
    rows = active.head(top).reverse()
    names = [plotly_text(c) for c in rows["campaign"].to_list()]
    hover = [
        f"{n}<br>{money(r, currency)} revenue · {money(p, currency)} pipeline<br>"
        f"{number(lead)} leads · {number(d)} deals · {posts:,} posts"
        for n, r, p, lead, d, posts in zip(
            names,
            rows["revenue"].to_list(),
            rows["pipeline"].to_list(),
            rows["leads"].to_list(),
            rows["deals"].to_list(),
            rows["posts"].to_list(),
            strict=True,
        )
    ]
    bars = (("pipeline", "Open pipeline", PIPELINE), ("revenue", "Revenue", REVENUE))
    return money_bars(names, rows, bars, hover=hover, currency_title=plotly_text(currency))
