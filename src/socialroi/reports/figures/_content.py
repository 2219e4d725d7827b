"""The funnel from reach to revenue, and credited value by campaign."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from socialroi.core.sourced import SOCIAL_CREDITED, SOCIAL_SOURCED
from socialroi.reports._format import money, number, plotly_text
from socialroi.reports.figures._common import (
    PIPELINE,
    REVENUE,
    base_layout,
    empty_figure,
    money_bars,
)

TOP = 12


#: How each count stage is named in the chart, and what it counts (the hover text).
STAGE_WORDS: dict[str, tuple[str, str]] = {
    "impressions": ("Views of your posts", "times your posts were shown (platform impressions)"),
    "clicks": ("Link clicks on your posts", "clicks on links in your posts, as platforms count"),
    "social web sessions": (
        "Website visits from social",
        "visits whose source is a social platform, including visits not from a tracked click "
        "(profile links, other people's posts, shared links)",
    ),
    "contacts with a social touch": ("Contacts with a social touch", "people you know by name"),
    "leads with a social touch": ("Leads", "leads with a social touch in their window"),
    "won deals with a social touch": ("Won deals", "won deals with a social touch in their window"),
}
REACH = ("impressions", "clicks", "social web sessions")


def make_funnel(
    funnel: pl.DataFrame,
    *,
    currency: str,
    credited: float | None = None,
    sourced: float | None = None,
) -> go.Figure:
    """The count stages of `funnel` (stage, count) in whole numbers on linear scales: reach
    (views, clicks, visits) in the top panel, people (contacts, leads, won deals) in the bottom
    one, so neither is a sliver next to the other. Each bar says its count and its share of the
    step before (sessions, which are not a subset of clicks, say so instead). The title names
    the two social revenues (`credited`, `sourced`) as the summary does."""
    if funnel.height == 0:
        return empty_figure("No activity in this period.")
    counts = funnel.filter(~pl.col("stage").str.starts_with("revenue"))
    stages, values = counts["stage"].to_list(), [round(v) for v in counts["count"].to_list()]
    fig = make_subplots(rows=2, cols=1, vertical_spacing=0.16)
    for row, reach in ((1, True), (2, False)):
        idx = [i for i, st in enumerate(stages) if (st in REACH) == reach]
        names, hover = [], []
        for i in idx:
            v, st = values[i], stages[i]
            name, what = STAGE_WORDS.get(st, (st.capitalize(), ""))
            before = values[i - 1] if i else None
            if st == "social web sessions":
                step, rate = "", "more than clicks: " if before and v > before else ""
            elif st == "contacts with a social touch" or not before or v > before:
                step, rate = "", ""
            else:
                step = f" ({v / before:.1%})"
                rate = f"{v / before:.1%} of the step before; "
            names.append(f"{plotly_text(name)}<br><b>{v:,}</b>{step}")
            hover.append(f"{plotly_text(name)}: {v:,}<br>{rate}{plotly_text(what)}")
        top = max([values[i] for i in idx] + [1])
        fig.add_bar(
            y=names,
            x=[values[i] for i in idx],
            orientation="h",
            marker={"color": REVENUE if row == 1 else PIPELINE},
            hovertext=hover,
            hoverinfo="text",
            showlegend=False,
            row=row,
            col=1,
        )
        fig.update_xaxes(range=[0, top * 1.02], tickformat="~s", row=row, col=1)
        fig.update_yaxes(autorange="reversed", row=row, col=1)
    title = "From views to won deals"
    if credited is not None:
        title = f"{SOCIAL_CREDITED.capitalize()} revenue {money(credited, currency)}"
        if sourced is not None:
            title += f" · {SOCIAL_SOURCED} revenue {money(sourced, currency)}"
    fig.update_yaxes(tickfont={"size": 12})
    return base_layout(fig, title=title, height=460)


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
