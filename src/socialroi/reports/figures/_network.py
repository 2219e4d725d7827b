"""Network figures: who ties the most converting contacts, and giving against engagement."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from socialroi.reports._format import number, plotly_text, ratio
from socialroi.reports.figures._common import COLORS, base_layout, empty_figure

TOP = 15
KIND_COLORS = {"employee": COLORS[0], "contact": COLORS[1]}


def make_influence_bars(influence: pl.DataFrame, *, top: int = TOP) -> go.Figure:
    """Horizontal bars of converting contacts reached for the first `top` nodes of a frame with
    node, kind, name, degree, pagerank, betweenness, converting_reached (already ranked), coloured
    by kind, centrality in the hover text."""
    rows = influence.head(top)
    if rows.height == 0 or rows["converting_reached"].max() == 0:
        return empty_figure("No mentions, replies or referrals tie staff to converting contacts.")
    rows = rows.reverse()
    fig = go.Figure()
    for kind, color in KIND_COLORS.items():
        part = rows.filter(pl.col("kind") == kind)
        if part.height == 0:
            continue
        labels = [
            plotly_text(name if name is not None else node)
            for name, node in zip(part["name"].to_list(), part["node"].to_list(), strict=True)
        ]
        hover = [
            f"{label} ({kind})<br>{r['converting_reached']} converting contacts tied"
            f"<br>{r['degree']} ties · PageRank {r['pagerank']:.4f}"
            f" · betweenness {r['betweenness']:.4f}"
            for label, r in zip(labels, part.iter_rows(named=True), strict=True)
        ]
        fig.add_bar(
            y=labels,
            x=part["converting_reached"].to_list(),
            name=f"{kind.capitalize()}s",
            orientation="h",
            marker_color=color,
            hovertext=hover,
            hovertemplate="%{hovertext}<extra></extra>",
        )
    order = [plotly_text(n if n is not None else d) for n, d in rows.select("name", "node").rows()]
    fig.update_yaxes(categoryorder="array", categoryarray=order)
    fig.update_xaxes(title_text="converting contacts tied directly", rangemode="tozero")
    return base_layout(fig, height=max(240, 90 + 30 * rows.height))


def make_giver_scatter(givers: pl.DataFrame) -> go.Figure:
    """One marker per account: giver share (replies and shares ÷ posts) against engagement per
    post, sized by posts, coloured by credited leads per post; from a frame with platform,
    handle, owner_name, posts, giver_share, engagement_per_post, leads, leads_per_post."""
    if givers.height == 0:
        return empty_figure("No posts recorded for any account.")
    names = [
        plotly_text(f"{h or a} ({p})" + (f" · {o}" if o else ""))
        for h, a, p, o in givers.select("handle", "account_id", "platform", "owner_name").rows()
    ]
    hover = [
        f"{n}<br>{r['posts']} posts · {ratio(r['giver_share'])} replies and shares"
        f"<br>{number(r['engagement_per_post'])} engagements per post"
        f"<br>{number(r['leads'], decimals=2)} credited leads"
        for n, r in zip(names, givers.iter_rows(named=True), strict=True)
    ]
    posts = givers["posts"].to_list()
    biggest = max(posts) or 1
    fig = go.Figure(
        go.Scatter(
            x=givers["giver_share"].to_list(),
            y=givers["engagement_per_post"].to_list(),
            mode="markers",
            marker={
                "size": [8 + 22 * (p / biggest) ** 0.5 for p in posts],
                "color": givers["leads_per_post"].to_list(),
                "colorscale": "Blues",
                "showscale": True,
                "colorbar": {"title": {"text": "leads / post"}},
                "line": {"width": 1, "color": "#1f2937"},
            },
            hovertext=hover,
            hovertemplate="%{hovertext}<extra></extra>",
        )
    )
    fig.update_xaxes(title_text="share of posts that reply to or share others", tickformat=".0%")
    fig.update_yaxes(title_text="engagements per post", rangemode="tozero")
    return base_layout(fig, height=380)
