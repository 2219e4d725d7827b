"""Before and after a policy switch: the actual monthly series against the counterfactual (what
the estimate says would have happened without the switch), with its band and the switch marked."""

from __future__ import annotations

import textwrap
from datetime import UTC, date, datetime, timedelta

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from socialroi.reports._format import money, plotly_text
from socialroi.reports._words import policy_label
from socialroi.reports.figures._common import COLORS, base_layout, empty_figure

METRIC_NAMES = {
    "leads": "social leads",
    "deals": "won social deals",
    "revenue": "social revenue",
    "net_value": "net value",
}
ACTUAL, COUNTERFACTUAL = COLORS[0], COLORS[7]
#: Panel titles wrap at about this many characters, so a phone shows them whole.
CAPTION_CHARS = 46
BAND = "rgba(100, 116, 139, 0.22)"


def _amount(value: float, metric: str, currency: str) -> str:
    if metric in ("revenue", "net_value"):
        text = money(abs(value), currency)
        return f"−{text}" if value < 0 and text != money(0, currency) else text
    return f"{value:,.1f}"


def _caption(est: dict[str, object], metric: str, currency: str) -> str:
    """One line: the switch, the teams and the estimate with its interval, or why there is none."""
    teams = "whole company" if est["teams"] == "*" else str(est["teams"]).replace("+", ", ")
    when = est["switch_date"]
    head = f"{policy_label(str(est['from_policy']))} → {policy_label(str(est['to_policy']))} "
    head += f"({teams}), {when}"
    if est["verdict"] != "estimate" or est["effect"] is None:
        return f"{head}: no estimate — {est['reason']}"
    effect, low, high = (float(est[k]) for k in ("effect", "low", "high"))  # type: ignore[arg-type]
    sign = "+" if effect >= 0 else "−"
    return (
        f"{head}: {sign}{_amount(abs(effect), metric, currency)} a month "
        f"(90% range {_amount(low, metric, currency)} to {_amount(high, metric, currency)})"
    )


def _wrap(text: str, width: int = CAPTION_CHARS) -> list[str]:
    """`text` in lines of at most about `width` characters (a phone's panel title)."""
    return textwrap.wrap(text, width) or [""]


def _switch_x(when: object) -> datetime:
    d = when if isinstance(when, date) else date.fromisoformat(str(when))
    # bars and points sit on the first of each month; mark the switch half a month before it
    return datetime(d.year, d.month, d.day, tzinfo=UTC) - timedelta(days=15)


def make_observed_chart(
    series: pl.DataFrame, estimates: pl.DataFrame, *, metric: str, currency: str
) -> go.Figure:
    """One panel per switch (and group of teams) for `metric`: actual, counterfactual and its
    band after the switch, a dashed line at the switch, and the estimate in the panel title.

    `series` and `estimates` are an ObservedEffects' frames (socialroi.policy.observed).
    """
    if metric not in METRIC_NAMES:
        raise ValueError(f"metric must be one of {', '.join(METRIC_NAMES)}, not {metric!r}")
    rows = series.filter(pl.col("metric") == metric)
    if rows.height == 0:
        return empty_figure("No policy switch in the data to compare before and after.")
    keys = rows.select("switch_date", "teams").unique().sort("switch_date", "teams").rows()
    ests = estimates.filter(pl.col("metric") == metric)
    captions = []
    for when, teams in keys:
        match = ests.filter(
            (pl.col("switch_date") == when)
            & (pl.col("teams") == teams)
            & (pl.col("verdict") == "estimate")
        )
        if match.height == 0:
            match = ests.filter((pl.col("switch_date") == when) & (pl.col("teams") == teams))
        caption = (
            _caption(match.row(0, named=True), metric, currency)
            if match.height
            else f"{teams}, {when}"
        )
        captions.append("<br>".join(plotly_text(line) for line in _wrap(caption)))
    fig = make_subplots(rows=len(keys), cols=1, subplot_titles=captions, vertical_spacing=0.12)
    for i, (when, teams) in enumerate(keys, start=1):
        part = rows.filter((pl.col("switch_date") == when) & (pl.col("teams") == teams)).sort(
            "month"
        )
        months = part["month"].to_list()
        after = part.filter(pl.col("low").is_not_null())
        legend = i == 1
        if after.height:
            band_x = [*after["month"].to_list(), *reversed(after["month"].to_list())]
            band_y = [*after["high"].to_list(), *reversed(after["low"].to_list())]
            fig.add_scatter(
                x=band_x,
                y=band_y,
                mode="lines",
                fill="toself",
                fillcolor=BAND,
                line={"width": 0},
                hoverinfo="skip",
                name="90% band of the counterfactual",
                showlegend=legend,
                legendgroup="band",
                row=i,
                col=1,
            )
        if part["counterfactual"].is_not_null().any():
            fig.add_scatter(
                x=months,
                y=part["counterfactual"].to_list(),
                mode="lines",
                line={"color": COUNTERFACTUAL, "dash": "dash", "width": 2},
                name="Without the switch (estimated)",
                showlegend=legend,
                legendgroup="cf",
                row=i,
                col=1,
            )
        fig.add_scatter(
            x=months,
            y=part["actual"].to_list(),
            mode="lines+markers",
            line={"color": ACTUAL, "width": 2},
            name=f"Actual {METRIC_NAMES[metric]}",
            showlegend=legend,
            legendgroup="actual",
            row=i,
            col=1,
        )
        fig.update_xaxes(  # the panel's own months, half a month either side
            range=[
                (min(months) - timedelta(days=16)).isoformat()[:10],
                (max(months) + timedelta(days=16)).isoformat()[:10],
            ],
            row=i,
            col=1,
        )
        fig.add_vline(
            x=_switch_x(when).timestamp() * 1000,
            line={"color": "#374151", "dash": "dot", "width": 1},
            row=i,
            col=1,
        )
    money_axis = metric in ("revenue", "net_value")
    fig.update_yaxes(
        title_text=plotly_text(currency) if money_axis else "per month",
        tickformat="~s" if money_axis else None,
    )
    fig.update_xaxes(type="date", tickformat="%b\n%Y", nticks=8)
    fig.update_annotations(font={"size": 12}, align="left")
    fig.update_layout(hovermode="x unified", margin={"t": 70})
    return base_layout(fig, height=max(320, 300 * len(keys)))
